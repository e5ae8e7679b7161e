import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '@repo/aws/dynamodb';
import { readTemplate } from '@repo/sam-template/read-template';
import { restApiEvent } from '@repo/testing/api-gateway-event';
import { createTablesFromTemplate } from '@repo/testing/dynamodb-tables';
import { lambdaContext } from '@repo/testing/lambda-context';
import {
  dynamoDbOperation,
  type LostAnswerProxy,
  startLostAnswerProxy,
} from '@repo/testing/lost-answer-proxy';
import { useMotoEnvironment } from '@repo/testing/moto-environment';
// Declares the value the moto global setup provides (inject('motoEndpoint')).
import type {} from '@repo/testing/moto-global-setup';
import { quietObservability } from '@repo/testing/observability';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createUserStore } from '../../src/users.ts';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const endpoint = inject('motoEndpoint');
// USERS_TABLE_NAME is set per table below, before each handler module is imported.
useMotoEnvironment(endpoint, { USERS_TABLE_NAME: 'not-created' });
const bundlePath = fileURLToPath(new URL('../../dist/index.mjs', import.meta.url));
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** Creates a fresh users table from template.yaml and loads a handler module bound to it, as Lambda would. */
async function loadHandler(modulePath: string): Promise<Handler> {
  const admin = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials });
  const { UsersTable } = await createTablesFromTemplate(admin, readTemplate(), ['UsersTable']);
  process.env.USERS_TABLE_NAME = UsersTable;
  const module = (await import(/* @vite-ignore */ `${modulePath}?table=${UsersTable}`)) as {
    handler: Handler;
  };
  return module.handler;
}

/** A new signed-in user, as API Gateway's Cognito authorizer passes them: their record's id is `sub`. */
const newUser = () => ({ sub: randomUUID() });
/** A member of the admin group (ADMIN_GROUP, default `admins`). */
const admin = { sub: randomUUID(), groups: ['admins'] };

/** One request, as the admin unless the request names its caller. */
async function call(handler: Handler, request: Parameters<typeof restApiEvent>[0]) {
  const event = restApiEvent({ caller: admin, ...request });
  const response = await handler(event, lambdaContext({ functionName: 'users-api' }));
  return { ...response, json: response.body ? JSON.parse(response.body) : undefined };
}

const jsonHeaders = { 'Content-Type': 'application/json' };

