import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '@repo/aws/dynamodb';
import { type MotoServer, startMoto } from '@repo/aws-local/moto';
import { readTemplate } from '@repo/sam-template/read-template';
import { type RestApiRequest, restApiEvent } from '@repo/testing/api-gateway-event';
import { createTablesFromTemplate } from '@repo/testing/dynamodb-tables';
import { lambdaContext } from '@repo/testing/lambda-context';
import {
  parentIdOf,
  startXRayDaemon,
  traceOfInvocation,
  useLambdaTracingEnvironment,
  type XRayDaemon,
  type XRayDocument,
} from '@repo/testing/xray-daemon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserStore } from '../../src/users.ts';

// The handler and its tracer are imported only once useLambdaTracingEnvironment has set Lambda's environment.
let daemon: XRayDaemon;
let moto: MotoServer;
let app: typeof import('../../src/handler.ts');
let tracing: typeof import('@repo/logging/tracer');
let testing: typeof import('@repo/testing/observability');
let tableName: string;
let restoreEnvironment: (() => void) | undefined;

beforeAll(async () => {
  [daemon, moto] = await Promise.all([startXRayDaemon(), startMoto()]);
  const admin = new DynamoDBClient({ endpoint: moto.endpoint });
  ({ UsersTable: tableName = '' } = await createTablesFromTemplate(admin, readTemplate(), ['UsersTable']));
  restoreEnvironment = useLambdaTracingEnvironment(daemon);
  app = await import('../../src/handler.ts');
  tracing = await import('@repo/logging/tracer');
  testing = await import('@repo/testing/observability');
}, 90_000); // startMoto gives moto_server up to 60 s to answer on a loaded machine

afterAll(async () => {
  restoreEnvironment?.();
  await Promise.all([daemon?.close(), moto?.stop()]);
});

/** The handler as module scope builds it, with a real tracer and a traced client of its own, on moto. */
function tracedHandler() {
  const tracer = tracing.createTracer({ serviceName: 'users-api' });
  const db = tracing.traceClient(tracer, createDocumentClient({ maxAttempts: 1, endpoint: moto.endpoint }));
  return app.createHandler({
    users: createUserStore({ db, tableName }),
    observability: testing.quietObservability({ tracer }),
    config: { MAX_BODY_BYTES: 16_384, CORS_ALLOWED_ORIGIN: '*', ADMIN_GROUP: 'admins' },
  });
}

/** One invocation as Lambda runs it (a fresh trace header), and the trace it left once it is complete. */
const invoke = (handler: ReturnType<typeof tracedHandler>, request: RestApiRequest) =>
  traceOfInvocation(daemon, () =>
    handler(restApiEvent({ caller, ...request }), lambdaContext({ functionName: 'users-api' })),
  );
/** The signed-in user every request of these tests comes from. */
const caller = { sub: randomUUID() };

describe('users-api tracing (X-Ray)', () => {
  it('annotates each invocation with the user id and hangs its DynamoDB calls under it, without personal data', async () => {
    const handler = tracedHandler();
    const name = 'Tracy Tracewell';
    const email = 'tracy.tracewell@example.com';

    // POST /users: the caller's own record, its id their token's sub.
    const created = await invoke(handler, {
      method: 'POST',
      path: '/users',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name, email }),
    });
    expect(created.result.statusCode).toBe(201);
    const userId = (JSON.parse(created.result.body) as { id: string }).id;
    expect(userId).toBe(caller.sub);
    expect(created.invocation).toMatchObject({
      trace_id: created.traceId,
      type: 'subsegment',
      parent_id: created.lambdaSegmentId,
      annotations: { ColdStart: true, Service: 'users-api', userId },
    });
    const put = awsCalls(created.all, 'DynamoDB');
    expect(put).toEqual([
      expect.objectContaining({
        namespace: 'aws',
        trace_id: created.traceId,
        aws: expect.objectContaining({ operation: 'PutItem', table_name: tableName }),
      }),
    ]);
    expect(parentIdOf(created.all, put[0])).toBe(created.invocation?.id);
    // Personal data and bodies stay out of traces: neither the request's fields nor the response.
    const createdTrace = JSON.stringify(created.documents);
    expect(createdTrace).not.toContain(email);
    expect(createdTrace).not.toContain(name);
    expect(createdTrace).not.toContain(created.result.body);

    // GET /users/{id}: the id from the path, on a warm container.
    const read = await invoke(handler, { method: 'GET', path: `/users/${userId}`, resource: '/users/{id}' });
    expect(read.result.statusCode).toBe(200);
    expect(JSON.parse(read.result.body)).toMatchObject({ id: userId, name, email });
    expect(read.traceId).not.toBe(created.traceId);
    expect(read.invocation).toMatchObject({
      trace_id: read.traceId,
      parent_id: read.lambdaSegmentId,
      annotations: { ColdStart: false, Service: 'users-api', userId },
    });
    const get = awsCalls(read.all, 'DynamoDB');
    expect(get).toEqual([
      expect.objectContaining({
        trace_id: read.traceId,
        aws: expect.objectContaining({ operation: 'GetItem', table_name: tableName }),
        http: expect.objectContaining({ response: expect.objectContaining({ status: 200 }) }),
      }),
    ]);
    expect(parentIdOf(read.all, get[0])).toBe(read.invocation?.id);
    const readTrace = JSON.stringify(read.documents);
    expect(readTrace).not.toContain(email);
    expect(readTrace).not.toContain(name);
    expect(readTrace).not.toContain(read.result.body);
  }, 60_000);
});

/** The AWS SDK call subsegments for one service (X-Ray names them by service id). */
const awsCalls = (all: XRayDocument[], service: string) =>
  all.filter((doc) => doc.namespace === 'aws' && doc.name === service);
