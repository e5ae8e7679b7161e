import { describe, expect, it } from 'vitest';
import type { LambdaFaultRule } from '../src/fault-profile.ts';
import { lambdaFaultInjector } from '../src/lambda-faults.ts';

const injector = (rules: LambdaFaultRule[], seed = 1) => {
  const lines: string[] = [];
  return { faults: lambdaFaultInjector(rules, seed, (line) => lines.push(line)), lines };
};

describe('lambdaFaultInjector', () => {
  it('injects a rule with a function only into that function', () => {
    const { faults } = injector([{ function: 'A', count: 1, fault: { kind: 'die' } }]);

    const b = faults.atInvoke('B');
    const a = faults.atInvoke('A');
    const again = faults.atInvoke('A');

    expect(b).toBeUndefined();
    expect(a).toEqual({ kind: 'die' });
    expect(again).toBeUndefined();
  });

  it('asks init-error rules at a cold start and die and timeout rules at an invocation', () => {
    const { faults } = injector([
      { count: 1, fault: { kind: 'init-error' } },
      { count: 1, fault: { kind: 'timeout' } },
    ]);

    const atInvoke = faults.atInvoke('A');
    const atInit = faults.atInit('A');

    expect(atInvoke).toEqual({ kind: 'timeout' });
    expect(atInit).toEqual({ kind: 'init-error' });
    expect(faults.atInit('A')).toBeUndefined();
    expect(faults.atInvoke('A')).toBeUndefined();
  });

  it('reports one line per injected fault, naming the function and Lambda’s error', () => {
    const { faults, lines } = injector([
      { function: 'UploadProcessorFunction', count: 1, fault: { kind: 'die' } },
      { count: 1, fault: { kind: 'timeout' } },
      { count: 1, fault: { kind: 'init-error' } },
    ]);

    faults.atInvoke('UploadProcessorFunction');
    faults.atInvoke('UsersApiFunction');
    faults.atInit('UsersApiFunction');
    faults.atInvoke('UsersApiFunction');

    expect(lines).toEqual([
      'fault  UploadProcessorFunction environment dies mid-invocation (Runtime.ExitError)',
      'fault  UsersApiFunction invocation runs into its timeout (Sandbox.Timedout)',
      'fault  UsersApiFunction environment’s init fails (Runtime.InitError)',
    ]);
  });

  it('counts what each rule injected for the exit summary', () => {
    const { faults } = injector([
      { function: 'A', count: 2, fault: { kind: 'die' } },
      { probability: 1, fault: { kind: 'timeout' } },
      { count: 3, fault: { kind: 'init-error' } },
    ]);

    for (let i = 0; i < 4; i++) faults.atInvoke('A');
    faults.atInvoke('B');

    expect(faults.summary()).toEqual([
      'fault  die on A (first 2): injected 2×',
      'fault  timeout on every function (probability 1): injected 3×',
      'fault  init-error on every function (first 3): injected 0×',
    ]);
  });

  it('injects the same faults for the same seed and the same calls, others for another seed', () => {
    const rules: LambdaFaultRule[] = [
      { probability: 0.3, fault: { kind: 'die' } },
      { probability: 0.3, fault: { kind: 'timeout' } },
    ];
    const run = (seed: number) => {
      const { faults } = injector(rules, seed);
      return Array.from({ length: 60 }, (_, i) => faults.atInvoke(i % 2 ? 'A' : 'B')?.kind ?? '-');
    };

    const first = run(42);
    const second = run(42);
    const other = run(43);

    expect(second).toEqual(first);
    expect(other).not.toEqual(first);
    expect(first).toContain('die');
    expect(first).toContain('timeout');
    expect(first).toContain('-');
  });
});