describe.each([
  ['source', fileURLToPath(new URL('../../src/handler.ts', import.meta.url))],
  ['deployable bundle (dist/index.mjs)', bundlePath],
])('users-api against moto DynamoDB, %s', (_, modulePath) => {
  let handler: Handler;

  beforeAll(async () => {
    expect(existsSync(modulePath), `${modulePath} is missing: run the build first`).toBe(true);
    handler = await loadHandler(modulePath);
  });

  it('lets a user create, read, replace and delete their own record', async () => {
    const grace = newUser();
    const created = await call(handler, {
      method: 'POST',
      path: '/users',
      caller: grace,
      headers: jsonHeaders,
      body: JSON.stringify({ name: 'Grace Hopper', email: 'grace@example.com' }),
    });
    expect(created.statusCode).toBe(201);
    const id = created.json.id as string;
    expect(id).toBe(grace.sub);
    expect(created.headers?.Location).toBe(`/dev/users/${id}`);

    const read = await call(handler, {
      method: 'GET',
      path: `/users/${id}`,
      resource: '/users/{id}',
      caller: grace,
    });
    expect(read.statusCode).toBe(200);
    expect(read.json).toEqual(created.json);

    const replaced = await call(handler, {
      method: 'PUT',
      path: `/users/${id}`,
      resource: '/users/{id}',
      caller: grace,
      headers: jsonHeaders,
      body: JSON.stringify({ name: 'Rear Admiral Hopper', email: 'hopper@example.com' }),
    });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json).toMatchObject({
      id,
      name: 'Rear Admiral Hopper',
      email: 'hopper@example.com',
      createdAt: created.json.createdAt,
    });

    const deleted = await call(handler, {
      method: 'DELETE',
      path: `/users/${id}`,
      resource: '/users/{id}',
      caller: grace,
    });
    expect(deleted.statusCode).toBe(204);

    const gone = await call(handler, {
      method: 'GET',
      path: `/users/${id}`,
      resource: '/users/{id}',
      caller: grace,
    });
    expect(gone.statusCode).toBe(404);
    // DELETE is idempotent: a user that is not there (any more) is deleted all the same.
    const deletedAgain = await call(handler, {
      method: 'DELETE',
      path: `/users/${id}`,
      resource: '/users/{id}',
      caller: grace,
    });
    expect(deletedAgain.statusCode).toBe(204);
  });

  it('answers another user’s record as missing to anyone but an admin, and leaves it unchanged', async () => {
    // Prepare: B's record, and A, who is not an admin
    const b = newUser();
    const a = newUser();
    const created = await call(handler, {
      method: 'POST',
      path: '/users',
      caller: b,
      headers: jsonHeaders,
      body: JSON.stringify({ name: 'Barbara Liskov', email: 'barbara@example.com' }),
    });
    const path = `/users/${b.sub}`;

    // Act: A reads, replaces and deletes B
    const read = await call(handler, { method: 'GET', path, resource: '/users/{id}', caller: a });
    const replaced = await call(handler, {
      method: 'PUT',
      path,
      resource: '/users/{id}',
      caller: a,
      headers: jsonHeaders,
      body: JSON.stringify({ name: 'Mallory', email: 'mallory@example.com' }),
    });
    const deleted = await call(handler, { method: 'DELETE', path, resource: '/users/{id}', caller: a });
    const listed = await call(handler, { method: 'GET', path: '/users', query: { limit: '100' }, caller: a });

    // Assess: not found, each time; B as B created it; B's email nowhere in A's list
    for (const response of [read, replaced, deleted]) expect(response.statusCode).toBe(404);
    const asAdmin = await call(handler, { method: 'GET', path, resource: '/users/{id}' });
    expect(asAdmin.json).toEqual(created.json);
    expect(JSON.stringify(listed.json)).not.toContain('barbara@example.com');
    expect(listed.json.items).toContainEqual({ id: b.sub, name: 'Barbara Liskov' });
    // B may delete B (and leaves the table as the other tests expect it).
    expect(
      (await call(handler, { method: 'DELETE', path, resource: '/users/{id}', caller: b })).statusCode,
    ).toBe(204);
  });

  it('answers 404 when replacing a user that does not exist, and creates nothing', async () => {
    const id = '00000000-0000-4000-8000-000000000000';

    const replaced = await call(handler, {
      method: 'PUT',
      path: `/users/${id}`,
      resource: '/users/{id}',
      headers: jsonHeaders,
      body: JSON.stringify({ name: 'Nobody', email: 'nobody@example.com' }),
    });

    expect(replaced.statusCode).toBe(404);
    const read = await call(handler, { method: 'GET', path: `/users/${id}`, resource: '/users/{id}' });
    expect(read.statusCode).toBe(404);
  });

  it('pages through every user exactly once with limit and nextToken', async () => {
    const createdIds = new Set<string>();
    for (let index = 0; index < 5; index += 1) {
      const created = await call(handler, {
        method: 'POST',
        path: '/users',
        caller: newUser(),
        headers: jsonHeaders,
        body: JSON.stringify({ name: `User ${index}`, email: `user${index}@example.com` }),
      });
      createdIds.add(created.json.id);
    }

    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const query: Record<string, string> = { limit: '2', ...(nextToken ? { nextToken } : {}) };
      const page = await call(handler, { method: 'GET', path: '/users', query });
      expect(page.statusCode).toBe(200);
      expect(page.json.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.json.items.map((user: { id: string }) => user.id));
      nextToken = page.json.nextToken;
      pages += 1;
    } while (nextToken && pages < 10);

    expect(new Set(seen)).toEqual(createdIds);
    expect(seen).toHaveLength(createdIds.size);
  });
});

describe('users-api when DynamoDB cannot be reached', () => {
  it('answers 503 with Retry-After after the SDK has retried', async () => {
    const { createHandler } = await import('../../src/handler.ts');
    // Nothing listens on port 9 (discard) on loopback: every attempt is refused.
    const db = createDocumentClient({ maxAttempts: 2, endpoint: 'http://127.0.0.1:9' });
    const deadHandler = createHandler({
      users: createUserStore({ db, tableName: 'users' }),
      observability: quietObservability(),
      config: { MAX_BODY_BYTES: 16_384, CORS_ALLOWED_ORIGIN: '*', ADMIN_GROUP: 'admins' },
    });

    const response = await call(deadHandler, {
      method: 'GET',
      path: '/users/00000000-0000-4000-8000-000000000000',
      resource: '/users/{id}',
    });

    expect(response.statusCode).toBe(503);
    expect(response.headers?.['Retry-After']).toBe('1');
    expect(response.json).toEqual({
      error: 'ServiceUnavailable',
      message: 'The service is busy; retry shortly',
    });
  });
});

