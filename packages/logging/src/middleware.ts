import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { CorrelationIdOf } from './correlation.ts';

/**
 * The middy middleware every function starts with: Lambda context (request id, cold start, function
 * name and memory) on every log line, plus a correlation id taken from the event. Keys appended during
 * an invocation are reset after it, so nothing leaks into the next one.
 */
export function withLogging<Event>(
  logger: Logger,
  correlationIdOf: CorrelationIdOf<Event>,
): MiddlewareObj<Event, unknown, Error, Context>[] {
  const setCorrelationId: MiddlewareObj<Event, unknown, Error, Context> = {
    before: function setCorrelationIdBefore(request) {
      const correlationId = correlationIdOf(request.event);
      if (correlationId) logger.setCorrelationId(correlationId);
    },
  };
  return [injectLambdaContext(logger, { resetKeys: true }), setCorrelationId];
}
