// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here is CloudFormation's Fn::Sub syntax.

/** One resource of a plain CloudFormation template (after the SAM transform). */
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Condition?: string;
}

/** A plain CloudFormation template, intrinsics in their long (JSON) form. */
export interface CfnTemplate {
  Parameters?: Record<string, { Default?: unknown; Type?: string }>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, CfnResource>;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as a list (`Action: s3:GetObject` and `Action: [s3:GetObject]` are the same). */
export function asList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** `{ "Fn::If": [...] }` → `['Fn::If', [...]]` for a one-key intrinsic; undefined for anything else. */
export function intrinsic(value: unknown): [string, unknown] | undefined {
  if (!isRecord(value)) return undefined;
  const keys = Object.keys(value);
  const [key] = keys;
  if (keys.length !== 1 || key === undefined || !(key === 'Ref' || key.startsWith('Fn::'))) return undefined;
  return [key, value[key]];
}

const subReference = /\$\{([^}!][^}]*)\}/g;

/**
 * Logical ids and parameters a value refers to through Ref, Fn::GetAtt and Fn::Sub (`${X}`, `${X.Arn}`),
 * pseudo parameters (`AWS::Region` …) left out.
 */
export function referencedIds(value: unknown): Set<string> {
  const found = new Set<string>();
  const visit = (item: unknown): void => {
    if (Array.isArray(item)) {
      for (const element of item) visit(element);
      return;
    }
    if (!isRecord(item)) return;
    const call = intrinsic(item);
    if (call?.[0] === 'Ref' && typeof call[1] === 'string') {
      if (!call[1].startsWith('AWS::')) found.add(call[1]);
      return;
    }
    if (call?.[0] === 'Fn::GetAtt') {
      const [target] = Array.isArray(call[1]) ? call[1] : String(call[1]).split('.');
      if (typeof target === 'string') found.add(target);
      return;
    }
    if (call?.[0] === 'Fn::Sub') {
      const [text, variables] = Array.isArray(call[1]) ? call[1] : [call[1], {}];
      const local = new Set(isRecord(variables) ? Object.keys(variables) : []);
      for (const [, expression = ''] of String(text).matchAll(subReference)) {
        const [name = ''] = expression.split('.');
        if (!name.startsWith('AWS::') && !local.has(expression) && !local.has(name)) found.add(name);
      }
      visit(variables);
      return;
    }
    for (const nested of Object.values(item)) visit(nested);
  };
  visit(value);
  return found;
}

/** A short YAML rendering of a value for messages (`!Ref UploadsTopic`, `!GetAtt UsersTable.Arn`). */
export function render(value: unknown): string {
  const call = intrinsic(value);
  if (call?.[0] === 'Ref') return `!Ref ${String(call[1])}`;
  if (call?.[0] === 'Fn::GetAtt') {
    return `!GetAtt ${Array.isArray(call[1]) ? call[1].join('.') : String(call[1])}`;
  }
  if (call?.[0] === 'Fn::Sub' && typeof call[1] === 'string') return `!Sub ${call[1]}`;
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/**
 * Whether `value` (an ARN, an Endpoint …) points at `functionId`: directly, or through an
 * `AWS::Lambda::Alias` or `AWS::Lambda::Version` of it (AutoPublishAlias).
 */
export function targetsFunction(value: unknown, functionId: string, template: CfnTemplate): boolean {
  for (const id of referencedIds(value)) {
    if (id === functionId) return true;
    const resource = template.Resources[id];
    if (
      (resource?.Type === 'AWS::Lambda::Alias' || resource?.Type === 'AWS::Lambda::Version') &&
      referencedIds(resource.Properties?.FunctionName).has(functionId)
    ) {
      return true;
    }
  }
  return false;
}
