import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isRecord } from '@repo/sam-template/template-values';
import { seededRandom } from './seeded-random.ts';

/**
 * A fault profile (`pnpm dev --faults <name>`): rules that make the functions' AWS calls, and the
 * functions' execution environments, fail as they fail in AWS. Profiles are JSON files in
 * tooling/local/faults/<name>.json (or a path to one); each rule applies with a probability (every
 * matching call draws) or a count (the first n matching calls), never both.
 */
export interface FaultProfile {
  name: string;
  description: string;
  aws: AwsFaultRule[];
  lambda: LambdaFaultRule[];
}

/** How often a rule fires: each matching call with `probability`, or the first `count` matching calls. */
export type Frequency =
  | { probability: number; count?: undefined }
  | { count: number; probability?: undefined };

/** A fault on an AWS call, between the function and moto. */
export type AwsFault =
  /**
   * AWS's error answer, with its real HTTP status, error code and message. `when: 'before'` — the call
   * was not applied; `'after'` — it was applied upstream and this error replaced the answer.
   */
  | { kind: 'error'; status: number; code: string; message?: string; when: 'before' | 'after' }
  /** Applied upstream, then the connection is dropped before any answer: the lost answer. */
  | { kind: 'lost-answer' }
  /** The answer comes `ms` later. */
  | { kind: 'latency'; ms: number }
  /** The connection is reset before the call reaches AWS. */
  | { kind: 'reset' }
  /** The call is never answered (the SDK's own timeouts decide). */
  | { kind: 'hang' };

export type AwsFaultRule = Frequency & {
  /** The AWS service as the request signs it (SigV4 credential scope): `s3`, `dynamodb`, `sns`, `sqs`. */
  service: string;
  /** The API operation (`PutItem`, `Publish`, `GetObject` …); any when absent. */
  operation?: string;
  /** A substring of the resource the call names (table, bucket or key, topic, queue); any when absent. */
  resource?: string;
  fault: AwsFault;
};

/** A fault of a function's execution environment, in the function host. */
export type LambdaFault =
  /** The environment's process dies in the middle of the invocation (Runtime.ExitError, a fresh one next). */
  | { kind: 'die' }
  /** The invocation runs into its timeout (Sandbox.Timedout). */
  | { kind: 'timeout' }
  /** The environment's init fails (Runtime.InitError) before the handler runs. */
  | { kind: 'init-error' };

export type LambdaFaultRule = Frequency & {
  /** The function's logical id; every function when absent. */
  function?: string;
  fault: LambdaFault;
};

/** A profile that cannot be read or is not a valid profile; the message names the file and the rule. */
export class FaultProfileError extends Error {
  override name = 'FaultProfileError';
}

/** The folder of the shipped profiles. */
export const profilesDir = join(import.meta.dirname, '..', 'faults');

/**
 * Reads `name` (a shipped profile) or a path to a profile file (anything with a slash or ending in .json,
 * resolved against `cwd`), and checks every rule. A path's profile is named by its resolved path.
 */
export function readFaultProfile(nameOrPath: string, cwd = process.cwd()): FaultProfile {
  const isPath = /[/\\]|\.json$/.test(nameOrPath);
  const path = isPath ? resolve(cwd, nameOrPath) : join(profilesDir, `${nameOrPath}.json`);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new FaultProfileError(
      `cannot read fault profile ${nameOrPath} (${path}): ${(error as Error).message}`,
    );
  }
  return parseFaultProfile(value, isPath ? path : nameOrPath);
}

/** Checks a parsed profile; every problem is named with the rule it is in. */
export function parseFaultProfile(value: unknown, name: string): FaultProfile {
  const problems: string[] = [];
  const record = isRecord(value) ? value : {};
  if (!isRecord(value)) problems.push('the profile is not a JSON object');
  const description = typeof record.description === 'string' ? record.description : '';
  const aws = arrayOf(record.aws, 'aws', problems).map((rule, index) =>
    awsRule(rule, `aws[${index}]`, problems),
  );
  const lambda = arrayOf(record.lambda, 'lambda', problems).map((rule, index) =>
    lambdaRule(rule, `lambda[${index}]`, problems),
  );
  for (const key of Object.keys(record)) {
    if (!['description', 'aws', 'lambda'].includes(key)) problems.push(`unknown field "${key}"`);
  }
  if (problems.length > 0) {
    throw new FaultProfileError(`fault profile ${name}: ${problems.join('; ')}`);
  }
  return { name, description, aws, lambda };
}

const awsKinds = ['error', 'lost-answer', 'latency', 'reset', 'hang'];
const lambdaKinds = ['die', 'timeout', 'init-error'];

