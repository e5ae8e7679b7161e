import { intrinsic, referencedIds } from '@repo/sam-template/template-values';

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

/** A value as a list (`Action: s3:GetObject` and `Action: [s3:GetObject]` are the same). */
export function asList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
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
