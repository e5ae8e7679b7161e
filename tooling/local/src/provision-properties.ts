/** Resource properties as the APIs take them (resolved, AWS::NoValue dropped, as text or attributes). */
import { type LocalStack, resolveIntrinsics } from '@repo/sam-template/resolve-intrinsics';
import { isRecord } from '@repo/sam-template/template-values';
import type { Properties, ProvisionContext } from './provision-context.ts';

// CloudFormation drops a property whose value is `!Ref AWS::NoValue` (typically inside an `!If`);
// resolveIntrinsics turns it into '', which would reach the API as a real value.
const noValue = Symbol('AWS::NoValue');

/** Properties with intrinsics resolved against the stack and `!Ref AWS::NoValue` left out. */
export function resolveProperties(value: unknown, stack: LocalStack): Properties {
  return dropNoValue(resolveIntrinsics(markNoValue(value), stack)) as Properties;
}

function markNoValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(markNoValue);
  if (!isRecord(value)) return value;
  if (value.Ref === 'AWS::NoValue' && Object.keys(value).length === 1) return noValue;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, markNoValue(item)]));
}

function dropNoValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((item) => item !== noValue).map(dropNoValue);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, item]) => item !== noValue)
      .map(([key, item]) => [key, dropNoValue(item)]),
  );
}

/** Names the properties the local stack accepts but does not apply, so nobody relies on them locally. */
export function reportWithoutLocalEffect(
  context: ProvisionContext,
  logicalId: string,
  properties: Properties,
  names: readonly string[],
): void {
  for (const property of names) {
    if (properties[property] !== undefined) {
      context.unsupported.push(`Resources.${logicalId}.${property} (no local effect)`);
    }
  }
}

/** Properties as SNS/SQS string attributes: objects as JSON, the rest as text; absent ones left out. */
export function stringAttributes(properties: Properties, names: string[]): Record<string, string> {
  return Object.fromEntries(
    names
      .filter((name) => properties[name] !== undefined)
      .map((name) => [
        name,
        typeof properties[name] === 'object' ? JSON.stringify(properties[name]) : String(properties[name]),
      ]),
  );
}

/** A value as JSON text (a string as it is); undefined stays undefined. */
export function json(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A value as text; undefined and null are absent. */
export function text(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : String(value);
}

/** A template boolean: `true` or `'true'`. */
export function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}
