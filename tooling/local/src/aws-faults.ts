import { type AwsFault, type AwsFaultRule, faultDecider } from './fault-profile.ts';
import type { AwsCall } from './fault-proxy.ts';

/** The AWS-call half of a fault profile: what to inject into a call, and what was injected so far. */
export interface AwsFaults {
  /** The fault for `call`, if a rule matches and fires (reported as it happens); undefined otherwise. */
  decide(call: AwsCall): AwsFault | undefined;
  /** One line per rule: what it matches and how many times it fired. */
  counts(): string[];
}

/**
 * Matches calls against the profile's `aws` rules (service and operation exactly, resource as a
 * substring), one seeded decider for every proxy, and reports each injected fault as one line:
 * `fault  s3 PutObject uploads/a.jpg → SlowDown 503 (before)`.
 */
export function awsFaults(
  rules: readonly AwsFaultRule[],
  seed: number,
  report: (line: string) => void,
): AwsFaults {
  const decider = faultDecider(rules, seed);
  return {
    decide(call) {
      const rule = decider(
        (candidate) =>
          candidate.service === call.service &&
          (candidate.operation === undefined || candidate.operation === call.operation) &&
          (candidate.resource === undefined || call.resource.includes(candidate.resource)),
      );
      if (!rule) return undefined;
      report(
        `fault  ${[call.service, call.operation, call.resource].filter(Boolean).join(' ')} → ${describeFault(rule.fault)}`,
      );
      return rule.fault;
    },
    counts: () =>
      rules.map(
        (rule, index) =>
          `aws[${index}] ${[rule.service, rule.operation, rule.resource].filter(Boolean).join(' ')} ${describeFault(rule.fault)}: ${decider.timesFired(rule)}×`,
      ),
  };
}

/** `SlowDown 503 (before)`, `lost answer`, `latency 300 ms`, `reset`, `hang`. */
export function describeFault(fault: AwsFault): string {
  switch (fault.kind) {
    case 'error':
      return `${fault.code} ${fault.status} (${fault.when})`;
    case 'latency':
      return `latency ${fault.ms} ms`;
    case 'lost-answer':
      return 'lost answer';
    default:
      return fault.kind;
  }
}
