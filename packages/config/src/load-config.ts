import { en } from 'zod/locales';
import * as z from 'zod/mini';

// zod/mini (a twentieth of classic zod's bundle) ships without messages. Every function loads its
// config at cold start, so English messages are switched on here, once, for all of its schemas.
z.config(en());

/** Thrown at cold start when the environment does not satisfy a function's config schema. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(readonly problems: readonly string[]) {
    super(`Invalid environment: ${problems.join('; ')}`);
  }
}

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Validates the environment against `schema` once and returns a frozen, typed object.
 * Every problem is reported in one error, by variable name only: values are never echoed,
 * because some variables hold secrets.
 */
export function loadConfig<Schema extends z.ZodMiniObject>(
  schema: Schema,
  environment: Environment = process.env,
): Readonly<z.output<Schema>> {
  const result = schema.safeParse(environment, { reportInput: false });
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => describeIssue(issue, environment)));
  }
  return Object.freeze(result.data);
}

function describeIssue(issue: z.core.$ZodIssue, environment: Environment): string {
  const name = issue.path.map(String).join('.') || '(environment)';
  const value = environment[name];
  if (value === undefined || value === '') return `${name} is missing`;
  // zod's messages state the expectation, not the received value (reportInput is off).
  return `${name} is invalid (${issue.message})`;
}
