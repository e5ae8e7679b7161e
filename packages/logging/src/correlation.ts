import type { APIGatewayProxyEvent } from 'aws-lambda';

/** Picks the id that ties an invocation's log lines to the work it was asked to do. */
export type CorrelationIdOf<Event> = (event: Event) => string | undefined;

/** API Gateway (REST) request id: the same id API Gateway writes to its access and execution logs. */
export const apiGatewayRequestId: CorrelationIdOf<Partial<Pick<APIGatewayProxyEvent, 'requestContext'>>> = (
  event,
) => event.requestContext?.requestId;

/**
 * S3 object events: the EventBridge event id, or the S3 request id of a notification record — the ids
 * S3 and EventBridge write to their own logs.
 */
export const s3EventId: CorrelationIdOf<unknown> = (event) => {
  const value = event as { id?: unknown; Records?: { responseElements?: Record<string, unknown> }[] } | null;
  if (typeof value?.id === 'string') return value.id;
  const requestId = value?.Records?.[0]?.responseElements?.['x-amz-request-id'];
  return typeof requestId === 'string' ? requestId : undefined;
};
