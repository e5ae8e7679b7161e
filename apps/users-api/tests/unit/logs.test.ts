import {
  ConditionalCheckFailedException,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '@repo/aws/dynamodb';
import { createLogger } from '@repo/logging/logger';
import { lambdaContext } from '@repo/testing/lambda-context';
import { quietObservability } from '@repo/testing/observability';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHandler } from '../../src/handler.ts';
import { createUserStore } from '../../src/users.ts';
import { sampleEvent } from './events.ts';

const db = mockClient(DynamoDBDocumentClient);
let lines: string[];

beforeEach(() => {
  db.reset();
  lines = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    });
  }
});

afterEach(() => {
  vi.restoreAllMocks();
});

const handler = () =>
  createHandler({
    users: createUserStore({ db: createDocumentClient({ maxAttempts: 1 }), tableName: 'users' }),
    observability: quietObservability({
      logger: createLogger({ serviceName: 'users-api', logLevel: 'DEBUG' }),
    }),
    config: { MAX_BODY_BYTES: 16_384, CORS_ALLOWED_ORIGIN: '*', ADMIN_GROUP: 'admins' },
  });

describe('users-api logs', () => {
  it('never contain a user’s email or name, on success or on any failure, and carry the request id on every line', async () => {
    const email = 'grace.private@example.com';
    const body = JSON.stringify({ name: 'Grace Private', email });
    db.on(PutCommand)
      .resolvesOnce({})
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }))
      .rejectsOnce(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    db.on(GetCommand).rejects(new Error(`unexpected: ${email}`));
    const events = [
      sampleEvent('create-user', { body }),
      sampleEvent('create-user', { body }),
      sampleEvent('create-user', { body }),
      sampleEvent('create-user', { body: `${body.slice(0, -1)},"extra":"${email}"}` }),
      sampleEvent('create-user', { body: `{"email":"${email}"` }),
    ];

    for (const event of events) await handler()(event, lambdaContext());

    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).not.toContain(email);
      expect(line).not.toContain('Grace Private');
      expect(JSON.parse(line)).toHaveProperty('correlation_id');
    }
  });
});
