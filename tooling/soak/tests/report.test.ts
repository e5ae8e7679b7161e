import type { JournalEntry } from '@repo/local/journal';
import { describe, expect, it } from 'vitest';
import { faultCounts, formatReport, percentile, retryCounts } from '../src/report.ts';

describe('percentile', () => {
  it('takes the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, index) => 100 - index);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('the report', () => {
  const journal: JournalEntry[] = [
    {
      at: 1,
      type: 'aws-fault',
      service: 's3',
      operation: 'GetObject',
      resource: 'b/k',
      fault: { kind: 'error', status: 503, code: 'SlowDown', when: 'before' },
    },
    {
      at: 1,
      type: 'aws-fault',
      service: 's3',
      operation: 'PutObject',
      resource: 'b/k',
      fault: { kind: 'error', status: 503, code: 'SlowDown', when: 'before' },
    },
    {
      at: 1,
      type: 'aws-fault',
      service: 'sns',
      operation: 'Publish',
      resource: 't',
      fault: { kind: 'lost-answer' },
    },
    { at: 1, type: 'lambda-fault', functionId: 'F', fault: 'die' },
    { at: 1, type: 'aws-retry', service: 's3', operation: 'GetObject', resource: 'b/k', attempt: 2 },
    {
      at: 1,
      type: 'invocation',
      functionId: 'F',
      trigger: 'async:Upload (retry 1)',
      requestId: 'r',
      ok: true,
      durationMs: 1,
      coldStart: false,
    },
  ];

  it('counts faults by service and kind, and retries by who retried', () => {
    expect(Object.fromEntries(faultCounts(journal))).toEqual({
      's3 SlowDown 503 (before)': 2,
      'sns lost-answer': 1,
      'lambda die': 1,
    });
    expect(Object.fromEntries(retryCounts(journal))).toEqual({
      'SDK retries (s3)': 1,
      'Lambda async retries (F)': 1,
    });
  });

  it('prints the flows, the faults, the failure queues and each violation with its subject', () => {
    const text = formatReport({
      profile: 'flaky-5pct',
      seed: 7,
      seconds: 61.2,
      flows: [{ flow: 'users', operations: 120, attempts: 123, seconds: 30, p50: 12.5, p99: 80 }],
      faults: faultCounts(journal),
      retries: retryCounts(journal),
      parked: [{ queueId: 'ResizeJobsDlq', before: [{ messageId: 'm' }], after: [] }],
      violations: [
        {
          invariant: 'each job: never lost',
          subject: 'job-3 (uploads/a)',
          detail: 'neither done nor in the DLQ',
        },
      ],
    });
    expect(text).toContain('soak: profile flaky-5pct, seed 7, 61.2 s');
    expect(text).toMatch(/users\s+120\s+123\s+4\.0\s+12\.5\s+80\.0/);
    expect(text).toContain('2  s3 SlowDown 503 (before)');
    expect(text).toMatch(/ResizeJobsDlq\s+1\s+0/);
    expect(text).toContain('invariants: 1 violation');
    expect(text).toContain('✗ each job: never lost — job-3 (uploads/a): neither done nor in the DLQ');
  });

  it('says so when every invariant held', () => {
    const text = formatReport({
      profile: 'p',
      seed: 1,
      seconds: 1,
      flows: [],
      faults: new Map(),
      retries: new Map(),
      parked: [],
      violations: [],
    });
    expect(text).toContain('invariants: all held');
  });
});
