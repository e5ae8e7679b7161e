import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type RestApiRequest, restApiEvent } from '@repo/testing/api-gateway-event';
import { lambdaContext } from '@repo/testing/lambda-context';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../src/handler.ts';
import { sampleUserId, storedUser as user } from './events.ts';

const db = mockClient(DynamoDBDocumentClient);

const anyText = fc.string({ unit: 'grapheme', maxLength: 40 });
const method = fc.oneof(
  fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
  fc.stringMatching(/^[A-Z]{1,10}$/),
);
const path = fc.oneof(
  fc.constant('/users'),
  fc.constant('/users/'),
  fc.constant(`/users/${sampleUserId}`),
  fc.uuid().map((id) => `/users/${id}`),
  anyText.map((segment) => `/users/${encodeURIComponent(segment)}`),
  anyText.map((segment) => `/${segment}`),
);
const contentType = fc.constantFrom(
  'application/json',
  'APPLICATION/JSON',
  'application/json; charset=utf-8',
  'application/vnd.api+json',
  'text/plain',
  'multipart/form-data; boundary=x',
  '',
);
const userLike = fc.record(
  {
    name: fc.oneof(anyText, fc.integer(), fc.constant(null)),
    email: fc.oneof(fc.emailAddress(), anyText),
    id: fc.uuid(),
    __proto__: fc.object(),
    extra: fc.jsonValue(),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  fc.constant(null),
  fc.constant(''),
  anyText,
  fc.json(),
  userLike.map((value) => JSON.stringify(value)),
  fc.record({ name: anyText, email: fc.emailAddress() }).map((value) => JSON.stringify(value)),
  fc.string({ minLength: 16_000, maxLength: 20_000 }),
);
const request: fc.Arbitrary<RestApiRequest> = fc.record({
  method,
  path,
  resource: fc.constantFrom('/users', '/users/{id}', '/{proxy+}'),
  pathParameters: fc.oneof(fc.constant(null), fc.record({ id: fc.oneof(anyText, fc.uuid()) })),
  query: fc.dictionary(fc.constantFrom('limit', 'nextToken', 'x'), fc.oneof(anyText, fc.nat().map(String)), {
    maxKeys: 3,
  }),
  headers: fc.record(
    { 'content-type': contentType, 'CONTENT-TYPE': contentType, Origin: anyText, Accept: anyText },
    { requiredKeys: [] },
  ),
  body,
  isBase64Encoded: fc.boolean(),
  // Mostly signed in — the owner of the sample user, somebody else, an admin — sometimes not at all.
  caller: fc.option(
    fc.record({
      sub: fc.oneof(fc.constant(sampleUserId), fc.uuid()),
      groups: fc.constantFrom([], ['admins'], ['editors', 'admins'], ['editors']),
    }),
    { freq: 5, nil: undefined },
  ),
});

beforeAll(() => {
  db.on(ScanCommand).resolves({ Items: [user] });
  db.on(GetCommand).resolves({ Item: user });
  db.on(PutCommand).resolves({});
  db.on(UpdateCommand).resolves({ Attributes: user });
  db.on(DeleteCommand).resolves({});
});

describe('users-api handler under random requests', () => {
  it('always answers well-formed JSON with a 2xx or 4xx status, never a 5xx or a stack trace', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (input) => {
        const response = await handler(restApiEvent(input), lambdaContext());

        expect(response.statusCode).toBeGreaterThanOrEqual(200);
        expect(response.statusCode).toBeLessThan(500);
        if (response.statusCode === 204) {
          // http-cors answers preflights without a body, which API Gateway accepts as empty.
          expect(response.body ?? '').toBe('');
        } else {
          expect(response.headers?.['Content-Type']).toBe('application/json');
          const parsed: unknown = JSON.parse(response.body);
          expect(typeof parsed).toBe('object');
          if (response.statusCode >= 400) expect(parsed).toMatchObject({ error: expect.any(String) });
        }
        expect(response.body ?? '').not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
      }),
      { numRuns: 3_000 },
    );
    // 3,000 runs take ~2 s alone and ~20 s beside a full parallel run on a loaded 2-core machine.
  }, 120_000);
});
