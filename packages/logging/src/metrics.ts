import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { MiddlewareObj } from '@middy/core';

/** The CloudWatch namespace of every function's business metrics; `service` is the dimension. */
export const metricsNamespace = 'LambdaMonorepo';

/** Builds the function's one Powertools Metrics (CloudWatch EMF on stdout); call it once at module scope. */
export function createMetrics({ serviceName }: { serviceName: string }): Metrics {
  return new Metrics({ namespace: metricsNamespace, serviceName });
}

/**
 * middy middleware: flushes the invocation's metrics as one EMF line when it ends (also on errors),
 * counts cold starts (ColdStart, its own EMF line), and stays quiet when nothing was recorded. Without
 * a Metrics (tests that do not look at metrics) it does nothing.
 */
export function withMetrics(metrics: Metrics | undefined): MiddlewareObj[] {
  if (!metrics) return [];
  return [logMetrics(metrics, { captureColdStartMetric: true, throwOnEmptyMetrics: false }) as MiddlewareObj];
}
