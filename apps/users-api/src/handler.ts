import middy, { type MiddlewareObj } from '@middy/core';
import httpCors from '@middy/http-cors';
import httpErrorHandler from '@middy/http-error-handler';
import httpEventNormalizer from '@middy/http-event-normalizer';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpRouterHandler, { type Route } from '@middy/http-router';
import { createError } from '@middy/util';
import { createDocumentClient } from '@repo/aws/dynamodb';
import { callerOf } from '@repo/events/cognito-caller';
import { apiGatewayRequestId } from '@repo/logging/correlation';
import { createObservability, type Observability, observe } from '@repo/logging/observability';
import { annotate, traceClient } from '@repo/logging/tracer';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { asSeenBy, mayManage } from './access.ts';
import { type Config, readConfig } from './config.ts';
import { internalErrorBody, mapErrorsToHttp, RequestValidationError } from './http-errors.ts';
import { createUserStore, UserNotFoundError, type UserStore, userIdSchema } from './users.ts';

const userInputSchema = z.strictObject({
  name: z.string().check(z.trim(), z.minLength(1), z.maxLength(200)),
  email: z.email().check(z.maxLength(254)),
});

const listQuerySchema = z.object({
  limit: z._default(
    z.pipe(
      z.string().check(z.regex(/^\d{1,3}$/, 'must be a whole number from 1 to 100')),
      z.pipe(z.transform(Number), z.number().check(z.minimum(1), z.maximum(100, 'must be at most 100'))),
    ),
    25,
  ),
  nextToken: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
});

const userPathSchema = z.object({ id: userIdSchema });

type RouteHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/** Same pattern http-json-body-parser accepts: application/json and application/*+json, any parameters. */
const jsonMediaType = /^application\/(.+\+)?json($|;.+)/;

export interface UsersApiDependencies {
  users: UserStore;
  observability: Observability;
  config: Pick<Config, 'MAX_BODY_BYTES' | 'CORS_ALLOWED_ORIGIN' | 'ADMIN_GROUP'>;
}

/** The entry point as Lambda calls it for an API Gateway REST (v1) proxy integration. */
export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** Builds the users REST API handler (API Gateway REST, proxy integration) around its dependencies. */
export function createHandler({ users, observability, config }: UsersApiDependencies): ApiHandler {
  const { logger, metrics, tracer } = observability;
  const count = (name: string) => metrics.addMetric(name, 'Count', 1);
  const caller = (event: APIGatewayProxyEvent) => callerOf(event, config.ADMIN_GROUP);
  /**
   * The record the path names, if the caller may manage it (src/access.ts); one they may not is
   * answered as one that does not exist. The user id is what on-call searches traces by
   * (`annotation.userId = "…"`); never the email or name.
   */
  const userId = (event: APIGatewayProxyEvent): string => {
    const who = caller(event);
    const id = parse(userPathSchema, event.pathParameters ?? {}, 'path').id;
    annotate(tracer, { userId: id });
    if (!mayManage(who, id)) throw new UserNotFoundError(id);
    return id;
  };
  // Only the routes that take a body parse one; http-json-body-parser replaces `event.body` with the value.
  const jsonBody = (route: RouteHandler) =>
    middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
      .use(requireJsonBody(config.MAX_BODY_BYTES))
      .use(httpJsonBodyParser())
      .handler(route);

  const routes: Route<APIGatewayProxyEvent, APIGatewayProxyResult>[] = [
    {
      method: 'GET',
      path: '/users',
      handler: async (event: APIGatewayProxyEvent) => {
        const who = caller(event);
        const query = parse(listQuerySchema, event.queryStringParameters ?? {}, 'query');
        const page = await users.listUsers(query);
        return json(200, { ...page, items: page.items.map((user) => asSeenBy(who, user)) });
      },
    },
    {
      method: 'POST',
      path: '/users',
      handler: jsonBody(async (event) => {
        // Each caller creates their own record: its id is their token's `sub`.
        const { id } = caller(event);
        const user = await users.createUser(id, parse(userInputSchema, parsedBody(event), 'body'));
        annotate(tracer, { userId: user.id });
        count('UsersCreated');
        return json(201, user, { Location: locationOf(event, user.id) });
      }),
    },
    {
      method: 'GET',
      path: '/users/{id}',
      handler: async (event: APIGatewayProxyEvent) => json(200, await users.getUser(userId(event))),
    },
    {
      method: 'PUT',
      path: '/users/{id}',
      handler: jsonBody(async (event) => {
        const id = userId(event);
        const user = await users.replaceUser(id, parse(userInputSchema, parsedBody(event), 'body'));
        count('UsersReplaced');
        return json(200, user);
      }),
    },
    {
      method: 'DELETE',
      path: '/users/{id}',
      handler: async (event: APIGatewayProxyEvent) => {
        // Idempotent: 204 whether or not the user was there (see deleteUser); counted only when it was.
        if (await users.deleteUser(userId(event))) count('UsersDeleted');
        return { statusCode: 204, headers: {}, body: '' };
      },
    },
  ];

  const chain = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(observe(observability, apiGatewayRequestId))
    .use(
      httpCors({
        origin: config.CORS_ALLOWED_ORIGIN,
        exposeHeaders: 'Location, Retry-After',
        // Answer preflight requests here too, for when API Gateway's own OPTIONS method is not in front.
        disableBeforePreflightResponse: false,
      }),
    )
    .use(httpErrorHandler({ logger: false, fallbackMessage: internalErrorBody }))
    .use(mapErrorsToHttp(logger))
    .use(httpHeaderNormalizer())
    .use(httpEventNormalizer())
    .handler(httpRouterHandler({ routes, notFoundResponse: methodNotAllowedOrNotFound(routes) }));
  // http-event-normalizer narrows middy's event type (maps never null); Lambda still passes the raw event.
  return chain as ApiHandler;
}

