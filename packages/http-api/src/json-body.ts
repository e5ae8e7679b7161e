import middy, { type MiddlewareObj, type MiddyfiedHandler } from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import { createError, jsonContentTypePattern } from '@middy/util';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/** A route's handler as http-router calls it. */
export type RouteHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/**
 * Checks what http-json-body-parser leaves to us: media type (415), presence (400) and size (413,
 * counting decoded bytes). Expects http-header-normalizer to have lower-cased the header names.
 */
export function requireJsonBody(maxBytes: number): MiddlewareObj<APIGatewayProxyEvent> {
  return {
    before: function requireJsonBodyBefore({ event }) {
      const contentType = event.headers?.['content-type'];
      // The parser's own pattern (application/json and application/*+json, any case, any parameters), so
      // every 415 is this one: one the parser threw would read as unparsable JSON (mapErrorsToHttp).
      if (!contentType || !jsonContentTypePattern.test(contentType)) {
        throw createError(415, 'Content-Type must be application/json');
      }
      const { body, isBase64Encoded } = event;
      if (typeof body !== 'string' || body.length === 0)
        throw createError(400, 'A JSON request body is required');
      const bytes = isBase64Encoded ? Buffer.byteLength(body, 'base64') : Buffer.byteLength(body, 'utf8');
      if (bytes > maxBytes) throw createError(413, `The request body exceeds ${maxBytes} bytes`);
    },
  };
}

/**
 * Wraps the routes that take a JSON body of at most `maxBytes`: checked (requireJsonBody), then parsed,
 * so that `event.body` is the value (read it with parsedBody); only these routes parse a body.
 */
export function withJsonBody(
  maxBytes: number,
): (route: RouteHandler) => MiddyfiedHandler<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return (route) =>
    middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
      .use(requireJsonBody(maxBytes))
      .use(httpJsonBodyParser())
      .handler(route);
}

/** The value http-json-body-parser left in place of the raw body. */
export const parsedBody = (event: APIGatewayProxyEvent): unknown => event.body as unknown;