function awsRule(value: unknown, where: string, problems: string[]): AwsFaultRule {
  const rule = isRecord(value) ? value : {};
  if (typeof rule.service !== 'string' || rule.service === '')
    problems.push(`${where}.service must name a service`);
  for (const field of ['operation', 'resource'] as const) {
    if (rule[field] !== undefined && typeof rule[field] !== 'string')
      problems.push(`${where}.${field} must be text`);
  }
  const fault = isRecord(rule.fault) ? rule.fault : {};
  if (!awsKinds.includes(String(fault.kind))) {
    problems.push(`${where}.fault.kind must be one of ${awsKinds.join(', ')}`);
  } else if (fault.kind === 'error') {
    if (!Number.isInteger(fault.status) || (fault.status as number) < 400 || (fault.status as number) > 599)
      problems.push(`${where}.fault.status must be an HTTP error status (400–599)`);
    if (typeof fault.code !== 'string' || fault.code === '')
      problems.push(`${where}.fault.code must name the error code`);
    if (fault.when !== 'before' && fault.when !== 'after')
      problems.push(`${where}.fault.when must be "before" or "after"`);
  } else if (fault.kind === 'latency' && !(Number.isFinite(fault.ms) && (fault.ms as number) > 0)) {
    problems.push(`${where}.fault.ms must be a positive number of milliseconds`);
  }
  frequency(rule, where, problems);
  return rule as unknown as AwsFaultRule;
}

function lambdaRule(value: unknown, where: string, problems: string[]): LambdaFaultRule {
  const rule = isRecord(value) ? value : {};
  if (rule.function !== undefined && typeof rule.function !== 'string')
    problems.push(`${where}.function must be a logical id`);
  const fault = isRecord(rule.fault) ? rule.fault : {};
  if (!lambdaKinds.includes(String(fault.kind)))
    problems.push(`${where}.fault.kind must be one of ${lambdaKinds.join(', ')}`);
  frequency(rule, where, problems);
  return rule as unknown as LambdaFaultRule;
}

function frequency(rule: Record<string, unknown>, where: string, problems: string[]): void {
  const { probability, count } = rule;
  if ((probability === undefined) === (count === undefined)) {
    problems.push(
      `${where} needs either "probability" (0–1) or "count" (a whole number), not both or neither`,
    );
  } else if (
    probability !== undefined &&
    !(typeof probability === 'number' && probability > 0 && probability <= 1)
  ) {
    problems.push(`${where}.probability must be a number in (0, 1]`);
  } else if (count !== undefined && !(Number.isInteger(count) && (count as number) > 0)) {
    problems.push(`${where}.count must be a whole number ≥ 1`);
  }
}

function arrayOf(value: unknown, field: string, problems: string[]): unknown[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  problems.push(`"${field}" must be a list of rules`);
  return [];
}

/**
 * Decides, rule by rule, whether a fault fires: each rule keeps its own count and draws its probability
 * from its own seeded generator (seededRandom, seeded from the run's seed and the rule's place in the
 * profile). So a rule's n-th matching call meets the same decision in every run with the same seed, however
 * the calls of other services, functions and concurrent environments interleave with it — the functions
 * run concurrently, and one shared stream would hand a throttle to whichever call happened to come first.
 * Returns the first rule that matches and fires.
 */
export function faultDecider<Rule extends Frequency>(
  rules: readonly Rule[],
  seed: number,
): FaultDecider<Rule> {
  const fired = new Map<Rule, number>();
  const draws = new Map(rules.map((rule, index) => [rule, seededRandom(ruleSeed(seed, index))]));
  const decide = (matches: (rule: Rule) => boolean): Rule | undefined => {
    for (const rule of rules) {
      if (!matches(rule)) continue;
      const times = fired.get(rule) ?? 0;
      const draw = draws.get(rule) as () => number;
      const fires = rule.count !== undefined ? times < rule.count : draw() < (rule.probability ?? 0);
      if (fires) {
        fired.set(rule, times + 1);
        return rule;
      }
    }
    return undefined;
  };
  return Object.assign(decide, { timesFired: (rule: Rule) => fired.get(rule) ?? 0 });
}

/** The seed of rule `index`'s own stream: the run's seed and the index mixed, so neighbours do not correlate. */
function ruleSeed(seed: number, index: number): number {
  return Math.imul(seed ^ Math.imul(index + 1, 0x9e3779b9), 0x85ebca6b) >>> 0;
}

/** Picks the first matching rule that fires (see faultDecider), and says how often each rule fired. */
export interface FaultDecider<Rule> {
  (matches: (rule: Rule) => boolean): Rule | undefined;
  timesFired(rule: Rule): number;
}