/** 405 with `Allow` when the path exists under other methods, else 404. */
function methodNotAllowedOrNotFound(routes: Route<APIGatewayProxyEvent, unknown>[]) {
  const patterns = [...new Set(routes.map((route) => route.path))].map((path) => ({
    regex: new RegExp(`^${path.replace(/\{[^/]+\}/g, '[^/]+')}/?$`),
    methods: routes.filter((route) => route.path === path).map((route) => route.method),
  }));
  return ({ method, path }: { method: string; path: string }): never => {
    const allowed = patterns.find((pattern) => pattern.regex.test(path))?.methods;
    if (!allowed) throw createError(404, `No route for ${method.slice(0, 20)} ${path.slice(0, 200)}`);
    const allow = allowed.join(', ');
    const error = createError(405, `${method.slice(0, 20)} is not allowed here; use ${allow}`);
    throw Object.assign(error, { headers: { Allow: allow } });
  };
}

/** Checks what http-json-body-parser leaves to us: media type, presence and size. */
function requireJsonBody(maxBytes: number): MiddlewareObj<APIGatewayProxyEvent> {
  return {
    before: function requireJsonBodyBefore({ event }) {
      const contentType = event.headers?.['content-type'];
      if (!contentType || !jsonMediaType.test(contentType)) {
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

function parse<Schema extends z.ZodMiniType>(
  schema: Schema,
  value: unknown,
  part: RequestValidationError['part'],
): z.output<Schema> {
  const result = schema.safeParse(value);
  if (!result.success) throw new RequestValidationError(part, result.error);
  return result.data;
}

/** The value http-json-body-parser left in place of the raw body. */
const parsedBody = (event: APIGatewayProxyEvent): unknown => event.body as unknown;

function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * Where a created user lives, as the client addresses it: `requestContext.path` is the path the client
 * sent, stage or custom-domain base path included (`/dev/users`), where `event.path` is not.
 */
function locationOf(event: APIGatewayProxyEvent, id: string): string {
  const collection = (event.requestContext?.path ?? event.path).replace(/\/+$/, '');
  return `${collection}/${id}`;
}

// One container, one set of clients: built at cold start, reused by every invocation.
const config = readConfig();
const observability = createObservability({
  serviceName: config.POWERTOOLS_SERVICE_NAME,
  logLevel: config.POWERTOOLS_LOG_LEVEL,
});
const users = createUserStore({
  db: traceClient(observability.tracer, createDocumentClient({ maxAttempts: config.AWS_MAX_ATTEMPTS })),
  tableName: config.USERS_TABLE_NAME,
});

export const handler = createHandler({ users, observability, config });
