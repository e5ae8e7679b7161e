/** A template's parameter values: each override, else its Default, checked against AllowedValues. */
import type { Template } from '@repo/sam-template/read-template';
import { ProvisionError } from './provision-context.ts';

/** Every parameter's value; an unknown override, a missing value or one not allowed is an error. */
export function parameterValues(
  template: Template,
  overrides: Record<string, string>,
): Record<string, string> {
  const declared = template.Parameters ?? {};
  const unknown = Object.keys(overrides).filter((name) => !(name in declared));
  if (unknown.length > 0) throw new ProvisionError(`Unknown parameter override ${unknown.join(', ')}`);
  return Object.fromEntries(
    Object.entries(declared).map(([name, definition]) => {
      const value = overrides[name] ?? definition.Default;
      if (value === undefined) throw new ProvisionError(`Parameter ${name} has no Default and no override`);
      const allowed = definition.AllowedValues;
      if (Array.isArray(allowed) && !allowed.map(String).includes(String(value))) {
        throw new ProvisionError(`Parameter ${name}: ${value} is not one of ${allowed.join(', ')}`);
      }
      return [name, String(value)];
    }),
  );
}
