import {
  ConditionalCheckFailedException,
  InternalServerError,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { cognitoClaims } from '@repo/testing/api-gateway-event';
import { lambdaContext } from '@repo/testing/lambda-context';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../src/handler.ts';
import { sampleEvent, sampleUserId, storedUser } from './events.ts';

const db = mockClient(DynamoDBDocumentClient);

async function invoke(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult & { json: unknown }> {
  const response = await handler(event, lambdaContext({ functionName: 'users-api' }));
  return { ...response, json: response.body ? JSON.parse(response.body) : undefined };
}

function withJsonBody(
  name: 'create-user' | 'replace-user',
  body: string | null,
  headers?: Record<string, string>,
) {
  const event = sampleEvent(name, { body });
  if (headers) event.headers = headers;
  return event;
}

beforeEach(() => {
  db.reset();
});

describe('users-api handler', () => {
  describe('GET /users', () => {
    it('returns a page of users and a nextToken that continues the scan', async () => {
      db.on(ScanCommand)
        .resolvesOnce({ Items: [storedUser], LastEvaluatedKey: { id: sampleUserId } })
        .resolvesOnce({ Items: [] });

      const first = await invoke(sampleEvent('list-users'));

      expect(first.statusCode).toBe(200);
      expect(first.headers?.['Content-Type']).toBe('application/json');
      const page = first.json as { items: unknown[]; nextToken: string };
      expect(page.items).toEqual([storedUser]);
      expect(db.commandCalls(ScanCommand)[0]?.args[0].input).toMatchObject({
        TableName: 'users-unit',
        Limit: 10,
      });

      const second = await invoke(
        sampleEvent('list-users', { queryStringParameters: { nextToken: page.nextToken } }),
      );

      expect(second.statusCode).toBe(200);
      expect(second.json).toEqual({ items: [] });
      expect(db.commandCalls(ScanCommand)[1]?.args[0].input).toMatchObject({
        Limit: 25,
        ExclusiveStartKey: { id: sampleUserId },
      });
    });

    it.each(['0', '101', 'abc', '-1', '1.5', '', '1e2'])('rejects limit=%j with 400', async (limit) => {
      const response = await invoke(sampleEvent('list-users', { queryStringParameters: { limit } }));

      expect(response.statusCode).toBe(400);
      expect(response.json).toMatchObject({ error: 'ValidationError', details: [{ path: 'limit' }] });
      expect(db.commandCalls(ScanCommand)).toHaveLength(0);
    });

    it.each([
      ['garbage', 'not-a-token'],
      ['base64 of the wrong shape', Buffer.from('{"id":"x"}').toString('base64url')],
      ['base64 of a non-uuid id', Buffer.from('{"v":1,"id":"../../etc"}').toString('base64url')],
      ['base64 with extra keys', Buffer.from(`{"v":1,"id":"${sampleUserId}","x":1}`).toString('base64url')],
    ])('rejects a nextToken that is %s with 400', async (_, nextToken) => {
      const response = await invoke(sampleEvent('list-users', { queryStringParameters: { nextToken } }));

      expect(response.statusCode).toBe(400);
      expect(response.json).toMatchObject({ error: 'InvalidNextToken' });
      expect(db.commandCalls(ScanCommand)).toHaveLength(0);
    });
  });

  describe('POST /users', () => {
    it('creates the caller’s own record — its id the token’s sub — conditionally, and answers 201 with Location', async () => {
      db.on(PutCommand).resolves({});

      const response = await invoke(sampleEvent('create-user'));

      expect(response.statusCode).toBe(201);
      const user = response.json as typeof storedUser;
      expect(user).toMatchObject({ name: 'Ada Lovelace', email: 'ada@example.com' });
      expect(user.id).toBe(sampleUserId);
      expect(user.createdAt).toBe(user.updatedAt);
      expect(response.headers?.Location).toBe(`/dev/users/${user.id}`);
      expect(db.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
        TableName: 'users-unit',
        Item: user,
        ConditionExpression: 'attribute_not_exists(id)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
    });

    it('trims the name before storing it', async () => {
      db.on(PutCommand).resolves({});

      const response = await invoke(
        withJsonBody('create-user', '{"name":"  Ada  ","email":"ada@example.com"}'),
      );

      expect(response.statusCode).toBe(201);
      expect(response.json).toMatchObject({ name: 'Ada' });
    });

    it('accepts a base64-encoded JSON body', async () => {
      db.on(PutCommand).resolves({});
      const event = sampleEvent('create-user');
      event.body = Buffer.from(event.body ?? '').toString('base64');
      event.isBase64Encoded = true;

      const response = await invoke(event);

      expect(response.statusCode).toBe(201);
      expect(response.json).toMatchObject({ name: 'Ada Lovelace' });
    });

    it('answers 201 when DynamoDB applied the put but its answer was lost (the SDK retry meets its own item)', async () => {
      // Prepare: what the SDK hands back when its retry of an applied put fails the condition on that
      // very item (returned raw, ALL_OLD)
      db.on(PutCommand).callsFake(async ({ Item }: { Item: typeof storedUser }) => {
        throw new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: { httpStatusCode: 400 },
          Item: { id: { S: Item.id }, createdAt: { S: Item.createdAt }, name: { S: Item.name } },
        });
      });

      // Act
      const response = await invoke(sampleEvent('create-user'));

      // Assess
      expect(response.statusCode).toBe(201);
      expect(response.json).toMatchObject({ name: 'Ada Lovelace', email: 'ada@example.com' });
      expect(response.headers?.Location).toBe(`/dev/users/${(response.json as { id: string }).id}`);
    });

    it.each([
      ['somebody else’s item', { id: { S: sampleUserId }, createdAt: { S: '2020-01-01T00:00:00.000Z' } }],
      ['no item returned', undefined],
    ])('answers 409 if the generated id exists with %s', async (_, Item) => {
      db.on(PutCommand).callsFake(async (input: { Item: typeof storedUser }) => {
        throw new ConditionalCheckFailedException({
          message: 'exists',
          $metadata: {},
          Item: Item && { ...Item, id: { S: input.Item.id } },
        });
      });

      const response = await invoke(sampleEvent('create-user'));

      expect(response.statusCode).toBe(409);
      expect(response.json).toMatchObject({ error: 'UserExists' });
    });
  });

  describe('GET /users/{id}', () => {
    it('returns the user', async () => {
      db.on(GetCommand, { TableName: 'users-unit', Key: { id: sampleUserId } }).resolves({
        Item: { ...storedUser, internalNote: 'not for clients' },
      });

      const response = await invoke(sampleEvent('get-user'));

      expect(response.statusCode).toBe(200);
      expect(response.json).toEqual(storedUser);
    });

    it('answers 404 when the user does not exist', async () => {
      db.on(GetCommand).resolves({});

      const response = await invoke(sampleEvent('get-user'));

      expect(response.statusCode).toBe(404);
      expect(response.json).toEqual({
        error: 'UserNotFound',
        message: `User ${sampleUserId} does not exist`,
      });
    });
  });

  describe('PUT /users/{id}', () => {
    it('replaces name and email, keeping id and createdAt', async () => {
      const replaced = { ...storedUser, name: 'Ada King', email: 'ada.king@example.com', updatedAt: 'later' };
      db.on(UpdateCommand).resolves({ Attributes: replaced });

      const response = await invoke(sampleEvent('replace-user'));

      expect(response.statusCode).toBe(200);
      expect(response.json).toEqual(replaced);
      expect(db.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
        Key: { id: sampleUserId },
        ConditionExpression: 'attribute_exists(id)',
        ExpressionAttributeValues: { ':name': 'Ada King', ':email': 'ada.king@example.com' },
      });
    });

    it('answers 404 when the user does not exist', async () => {
      db.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));

      const response = await invoke(sampleEvent('replace-user'));

      expect(response.statusCode).toBe(404);
      expect(response.json).toMatchObject({ error: 'UserNotFound' });
    });
  });

  describe('DELETE /users/{id}', () => {
    it('deletes the user and answers 204 with no body', async () => {
      db.on(DeleteCommand).resolves({ Attributes: storedUser });

      const response = await invoke(sampleEvent('delete-user'));

      expect(response.statusCode).toBe(204);
      expect(response.body).toBe('');
      expect(db.commandCalls(DeleteCommand)[0]?.args[0].input).toEqual({
        TableName: 'users-unit',
        Key: { id: sampleUserId },
        ReturnValues: 'ALL_OLD',
      });
    });

    it('answers 204 when the user is not there: DELETE is idempotent (an earlier attempt whose answer was lost may have deleted it)', async () => {
      db.on(DeleteCommand).resolves({});

      const response = await invoke(sampleEvent('delete-user'));

      expect(response.statusCode).toBe(204);
      expect(response.body).toBe('');
    });
  });

  describe('request bodies', () => {
    it.each([
      ['null', null],
      ['empty', ''],
    ])('rejects a %s body with 400', async (_, body) => {
      const response = await invoke(withJsonBody('create-user', body));

      expect(response.statusCode).toBe(400);
      expect(response.json).toMatchObject({
        error: 'BadRequest',
        message: 'A JSON request body is required',
      });
      expect(db.calls()).toHaveLength(0);
    });

    it.each([
      ['truncated JSON', '{"name":"Ada"'],
      ['not JSON at all', 'name=Ada&email=ada@example.com'],
      ['a bare word', 'undefined'],
    ])('rejects %s with 400 MalformedJson', async (_, body) => {
      const response = await invoke(withJsonBody('create-user', body));

      expect(response.statusCode).toBe(400);
      expect(response.json).toEqual({
        error: 'MalformedJson',
        message: 'The request body is not valid JSON',
      });
    });

    it('rejects a base64 body that does not decode to JSON with 400', async () => {
      const event = withJsonBody('create-user', Buffer.from([0xff, 0xfe, 0x00, 0x01]).toString('base64'));
      event.isBase64Encoded = true;

      const response = await invoke(event);

      expect(response.statusCode).toBe(400);
      expect(response.json).toMatchObject({ error: 'MalformedJson' });
    });

    it.each([
      ['a JSON array', '[{"name":"Ada","email":"ada@example.com"}]'],
      ['JSON null', 'null'],
      ['a JSON string', '"Ada"'],
      ['a number as name', '{"name":42,"email":"ada@example.com"}'],
      ['an invalid email', '{"name":"Ada","email":"not-an-email"}'],
      ['a blank name', '{"name":"   ","email":"ada@example.com"}'],
      ['a missing email', '{"name":"Ada"}'],
      ['an unknown field', '{"name":"Ada","email":"ada@example.com","admin":true}'],
      ['a client-chosen id', `{"id":"${sampleUserId}","name":"Ada","email":"ada@example.com"}`],
      ['a name over 200 characters', `{"name":"${'a'.repeat(201)}","email":"ada@example.com"}`],
    ])('rejects %s with 400 ValidationError', async (_, body) => {
      const response = await invoke(withJsonBody('create-user', body));

      expect(response.statusCode).toBe(400);
      expect(response.json).toMatchObject({
        error: 'ValidationError',
        message: 'The request body is invalid',
      });
      expect(db.calls()).toHaveLength(0);
    });

    it('rejects a __proto__ key without polluting any prototype', async () => {
      const body = '{"name":"Ada","email":"ada@example.com","__proto__":{"polluted":true}}';

      const response = await invoke(withJsonBody('create-user', body));

      expect(response.statusCode).toBe(400);
      expect(response.json).toMatchObject({ error: 'ValidationError' });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(db.calls()).toHaveLength(0);
    });

    it.each([
      ['text/plain', { 'Content-Type': 'text/plain' }],
      ['form data', { 'Content-Type': 'application/x-www-form-urlencoded' }],
      ['no content type', {}],
    ])('rejects %s with 415', async (_, headers) => {
      const response = await invoke(
        withJsonBody('create-user', '{"name":"Ada","email":"ada@example.com"}', headers),
      );

      expect(response.statusCode).toBe(415);
      expect(response.json).toMatchObject({ error: 'UnsupportedMediaType' });
    });

    it.each([
      ['content-type', 'application/json'],
      ['CONTENT-TYPE', 'application/json; charset=utf-8'],
      ['Content-Type', 'application/merge-patch+json'],
    ])('matches the %s header case-insensitively (%s)', async (name, value) => {
      db.on(PutCommand).resolves({});

      const response = await invoke(
        withJsonBody('create-user', '{"name":"Ada","email":"ada@example.com"}', { [name]: value }),
      );

      expect(response.statusCode).toBe(201);
    });

    it('rejects a body over MAX_BODY_BYTES with 413, counting decoded bytes', async () => {
      const big = JSON.stringify({ name: 'Ada', email: 'ada@example.com', padding: 'x'.repeat(16 * 1024) });
      const plain = withJsonBody('create-user', big);
      const base64 = withJsonBody('create-user', Buffer.from(big).toString('base64'));
      base64.isBase64Encoded = true;

      for (const event of [plain, base64]) {
        const response = await invoke(event);
        expect(response.statusCode).toBe(413);
        expect(response.json).toMatchObject({ error: 'PayloadTooLarge' });
      }
      expect(db.calls()).toHaveLength(0);
    });
  });

  describe('paths and methods', () => {
    it.each([
      ['not a uuid', '/users/not-a-uuid', null],
      ['an encoded slash', '/users/abc%2Fdef', null],
      ['an encoded uuid', `/users/${encodeURIComponent(`${sampleUserId} `)}`, null],
      ['an empty path parameter', `/users/${sampleUserId}`, { id: '' }],
    ])('rejects a user id that is %s with 400', async (_, path, pathParameters) => {
      const response = await invoke(sampleEvent('get-user', { path, pathParameters }));

      expect(response.statusCode).toBe(400);
      expect(response.json).toMatchObject({ error: 'ValidationError', details: [{ path: 'id' }] });
      expect(db.calls()).toHaveLength(0);
    });

    it('answers 404 with JSON for an unknown route', async () => {
      const response = await invoke(sampleEvent('list-users', { path: '/accounts', resource: '/{proxy+}' }));

      expect(response.statusCode).toBe(404);
      expect(response.json).toMatchObject({ error: 'NotFound' });
    });

    it.each([
      ['PATCH', '/users', 'GET, POST'],
      ['DELETE', '/users', 'GET, POST'],
      ['POST', `/users/${sampleUserId}`, 'GET, PUT, DELETE'],
      ['PATCH', `/users/${sampleUserId}`, 'GET, PUT, DELETE'],
    ])('answers %s %s with 405 and Allow: %s', async (httpMethod, path, allow) => {
      const response = await invoke(sampleEvent('list-users', { httpMethod, path }));

      expect(response.statusCode).toBe(405);
      expect(response.headers?.Allow).toBe(allow);
      expect(response.json).toMatchObject({ error: 'MethodNotAllowed' });
    });

    it('answers a CORS preflight without touching DynamoDB', async () => {
      const response = await invoke(
        sampleEvent('list-users', {
          httpMethod: 'OPTIONS',
          headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'POST' },
        }),
      );

      expect(response.statusCode).toBe(204);
      expect(response.headers?.['Access-Control-Allow-Origin']).toBe('*');
      expect(db.calls()).toHaveLength(0);
    });

    it('adds CORS headers to errors as well as successes', async () => {
      db.on(GetCommand).resolves({});

      const response = await invoke(sampleEvent('get-user'));

      expect(response.statusCode).toBe(404);
      expect(response.headers?.['Access-Control-Allow-Origin']).toBe('*');
    });
  });

  describe('DynamoDB faults', () => {
    it.each([
      ['throttling', new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} })],
      [
        'an internal server error',
        new InternalServerError({ message: 'boom', $metadata: { httpStatusCode: 500 } }),
      ],
      [
        'a refused connection',
        Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' }),
      ],
      ['a timeout', Object.assign(new Error('socket hang up'), { name: 'TimeoutError' })],
    ])('maps %s to 503 with Retry-After and no internals', async (_, fault) => {
      db.on(GetCommand).rejects(fault);

      const response = await invoke(sampleEvent('get-user'));

      expect(response.statusCode).toBe(503);
      expect(response.headers?.['Retry-After']).toBe('1');
      expect(response.json).toEqual({
        error: 'ServiceUnavailable',
        message: 'The service is busy; retry shortly',
      });
      expect(response.body).not.toMatch(/boom|ECONNREFUSED|10\.0\.0\.1|slow down|hang up/);
    });

    it('maps an unexpected fault to a generic 500 without a stack trace', async () => {
      db.on(GetCommand).rejects(
        Object.assign(new Error('One or more parameter values were invalid'), {
          name: 'ValidationException',
          $metadata: { httpStatusCode: 400 },
        }),
      );

      const response = await invoke(sampleEvent('get-user'));

      expect(response.statusCode).toBe(500);
      expect(response.json).toEqual({ error: 'InternalError', message: 'An unexpected error occurred' });
      expect(response.headers?.['Content-Type']).toBe('application/json');
    });
  });

  describe('who may do what (src/access.ts)', () => {
    const otherUserId = '9d4e2a7b-5c1f-4b8e-a6d3-7f0e1c2b3a45';
    const otherUser = { ...storedUser, id: otherUserId, name: 'Grace Hopper', email: 'grace@example.com' };
    /** `event` as the signed-in `sub` (in `groups`) sends it, through API Gateway's Cognito authorizer. */
    const as = (event: APIGatewayProxyEvent, sub: string, groups: string[] = []) => {
      event.requestContext.authorizer = { claims: cognitoClaims({ sub, groups }) };
      return event;
    };

    it('answers 401 and touches nothing when no verified identity reached it (no authorizer in front)', async () => {
      for (const name of ['list-users', 'create-user', 'get-user', 'replace-user', 'delete-user'] as const) {
        const event = sampleEvent(name);
        event.requestContext.authorizer = null;

        const response = await invoke(event);

        expect(response.statusCode, name).toBe(401);
        expect(response.json).toEqual({
          error: 'Unauthorized',
          message: 'Sign in: the request carries no identity',
        });
      }
      expect(db.calls()).toHaveLength(0);
    });

    it('answers another user’s record as one that does not exist, for reading, replacing and deleting, and leaves it alone', async () => {
      // Prepare: the caller is somebody else, not an admin
      db.on(GetCommand).resolves({ Item: storedUser });

      // Act
      const read = await invoke(as(sampleEvent('get-user'), otherUserId));
      const replaced = await invoke(as(sampleEvent('replace-user'), otherUserId));
      const deleted = await invoke(as(sampleEvent('delete-user'), otherUserId, ['editors']));

      // Assess: the same 404 a missing record gets, and not one call to the table
      for (const response of [read, replaced, deleted]) {
        expect(response.statusCode).toBe(404);
        expect(response.json).toEqual({
          error: 'UserNotFound',
          message: `User ${sampleUserId} does not exist`,
        });
      }
      expect(db.calls()).toHaveLength(0);
    });

    it('lets an admin read, replace and delete any record', async () => {
      db.on(GetCommand).resolves({ Item: storedUser });
      db.on(UpdateCommand).resolves({ Attributes: storedUser });
      db.on(DeleteCommand).resolves({ Attributes: storedUser });

      const read = await invoke(as(sampleEvent('get-user'), otherUserId, ['admins']));
      const replaced = await invoke(as(sampleEvent('replace-user'), otherUserId, ['editors', 'admins']));
      const deleted = await invoke(as(sampleEvent('delete-user'), otherUserId, ['admins']));

      expect([read.statusCode, replaced.statusCode, deleted.statusCode]).toEqual([200, 200, 204]);
      expect(read.json).toEqual(storedUser);
    });

    it('lists every record, with another user’s email for admins only', async () => {
      db.on(ScanCommand).resolves({ Items: [storedUser, otherUser] });

      const asUser = await invoke(as(sampleEvent('list-users'), sampleUserId));
      const asAdmin = await invoke(as(sampleEvent('list-users'), otherUserId, ['admins']));

      expect((asUser.json as { items: unknown[] }).items).toEqual([
        storedUser,
        { id: otherUserId, name: 'Grace Hopper' },
      ]);
      expect((asAdmin.json as { items: unknown[] }).items).toEqual([storedUser, otherUser]);
    });

    it('creates only the caller’s own record, and answers 409 when it is there already', async () => {
      db.on(PutCommand).rejects(
        new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: {},
          Item: { id: { S: sampleUserId }, createdAt: { S: '2026-01-01T00:00:00.000Z' } },
        }),
      );

      const response = await invoke(sampleEvent('create-user'));

      expect(response.statusCode).toBe(409);
      expect(db.commandCalls(PutCommand)[0]?.args[0].input.Item?.id).toBe(sampleUserId);
    });
  });
});
