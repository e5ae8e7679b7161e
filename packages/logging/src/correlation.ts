import type { APIGatewayProxyEvent } from 'aws-lambda';

/** Picks the id that ties an invocation's log lines to the work it was asked to do. */
export type CorrelationIdOf<Event> = (event: Event) => string | undefined;

/** API Gateway (REST) request id: the same id API Gateway writes to its access and execution logs. */
export const apiGatewayRequestId: CorrelationIdOf<Partial<Pick<APIGatewayProxyEvent, 'requestContext'>>> = (
  event,
) => event.requestContext?.requestId;
