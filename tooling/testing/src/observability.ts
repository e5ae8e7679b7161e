import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * The shape of @repo/logging/tracer's Tracer. A tracer that does not trace is just this — what
 * createTracer returns outside Lambda — so it is built here, without depending on @repo/logging.
 */
interface Tracer {
  readonly serviceName: string;
  isTracingEnabled(): boolean;
}

/**
 * A handler's observability (the shape of @repo/logging/observability's, built from Powertools directly
 * so that this package does not depend on @repo/logging, whose tests use it) for tests that do not look
 * at it: a SILENT logger, metrics built disabled (single metrics too, so nothing reaches stdout) and a
 * tracer that does not trace. Pass the part a test looks at: `{ logger }`, `{ metrics }`, `{ tracer }`.
 */
export function quietObservability(
  given: { logger?: Logger; metrics?: Metrics; tracer?: Tracer } = {},
  serviceName = 'test',
): { logger: Logger; metrics: Metrics; tracer: Tracer } {
  return {
    logger: given.logger ?? new Logger({ serviceName, logLevel: 'SILENT' }),
    metrics: given.metrics ?? disabledMetrics(serviceName),
    tracer: given.tracer ?? { serviceName, isTracingEnabled: () => false },
  };
}

/**
 * Metrics built with POWERTOOLS_METRICS_DISABLED set. Powertools reads that variable in the constructor,
 * and singleMetric() builds a fresh Metrics, so single metrics are built disabled the same way.
 */
class DisabledMetrics extends Metrics {
  constructor(private readonly service: string) {
    super({ namespace: 'Test', serviceName: service });
  }

  override singleMetric(): Metrics {
    return disabledMetrics(this.service);
  }
}

function disabledMetrics(serviceName: string): Metrics {
  const before = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  try {
    return new DisabledMetrics(serviceName);
  } finally {
    if (before === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = before;
  }
}
