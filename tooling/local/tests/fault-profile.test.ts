import { describe, expect, it } from 'vitest';
import {
  type AwsFaultRule,
  FaultProfileError,
  faultDecider,
  parseFaultProfile,
  readFaultProfile,
} from '../src/fault-profile.ts';

describe('readFaultProfile', () => {
  it.each(['throttling', 'flaky-5pct', 'dying-environments'])('reads the shipped profile %s', (name) => {
    const profile = readFaultProfile(name);

    expect(profile.description.length).toBeGreaterThan(20);
    expect(profile.aws.length + profile.lambda.length).toBeGreaterThan(0);
  });

  it('names a profile that does not exist, and where it looked', () => {
    expect(() => readFaultProfile('no-such-profile')).toThrow(
      /no-such-profile.*faults\/no-such-profile\.json/,
    );
  });
});

describe('parseFaultProfile', () => {
  it('names every problem with the rule it is in', () => {
    const parse = () =>
      parseFaultProfile(
        {
          aws: [
            { service: 's3', fault: { kind: 'error', status: 200, code: '', when: 'sometimes' }, count: 1 },
            { service: 'sns', fault: { kind: 'explode' }, probability: 2 },
            { fault: { kind: 'reset' }, probability: 0.5, count: 1 },
          ],
          lambda: [{ fault: { kind: 'die' } }],
          extra: true,
        },
        'bad',
      );

    expect(parse).toThrow(FaultProfileError);
    expect(parse).toThrow(
      'fault profile bad: aws[0].fault.status must be an HTTP error status (400–599); aws[0].fault.code must name the error code; ' +
        'aws[0].fault.when must be "before" or "after"; aws[1].fault.kind must be one of error, lost-answer, latency, reset, hang; ' +
        'aws[1].probability must be a number in (0, 1]; aws[2].service must name a service; ' +
        'aws[2] needs either "probability" (0–1) or "count" (a whole number), not both or neither; ' +
        'lambda[0] needs either "probability" (0–1) or "count" (a whole number), not both or neither; unknown field "extra"',
    );
  });
});

describe('faultDecider', () => {
  const rules: AwsFaultRule[] = [
    { service: 'sns', count: 2, fault: { kind: 'lost-answer' } },
    { service: 's3', probability: 0.25, fault: { kind: 'reset' } },
  ];

  it('fires a counted rule for the first n matching calls only', () => {
    const decide = faultDecider(rules, 1);
    const sns = (rule: AwsFaultRule) => rule.service === 'sns';

    expect([decide(sns), decide(sns), decide(sns)].map((rule) => rule?.fault.kind)).toEqual([
      'lost-answer',
      'lost-answer',
      undefined,
    ]);
  });

  it('fires a probable rule about that often, and the same way for the same seed', () => {
    const s3 = (rule: AwsFaultRule) => rule.service === 's3';
    const run = (seed: number) => {
      const decide = faultDecider(rules, seed);
      return Array.from({ length: 4_000 }, () => decide(s3) !== undefined);
    };

    const first = run(42);
    const fired = first.filter(Boolean).length / first.length;
    expect(fired).toBeGreaterThan(0.22);
    expect(fired).toBeLessThan(0.28);
    expect(run(42)).toEqual(first);
    expect(run(43)).not.toEqual(first);
  });

  it('decides a rule’s n-th call the same way however other rules’ calls interleave with it', () => {
    const probable: AwsFaultRule[] = [
      { service: 'sns', probability: 0.5, fault: { kind: 'reset' } },
      { service: 's3', probability: 0.25, fault: { kind: 'reset' } },
    ];
    const s3 = (rule: AwsFaultRule) => rule.service === 's3';
    const sns = (rule: AwsFaultRule) => rule.service === 'sns';
    const alone = faultDecider(probable, 7);
    const interleaved = faultDecider(probable, 7);

    const s3Alone = Array.from({ length: 200 }, () => alone(s3) !== undefined);
    const s3Interleaved = Array.from({ length: 200 }, (_, index) => {
      for (let other = 0; other < index % 3; other++) interleaved(sns);
      return interleaved(s3) !== undefined;
    });

    expect(s3Interleaved).toEqual(s3Alone);
  });

  it('fires nothing for a call no rule matches', () => {
    const decide = faultDecider(rules, 1);

    expect(decide(() => false)).toBeUndefined();
  });
});
