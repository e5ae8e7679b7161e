import middy from '@middy/core';
import { lambdaContext } from '@repo/testing/lambda-context';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMetrics, withMetrics } from '../src/metrics.ts';

let lines: string[];

beforeEach(() => {
  lines = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    });
  }
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('withMetrics', () => {
  it('counts the cold start once, flushes recorded metrics per invocation, and is silent when none were recorded', async () => {
    const metrics = createMetrics({ serviceName: 'svc' });
    const handler = middy(async (event: { record: boolean }) => {
      if (event.record) metrics.addMetric('ThingsDone', 'Count', 2);
    }).use(withMetrics(metrics));

    await handler({ record: false }, lambdaContext({ functionName: 'fn' }));
    await handler({ record: false }, lambdaContext({ functionName: 'fn' }));
    await handler({ record: true }, lambdaContext({ functionName: 'fn' }));

    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed).toEqual([
      expect.objectContaining({ ColdStart: 1, service: 'svc', function_name: 'fn' }),
      expect.objectContaining({ ThingsDone: 2, service: 'svc' }),
    ]);
  });

  it('flushes what was recorded when the handler fails', async () => {
    const metrics = createMetrics({ serviceName: 'svc' });
    const handler = middy(async () => {
      metrics.addMetric('Attempts', 'Count', 1);
      throw new Error('boom');
    }).use(withMetrics(metrics));

    await expect(handler({}, lambdaContext())).rejects.toThrow('boom');

    expect(lines.map((line) => JSON.parse(line))).toContainEqual(expect.objectContaining({ Attempts: 1 }));
  });
});
