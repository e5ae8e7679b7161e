/** A plain object: a template section, a resource's properties, an intrinsic (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{ "Fn::If": [...] }` → `['Fn::If', [...]]` for a one-key intrinsic; undefined for anything else. */
export function intrinsic(value: unknown): [string, unknown] | undefined {
  if (!isRecord(value)) return undefined;
  const keys = Object.keys(value);
  const [key] = keys;
  if (keys.length !== 1 || key === undefined || !(key === 'Ref' || key.startsWith('Fn::'))) return undefined;
  return [key, value[key]];
}

// `${Name}` and `${Name.Attribute}`; `${!Literal}` is Fn::Sub's escape for a literal `${Literal}`.
const subReference = /\$\{([^}!][^}]*)\}/g;

/**
 * The logical ids and parameters a value refers to through Ref, Fn::GetAtt and Fn::Sub (`${X}`,
 * `${X.Arn}`), however deep. Pseudo parameters (`AWS::Region` …) are not ids and are left out, as are the
 * names an Fn::Sub defines in its own variable map (whose values are searched in turn).
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
