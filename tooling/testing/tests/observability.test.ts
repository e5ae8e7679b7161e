import { afterEach, describe, expect, it, vi } from 'vitest';
import { quietObservability } from '../src/observability.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('quietObservability', () => {
  it('writes nothing to stdout: no log line, no EMF line, not even for a single metric', () => {
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    const { logger, metrics } = quietObservability();

    logger.error('not shown');
    metrics.addMetric('Things', 'Count', 1);
    metrics.publishStoredMetrics();
    const single = metrics.singleMetric();
    single.addDimension('size', 'small');
    single.addMetric('ThingsBySize', 'Count', 1);

    expect(written).toEqual([]);
    expect(process.env.POWERTOOLS_METRICS_DISABLED).toBeUndefined();
  });

  it('keeps the part a test passes in', () => {
    const given = quietObservability();

    expect(quietObservability({ logger: given.logger }).logger).toBe(given.logger);
    expect(quietObservability({ metrics: given.metrics }).metrics).toBe(given.metrics);
    expect(quietObservability({ tracer: given.tracer }).tracer).toBe(given.tracer);
  });
});
