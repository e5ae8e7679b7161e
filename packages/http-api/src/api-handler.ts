import middy, { type MiddyfiedHandler } from '@middy/core';
import httpCors, { type Options as CorsOptions } from '@middy/http-cors';
import httpErrorHandler from '@middy/http-error-handler';
import httpEventNormalizer from '@middy/http-event-normalizer';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { apiGatewayRequestId } from '@repo/logging/correlation';
import { type Observability, observe } from '@repo/logging/observability';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { internalErrorBody } from './error-body.ts';
import { type DomainErrorMapping, mapErrorsToHttp } from './map-errors.ts';

/** The entry point as Lambda calls it for an API Gateway REST (v1) proxy integration. */
export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface ApiHandlerOptions {
  observability: Observability;
  /** http-cors options: at least the allowed `origin`, and the response headers browsers may read. */
  cors: Pick<CorsOptions, 'origin' | 'exposeHeaders'>;
  /** The app's own errors as HTTP errors; validation, 401, middy's and unknown errors are handled here. */
  mapDomainError: DomainErrorMapping;
  /**
   * The app's `httpRouterHandler({ routes, notFoundResponse: methodNotAllowedOrNotFound(routes) })`.
   * Built in the app's handler module, not here, because pnpm check:contract reads the routes from that
   * module's own call to @middy/http-router to check them against the template's Api events.
   */
  router: MiddyfiedHandler<APIGatewayProxyEvent, APIGatewayProxyResult>;
}

/**
 * A REST API's whole middy chain around its router: observability (trace, log context, metrics), CORS
 * on every answer (preflights too), the JSON 500, errors mapped and logged once, headers and event
 * normalized for the routes.
 */
export function createApiHandler({
  observability,
  cors,
  mapDomainError,
  router,
}: ApiHandlerOptions): ApiHandler {
  const chain = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(observe(observability, apiGatewayRequestId))
    .use(
      httpCors({
        ...cors,
        // Answer preflight requests here too, for when API Gateway's own OPTIONS method is not in front.
        disableBeforePreflightResponse: false,
      }),
    )
    .use(httpErrorHandler({ logger: false, fallbackMessage: internalErrorBody }))
    .use(mapErrorsToHttp(observability.logger, mapDomainError))
    .use(httpHeaderNormalizer())
    .use(httpEventNormalizer())
    .handler(router);
  // http-event-normalizer narrows middy's event type (maps never null); Lambda still passes the raw event.
  return chain as ApiHandler;
}