describe.each([
  ['source', fileURLToPath(new URL('../../src/handler.ts', import.meta.url))],
  ['deployable bundle (dist/index.mjs)', bundlePath],
])(
  'users-api when DynamoDB applies a write and loses its answer (the SDK retries it), %s',
  (_, modulePath) => {
    const proxies: LostAnswerProxy[] = [];
    afterEach(() => {
      process.env.AWS_ENDPOINT_URL = endpoint;
    });
    afterAll(async () => {
      await Promise.all(proxies.map((proxy) => proxy.close()));
    });

    /**
     * A handler whose DynamoDB calls pass a proxy that applies the first `operation` and drops its
     * answer. A fresh module (a container of its own): its client takes AWS_ENDPOINT_URL at its first
     * request and keeps it, so the variable names the proxy from then on, for the test's length.
     */
    async function handlerLosing(operation: string) {
      const proxy = await startLostAnswerProxy({
        target: endpoint,
        loseAnswer: dynamoDbOperation(operation),
      });
      proxies.push(proxy);
      const handler = await loadHandler(modulePath);
      process.env.AWS_ENDPOINT_URL = proxy.endpoint;
      return { proxy, handler };
    }

    it('answers 201 to the create, with the one user it stored', async () => {
      // Prepare
      const { proxy, handler } = await handlerLosing('PutItem');

      // Act
      const created = await call(handler, {
        method: 'POST',
        path: '/users',
        caller: newUser(),
        headers: jsonHeaders,
        body: JSON.stringify({ name: 'Margaret Hamilton', email: 'margaret@example.com' }),
      });

      // Assess: the first put was applied and its answer lost; the retry met it and knew it for its own
      expect(proxy.lost).toHaveLength(1);
      expect(created.statusCode).toBe(201);
      const listed = await call(handler, { method: 'GET', path: '/users' });
      expect(listed.json.items).toEqual([created.json]);
    });

    it('answers 204 to the delete, and the user is gone', async () => {
      // Prepare
      const { proxy, handler } = await handlerLosing('DeleteItem');
      const created = await call(handler, {
        method: 'POST',
        path: '/users',
        caller: newUser(),
        headers: jsonHeaders,
        body: JSON.stringify({ name: 'Katherine Johnson', email: 'katherine@example.com' }),
      });
      const path = `/users/${created.json.id}`;

      // Act
      const deleted = await call(handler, { method: 'DELETE', path, resource: '/users/{id}' });

      // Assess
      expect(proxy.lost).toHaveLength(1);
      expect(deleted.statusCode).toBe(204);
      expect((await call(handler, { method: 'GET', path, resource: '/users/{id}' })).statusCode).toBe(404);
    });

    it('answers 200 to the replace, with the new values stored once', async () => {
      // Prepare: the update's answer is lost; its retry meets the item it already changed
      const { proxy, handler } = await handlerLosing('UpdateItem');
      const created = await call(handler, {
        method: 'POST',
        path: '/users',
        caller: newUser(),
        headers: jsonHeaders,
        body: JSON.stringify({ name: 'Mary Jackson', email: 'mary@example.com' }),
      });
      const path = `/users/${created.json.id}`;

      // Act
      const replaced = await call(handler, {
        method: 'PUT',
        path,
        resource: '/users/{id}',
        headers: jsonHeaders,
        body: JSON.stringify({ name: 'Mary W. Jackson', email: 'mary.jackson@example.com' }),
      });

      // Assess
      expect(proxy.lost).toHaveLength(1);
      expect(replaced.statusCode).toBe(200);
      const read = await call(handler, { method: 'GET', path, resource: '/users/{id}' });
      expect(read.json).toEqual({
        ...created.json,
        name: 'Mary W. Jackson',
        email: 'mary.jackson@example.com',
        updatedAt: replaced.json.updatedAt,
      });
    });
  },
);
