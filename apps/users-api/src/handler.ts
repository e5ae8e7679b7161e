import httpRouterHandler, { type Route } from '@middy/http-router';
import { createDocumentClient } from '@repo/aws/dynamodb';
import { callerOf } from '@repo/events/cognito-caller';
import { type ApiHandler, createApiHandler } from '@repo/http-api/api-handler';
import { httpError } from '@repo/http-api/error-body';
import { parsedBody, withJsonBody } from '@repo/http-api/json-body';
import { json } from '@repo/http-api/json-response';
import type { DomainErrorMapping } from '@repo/http-api/map-errors';
import { methodNotAllowedOrNotFound } from '@repo/http-api/not-found';
import { parse } from '@repo/http-api/validation';
import { createObservability, type Observability } from '@repo/logging/observability';
import { annotate, traceClient } from '@repo/logging/tracer';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod/mini';
import { asSeenBy, mayManage } from './access.ts';
import { type Config, readConfig } from './config.ts';
import {
  createUserStore,
  InvalidPageTokenError,
  UserAlreadyExistsError,
  UserNotFoundError,
  type UserStore,
  UsersStoreUnavailableError,
  userIdSchema,
} from './users.ts';

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

export interface UsersApiDependencies {
  users: UserStore;
  observability: Observability;
  config: Pick<Config, 'MAX_BODY_BYTES' | 'CORS_ALLOWED_ORIGIN' | 'ADMIN_GROUP'>;
}

/** Builds the users REST API handler (API Gateway REST, proxy integration) around its dependencies. */
export function createHandler({ users, observability, config }: UsersApiDependencies): ApiHandler {
  const { metrics, tracer } = observability;
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
  // Only the routes that take a body parse one.
  const jsonBody = withJsonBody(config.MAX_BODY_BYTES);

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

  return createApiHandler({
    observability,
    cors: { origin: config.CORS_ALLOWED_ORIGIN, exposeHeaders: 'Location, Retry-After' },
    mapDomainError: usersErrorToHttp,
    router: httpRouterHandler({ routes, notFoundResponse: methodNotAllowedOrNotFound(routes) }),
  });
}

/** Seconds a client should wait before retrying after a 503 (DynamoDB throttling clears in about that). */
const retryAfterSeconds = 1;

/** The users API's own errors as HTTP answers (@repo/http-api maps the rest). */
const usersErrorToHttp: DomainErrorMapping = (error) => {
  if (error instanceof UserNotFoundError)
    return httpError(404, { error: 'UserNotFound', message: error.message });
  if (error instanceof UserAlreadyExistsError)
    return httpError(409, { error: 'UserExists', message: error.message });
  if (error instanceof InvalidPageTokenError)
    return httpError(400, { error: 'InvalidNextToken', message: error.message });
  if (error instanceof UsersStoreUnavailableError) {
    return httpError(
      503,
      { error: 'ServiceUnavailable', message: 'The service is busy; retry shortly' },
      { 'Retry-After': String(retryAfterSeconds) },
    );
  }
  return undefined;
};

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
