import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { createLogger } from '@repo/logging/logger';
import { createMetrics } from '@repo/logging/metrics';
import type { Observability } from '@repo/logging/observability';
import { createTracer, type Tracer } from '@repo/logging/tracer';

/**
 * A handler's observability for tests that do not look at it: a SILENT logger, metrics built disabled
 * (Powertools reads POWERTOOLS_METRICS_DISABLED when a Metrics is built, so nothing reaches stdout) and
 * a tracer, which does nothing outside Lambda. Pass the part a test looks at: `{ logger }`, `{ metrics }`.
 */
export function quietObservability(
  given: { logger?: Logger; metrics?: Metrics; tracer?: Tracer } = {},
  serviceName = 'test',
): Observability {
  return {
    logger: given.logger ?? createLogger({ serviceName, logLevel: 'SILENT' }),
    metrics: given.metrics ?? disabledMetrics(serviceName),
    tracer: given.tracer ?? createTracer({ serviceName }),
  };
}

function disabledMetrics(serviceName: string): Metrics {
  const before = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  try {
    return createMetrics({ serviceName });
  } finally {
    if (before === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = before;
  }
}
