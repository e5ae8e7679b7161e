import { intrinsic, isRecord } from '@repo/sam-template/template-values';
import { type CfnTemplate, render } from './cloudformation.ts';

interface ParseResult {
  success: boolean;
  error?: { issues: readonly { path: readonly PropertyKey[]; message: string }[] };
}

/** The part of a zod object schema (classic or mini) the check uses. */
export interface ConfigSchema {
  safeParse(input: unknown): ParseResult;
  shape: Record<string, { safeParse(input: unknown): ParseResult }>;
}

/**
 * Variables the Lambda runtime sets in every function's environment
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
 */
export const runtimeVariables: ReadonlySet<string> = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
  'TZ',
  'LANG',
  'PATH',
  'LD_LIBRARY_PATH',
  'NODE_PATH',
]);

/**
 * The variables a config schema requires: those whose absence makes the schema itself reject an empty
 * environment. This asks zod rather than reading its internals; it agrees with
 * `shape[key]._zod.optin === undefined` (zod 4 marks `optional`/`nullish`/`catch` keys 'optional' and
 * `_default`/`prefault` keys 'defaulted').
 */
export function requiredVariables(schema: ConfigSchema): string[] {
  const result = schema.safeParse({});
  if (result.success) return [];
  const keys = new Set(Object.keys(schema.shape));
  const required = new Set<string>();
  for (const issue of result.error?.issues ?? []) {
    const [key] = issue.path;
    if (typeof key === 'string' && keys.has(key)) required.add(key);
  }
  return [...required].sort();
}

/** One value a template variable may take: a literal, unset (AWS::NoValue), or something only known at deploy. */
export type PossibleValue = { when: string } & (
  | { literal: string }
  | { unset: true }
  | {
      /** A Ref/GetAtt/Sub …, rendered for messages: set at deploy time, never empty. */
      deployed: string;
    }
);

/**
 * The values an environment variable's template value may take, parameters at their defaults; `Fn::If`
 * gives one set per branch (`when` names the condition).
 */
export function possibleValues(value: unknown, template: CfnTemplate, when = 'always'): PossibleValue[] {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return [{ when, literal: String(value) }];
  }
  const call = intrinsic(value);
  if (call?.[0] === 'Ref' && call[1] === 'AWS::NoValue') return [{ when, unset: true }];
  if (call?.[0] === 'Ref' && typeof call[1] === 'string') {
    const parameter = template.Parameters?.[call[1]];
    if (parameter && 'Default' in parameter && parameter.Default !== undefined) {
      return [
        {
          when: `${when === 'always' ? '' : `${when}, `}${call[1]} at its default`,
          literal: String(parameter.Default),
        },
      ];
    }
  }
  if (call?.[0] === 'Fn::If' && Array.isArray(call[1])) {
    const [condition, whenTrue, whenFalse] = call[1] as [string, unknown, unknown];
    const prefix = when === 'always' ? '' : `${when}, `;
    return [
      ...possibleValues(whenTrue, template, `${prefix}when ${condition}`),
      ...possibleValues(whenFalse, template, `${prefix}when not ${condition}`),
    ];
  }
  if (call?.[0] === 'Fn::Sub' && typeof call[1] === 'string' && !/\$\{[^!]/.test(call[1])) {
    return [{ when, literal: call[1].replaceAll('${!', '${') }];
  }
  return [{ when, deployed: render(value) }];
}

export interface EnvironmentCheck {
  required: string[];
  failures: string[];
}

/**
 * Checks a function's template environment against its config schema: every required variable is set
 * (or set by the Lambda runtime), never to an empty value or AWS::NoValue; every literal value of a
 * variable the schema knows passes the schema (a bad one fails the function at cold start).
 */
export function checkEnvironment({
  schema,
  variables,
  template,
  setElsewhere = {},
}: {
  schema: ConfigSchema;
  /** The function's Environment.Variables after the SAM transform (Globals merged). */
  variables: Record<string, unknown>;
  template: CfnTemplate;
  /** How other functions of the template set a variable, to suggest as its fix. */
  setElsewhere?: Record<string, string>;
}): EnvironmentCheck {
  const required = requiredVariables(schema);
  const failures: string[] = [];
  for (const name of required) {
    if (name in variables || runtimeVariables.has(name)) continue;
    const example = setElsewhere[name] ?? '<value>';
    failures.push(
      `requires ${name} (its config schema has no default) but the template does not set it — add to Environment.Variables: ${name}: ${example}`,
    );
  }
  for (const [name, value] of Object.entries(variables)) {
    const keySchema = schema.shape[name];
    if (!keySchema) continue;
    for (const possible of possibleValues(value, template)) {
      const when = possible.when === 'always' ? '' : ` (${possible.when})`;
      if ('unset' in possible) {
        if (required.includes(name)) {
          failures.push(
            `requires ${name} but the template leaves it unset${when} with AWS::NoValue — give it a value`,
          );
        }
      } else if ('literal' in possible) {
        if (possible.literal === '' && required.includes(name)) {
          failures.push(
            `requires ${name} but the template sets it to an empty value${when} — give it a value`,
          );
          continue;
        }
        const parsed = keySchema.safeParse(possible.literal);
        if (!parsed.success) {
          const message = parsed.error?.issues[0]?.message ?? 'rejected';
          failures.push(
            `sets ${name} to ${JSON.stringify(possible.literal)}${when}, which its config schema rejects (${message}) — the function would fail at cold start`,
          );
        }
      }
    }
  }
  return { required, failures };
}

/** `Environment.Variables` of an `AWS::Lambda::Function` in a transformed template. */
export function functionVariables(template: CfnTemplate, functionId: string): Record<string, unknown> {
  const environment = template.Resources[functionId]?.Properties?.Environment;
  const variables = isRecord(environment) ? environment.Variables : undefined;
  return isRecord(variables) ? variables : {};
}
