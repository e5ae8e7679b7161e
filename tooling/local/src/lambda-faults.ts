import { faultDecider, type LambdaFault, type LambdaFaultRule } from './fault-profile.ts';

/** What the function host asks before each cold start and each invocation: which fault, if any, to inject. */
export interface LambdaFaultInjector {
  /** At a cold start, before the handler module loads: an `init-error`, or nothing. */
  atInit(functionId: string): LambdaFault | undefined;
  /** At an invocation whose environment is ready: a `die` or a `timeout`, or nothing. */
  atInvoke(functionId: string): Exclude<LambdaFault, { kind: 'init-error' }> | undefined;
  /** One line per rule with how many times it fired, for the exit summary. */
  summary(): string[];
}

/** What each fault looks like to the developer, with the error Lambda reports for it. */
const described: Record<LambdaFault['kind'], string> = {
  die: 'environment dies mid-invocation (Runtime.ExitError)',
  timeout: 'invocation runs into its timeout (Sandbox.Timedout)',
  'init-error': 'environment’s init fails (Runtime.InitError)',
};

/**
 * The execution-environment rules of a fault profile, decided with `faultDecider` (the same seed and the
 * same cold starts and invocations in the same order inject the same faults). A rule with `function`
 * matches only that logical id; `init-error` rules are asked at a cold start, `die` and `timeout` at an
 * invocation. `report` gets one line per injected fault.
 */
export function lambdaFaultInjector(
  rules: LambdaFaultRule[],
  seed: number,
  report: (line: string) => void,
): LambdaFaultInjector {
  const decide = faultDecider(rules, seed);
  const inject = (functionId: string, atInit: boolean): LambdaFault | undefined => {
    const rule = decide(
      (candidate) =>
        (candidate.fault.kind === 'init-error') === atInit &&
        (candidate.function === undefined || candidate.function === functionId),
    );
    if (!rule) return undefined;
    report(`fault  ${functionId} ${described[rule.fault.kind]}`);
    return rule.fault;
  };
  return {
    atInit: (functionId) => inject(functionId, true),
    atInvoke: (functionId) => {
      const fault = inject(functionId, false);
      return fault?.kind === 'init-error' ? undefined : fault;
    },
    summary: () =>
      rules.map((rule) => {
        const frequency =
          rule.count !== undefined ? `first ${rule.count}` : `probability ${rule.probability}`;
        const times = decide.timesFired(rule);
        return `fault  ${rule.fault.kind} on ${rule.function ?? 'every function'} (${frequency}): injected ${times}×`;
      }),
  };
}
