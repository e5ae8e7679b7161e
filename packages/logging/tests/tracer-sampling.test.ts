import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import { flattenTrace, lambdaTraceHeader } from '@repo/aws-local/xray-daemon';
import { lambdaContext } from '@repo/testing/lambda-context';
import {
  invocationSubsegment,
  startXRayDaemon,
  traceOfInvocation,
  useLambdaTracingEnvironment,
  type XRayDaemon,
} from '@repo/testing/xray-daemon';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

// The module under test is imported only once useLambdaTracingEnvironment has set Lambda's environment.
let daemon: XRayDaemon;
let dynamodb: Server;
let tracing: typeof import('../src/tracer.ts');
let endpoint: string;
let restoreEnvironment: (() => void) | undefined;
/** Requests DynamoDB has answered; the first of each pair is throttled when `throttleFirst` is set. */
let requests = 0;
let throttleFirst = false;

beforeAll(async () => {
  daemon = await startXRayDaemon();
  dynamodb = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      requests += 1;
      if (throttleFirst && requests % 2 === 1) {
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'SLOW' });
        response.end(
          JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
            message: 'slow down',
          }),
        );
        return;
      }
      response.writeHead(200, {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-requestid': `REQ${requests}`,
      });
      response.end(JSON.stringify({ Item: { id: { S: 'u1' }, secret: { S: 'item-value-never-traced' } } }));
    });
  });
  await new Promise<void>((resolve) => dynamodb.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(dynamodb.address() as AddressInfo).port}`;
  restoreEnvironment = useLambdaTracingEnvironment(daemon);
  tracing = await import('../src/tracer.ts');
});

afterAll(async () => {
  restoreEnvironment?.();
  await daemon.close();
  await new Promise((resolve) => dynamodb.close(resolve));
});

beforeEach(() => {
  daemon.clear();
  requests = 0;
  throttleFirst = false;
});

const newClient = () =>
  new DynamoDBClient({
    region: 'eu-west-1',
    endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 2,
  });

describe('tracer (OpenTelemetry): sampling and SDK calls', { timeout: 60_000 }, () => {
  it('records nothing for an invocation Lambda did not sample, and the work still runs', async () => {
    const tracer = tracing.createTracer({ serviceName: 'users-api' });
    const db = tracing.traceClient(tracer, newClient());
    const handler = middy()
      .use(tracing.withTracing(tracer))
      .handler(async () => {
        tracing.annotate(tracer, { userId: 'u1' });
        await db.send(new GetItemCommand({ TableName: 'users', Key: { id: { S: 'u1' } } }));
        return tracing.traceWork(tracer, 'job', { objectKey: 'a' }, async () => 'done');
      });
    process.env._X_AMZN_TRACE_ID = lambdaTraceHeader({ sampled: false }).header;

    expect(await handler({}, lambdaContext())).toBe('done');

    // Then a sampled invocation: its documents, sent through the same socket after any of the unsampled
    // one's, are all the daemon may hold once its own subsegment is in.
    const { documents, traceId, invocation } = await traceOfInvocation(daemon, () =>
      handler({}, lambdaContext()),
    );
    expect(invocation).toBeDefined();
    expect(documents.filter((document) => document.trace_id !== traceId)).toEqual([]);
    // The cold start was the unsampled invocation's.
    expect(invocation?.annotations).toMatchObject({ ColdStart: false });
  });

  it('records one span per command, its retries, status and request id, and never the item or its key', async () => {
    throttleFirst = true;
    const tracer = tracing.createTracer({ serviceName: 'users-api' });
    const db = tracing.traceClient(tracer, newClient());
    const handler = middy()
      .use(tracing.withTracing(tracer))
      .handler(async () => {
        await db.send(new GetItemCommand({ TableName: 'users', Key: { id: { S: 'key-never-traced' } } }));
        return 'ok';
      });

    const { all, invocation } = await traceOfInvocation(daemon, () => handler({}, lambdaContext()));

    expect(requests).toBe(2);
    const calls = all.filter((document) => document.namespace === 'aws');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      name: 'DynamoDB',
      parent_id: invocation?.id,
      aws: { operation: 'GetItem', table_name: 'users', region: 'eu-west-1', request_id: 'REQ2', retries: 1 },
      http: { response: { status: 200 } },
    });
    expect(calls[0]?.error || calls[0]?.fault).toBeFalsy();
    const trace = JSON.stringify(daemon.documents());
    expect(trace).not.toContain('key-never-traced');
    expect(trace).not.toContain('item-value-never-traced');
    expect(invocationSubsegment(flattenTrace(daemon.documents()))?.id).toBe(invocation?.id);
  });
});
