import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';

/** The CloudWatch namespace of every function's business metrics; `service` is the dimension. */
export const metricsNamespace = 'LambdaMonorepo';

/** Builds the function's one Powertools Metrics (CloudWatch EMF on stdout); call it once at module scope. */
export function createMetrics({ serviceName }: { serviceName: string }): Metrics {
  return new Metrics({ namespace: metricsNamespace, serviceName });
}

/**
 * middy middleware: counts the cold start (ColdStart, its own EMF line) and flushes the invocation's
 * metrics as one EMF line when it ends, errors included. Unlike Powertools' logMetrics it says nothing
 * when an invocation recorded nothing (a read request, say): that warning would be on most log streams.
 */
export function withMetrics(metrics: Metrics): MiddlewareObj<unknown, unknown, Error, Context>[] {
  const flush = () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return [
    {
      before: function captureColdStartBefore(request) {
        metrics.captureColdStartMetric(request.context.functionName);
      },
      after: function publishMetricsAfter() {
        flush();
      },
      onError: function publishMetricsOnError() {
        flush();
      },
    },
  ];
}
