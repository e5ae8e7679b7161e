import httpRouterHandler, { type Route } from '@middy/http-router';
import { createError } from '@middy/util';
import { callerOf } from '@repo/events/cognito-caller';
import { lambdaContext } from '@repo/testing/lambda-context';
import { quietObservability } from '@repo/testing/observability';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { createApiHandler } from '../src/api-handler.ts';
import { httpError } from '../src/error-body.ts';
import { parsedBody, withJsonBody } from '../src/json-body.ts';
import { json } from '../src/json-response.ts';
import { methodNotAllowedOrNotFound } from '../src/not-found.ts';
import { parse } from '../src/validation.ts';

class ThingsBusyError extends Error {
  override readonly name = 'ThingsBusyError';
}

const thingSchema = z.strictObject({ name: z.string().check(z.minLength(1)) });
const routes: Route<APIGatewayProxyEvent, APIGatewayProxyResult>[] = [
  {
    method: 'POST',
    path: '/things',
    handler: withJsonBody(64)(async (event) => {
      callerOf(event);
      const thing = parse(thingSchema, parsedBody(event), 'body');
      return json(201, thing, { Location: `/things/${thing.name}` });
    }),
  },
  {
    method: 'GET',
    path: '/things/{id}',
    handler: async (event: APIGatewayProxyEvent) => {
      const id = event.pathParameters?.id;
      if (id === 'busy') throw new ThingsBusyError();
      if (id === 'broken') throw new Error('connect ECONNREFUSED 10.0.0.1:443');
      if (id === 'moving') throw createError(409, 'The thing is being moved');
      return json(200, { id });
    },
  },
];

const handler = createApiHandler({
  observability: quietObservability(),
  cors: { origin: 'https://app.example.com', exposeHeaders: 'Location' },
  mapDomainError: (error) =>
    error instanceof ThingsBusyError
      ? httpError(503, { error: 'ServiceUnavailable', message: 'busy' }, { 'Retry-After': '1' })
      : undefined,
  router: httpRouterHandler({ routes, notFoundResponse: methodNotAllowedOrNotFound(routes) }),
});

/** A REST API proxy event for `method` `path`, signed in unless `signedIn` is false. */
function request(
  method: string,
  path: string,
  {
    body = null,
    headers = {},
    signedIn = true,
  }: { body?: string | null; headers?: Record<string, string>; signedIn?: boolean } = {},
): APIGatewayProxyEvent {
  const id = path.match(/^\/things\/([^/]+)$/)?.[1];
  return {
    httpMethod: method,
    path,
    resource: id ? '/things/{id}' : path,
    headers: { Origin: 'https://app.example.com', ...headers },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: id ? { id } : null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      requestId: 'request-1',
      path: `/dev${path}`,
      authorizer: signedIn ? { claims: { sub: 'caller-1' } } : null,
    },
  } as unknown as APIGatewayProxyEvent;
}

async function invoke(event: APIGatewayProxyEvent) {
  const response = await handler(event, lambdaContext());
  return { ...response, json: response.body ? (JSON.parse(response.body) as unknown) : undefined };
}

const jsonHeaders = { 'Content-Type': 'application/json' };

describe('createApiHandler', () => {
  it('routes a request through the JSON-body checks and the parser to its handler', async () => {
    const response = await invoke(
      request('POST', '/things', { body: '{"name":"lamp"}', headers: jsonHeaders }),
    );

    expect(response.statusCode).toBe(201);
    expect(response.json).toEqual({ name: 'lamp' });
    expect(response.headers).toMatchObject({
      'Content-Type': 'application/json',
      Location: '/things/lamp',
      'Access-Control-Allow-Origin': 'https://app.example.com',
      'Access-Control-Expose-Headers': 'Location',
    });
  });

  it.each([
    ['a body that fails its schema', { body: '{"name":""}', headers: jsonHeaders }, 400, 'ValidationError'],
    ['malformed JSON', { body: '{"name"', headers: jsonHeaders }, 400, 'MalformedJson'],
    ['no body', { body: null, headers: jsonHeaders }, 400, 'BadRequest'],
    [
      'another media type',
      { body: '{"name":"lamp"}', headers: { 'content-type': 'text/plain' } },
      415,
      'UnsupportedMediaType',
    ],
    [
      'a body over the limit',
      { body: JSON.stringify({ name: 'x'.repeat(64) }), headers: jsonHeaders },
      413,
      'PayloadTooLarge',
    ],
    ['no identity', { body: '{"name":"lamp"}', headers: jsonHeaders, signedIn: false }, 401, 'Unauthorized'],
  ])('answers %s with %i %s in JSON, CORS headers included', async (_, options, status, code) => {
    const response = await invoke(request('POST', '/things', options));

    expect(response.statusCode).toBe(status);
    expect(response.headers).toMatchObject({
      'Content-Type': 'application/json',
      'Access-Control-Allow-Origin': 'https://app.example.com',
    });
    expect(response.json).toMatchObject({ error: code, message: expect.any(String) });
  });

  it('answers the app’s domain errors with their status and headers', async () => {
    const response = await invoke(request('GET', '/things/busy'));

    expect(response.statusCode).toBe(503);
    expect(response.headers?.['Retry-After']).toBe('1');
    expect(response.json).toEqual({ error: 'ServiceUnavailable', message: 'busy' });
  });

  it('answers an unexpected error with the JSON 500 and nothing of the error', async () => {
    const response = await invoke(request('GET', '/things/broken'));

    expect(response.statusCode).toBe(500);
    expect(response.headers?.['Content-Type']).toBe('application/json');
    expect(response.json).toEqual({ error: 'InternalError', message: 'An unexpected error occurred' });
    expect(response.body).not.toMatch(/ECONNREFUSED|10\.0\.0\.1/);
  });

  it('keeps a middy HTTP error’s status, with a JSON body', async () => {
    const response = await invoke(request('GET', '/things/moving'));

    expect(response.statusCode).toBe(409);
    expect(response.json).toEqual({ error: 'Conflict', message: 'The thing is being moved' });
  });

  it('answers 405 with Allow for a known path, 404 for an unknown one', async () => {
    const notAllowed = await invoke(request('DELETE', '/things/lamp'));
    const notFound = await invoke(request('GET', '/others'));

    expect(notAllowed.statusCode).toBe(405);
    expect(notAllowed.headers?.Allow).toBe('GET');
    expect(notAllowed.json).toEqual({
      error: 'MethodNotAllowed',
      message: 'DELETE is not allowed here; use GET',
    });
    expect(notFound.statusCode).toBe(404);
    expect(notFound.json).toEqual({ error: 'NotFound', message: 'No route for GET /others' });
  });

  it('answers a CORS preflight itself, without running a route', async () => {
    const response = await invoke(
      request('OPTIONS', '/things', { headers: { 'Access-Control-Request-Method': 'POST' } }),
    );

    expect(response.statusCode).toBe(204);
    expect(response.headers?.['Access-Control-Allow-Origin']).toBe('https://app.example.com');
  });
});
