import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '@repo/aws/dynamodb';
import { createMetrics } from '@repo/logging/metrics';
import { lambdaContext } from '@repo/testing/lambda-context';
import { quietObservability } from '@repo/testing/observability';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHandler } from '../../src/handler.ts';
import { createUserStore } from '../../src/users.ts';
import { sampleEvent } from './events.ts';

const db = mockClient(DynamoDBDocumentClient);
let emf: Record<string, unknown>[];

beforeEach(() => {
  db.reset();
  emf = [];
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) {
      const value = JSON.parse(line) as Record<string, unknown>;
      if (value._aws) emf.push(value);
    }
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

function handlerWithMetrics() {
  return createHandler({
    users: createUserStore({ db: createDocumentClient({ maxAttempts: 1 }), tableName: 'users' }),
    observability: quietObservability({ metrics: createMetrics({ serviceName: 'users-api' }) }),
    config: { MAX_BODY_BYTES: 16_384, CORS_ALLOWED_ORIGIN: '*', ADMIN_GROUP: 'admins' },
  });
}

describe('users-api metrics (CloudWatch EMF)', () => {
  it('counts a created and a deleted user in the LambdaMonorepo namespace, by service', async () => {
    db.on(PutCommand).resolves({});
    db.on(DeleteCommand).resolves({ Attributes: { id: 'deleted' } });
    const handler = handlerWithMetrics();

    await handler(sampleEvent('create-user'), lambdaContext());
    await handler(sampleEvent('delete-user'), lambdaContext());

    const business = emf.filter((line) => 'UsersCreated' in line || 'UsersDeleted' in line);
    expect(business).toEqual([
      expect.objectContaining({ service: 'users-api', UsersCreated: 1 }),
      expect.objectContaining({ service: 'users-api', UsersDeleted: 1 }),
    ]);
    expect(business[0]).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: 'LambdaMonorepo',
            Dimensions: [['service']],
            Metrics: [{ Name: 'UsersCreated', Unit: 'Count' }],
          },
        ],
      },
    });
    expect(emf.filter((line) => 'ColdStart' in line)).toHaveLength(1);
  });

  it('counts no deletion when the user was not there (the DELETE still answers 204)', async () => {
    db.on(DeleteCommand).resolves({});
    const handler = handlerWithMetrics();

    const response = await handler(sampleEvent('delete-user'), lambdaContext());

    expect(response.statusCode).toBe(204);
    expect(emf.filter((line) => 'UsersDeleted' in line)).toEqual([]);
  });

  it('counts nothing for a rejected request', async () => {
    const handler = handlerWithMetrics();

    await handler(sampleEvent('create-user', { body: '{"name":1}' }), lambdaContext());

    expect(emf.filter((line) => 'UsersCreated' in line)).toEqual([]);
  });
});
