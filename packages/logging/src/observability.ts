import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
// By the package's own name, not relatively: the observability bench swaps these modules for no-op
// stand-ins with esbuild aliases, which match package specifiers only.
import { compileCacheMiss } from '@repo/logging/compile-cache';
import type { CorrelationIdOf } from '@repo/logging/correlation';
import { createLogger, type LoggerSettings } from '@repo/logging/logger';
import { createMetrics, withMetrics } from '@repo/logging/metrics';
import { withLogging } from '@repo/logging/middleware';
import { createTracer, type Tracer, withTracing } from '@repo/logging/tracer';
import type { Context } from 'aws-lambda';

/**
 * What a function reports through: structured logs, business metrics (CloudWatch EMF) and traces. All
 * three are always there; outside Lambda, or switched off (POWERTOOLS_TRACE_ENABLED=false), the tracer
 * does nothing, and tests that do not look at metrics build them disabled.
 */
export interface Observability {
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
}

/**
 * Builds the function's logger, metrics and tracer; call it once at module scope. A cold start that
 * missed the artifact's compile cache says so at WARN, once: the function works, only its cold starts
 * compile the bundle, until the build's Node.js and the runtime's agree again.
 */
export function createObservability({ serviceName, logLevel }: LoggerSettings): Observability {
  const logger = createLogger({ serviceName, logLevel });
  const miss = compileCacheMiss();
  if (miss) {
    logger.warn(
      'Compile cache not used: the artifact has none for this Node.js; cold starts compile the bundle. ' +
        'Build with the Node.js the runtime runs (.node-version) or pin the runtime (RuntimeVersionArn).',
      { compileCache: miss },
    );
  }
  return {
    logger,
    metrics: createMetrics({ serviceName }),
    tracer: createTracer({ serviceName }),
  };
}

/**
 * The middy middleware every handler starts with, in this order: the invocation's trace (outermost,
 * so that it times everything else), the Lambda context and a correlation id on every log line, then
 * the cold-start metric and one flush of the invocation's metrics.
 */
export function observe<Event>(
  { logger, metrics, tracer }: Observability,
  correlationIdOf: CorrelationIdOf<Event>,
): MiddlewareObj<Event, unknown, Error, Context>[] {
  return [
    ...(withTracing(tracer) as MiddlewareObj<Event, unknown, Error, Context>[]),
    ...withLogging(logger, correlationIdOf),
    ...(withMetrics(metrics) as MiddlewareObj<Event, unknown, Error, Context>[]),
  ];
}
