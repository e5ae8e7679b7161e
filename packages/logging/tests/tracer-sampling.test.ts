import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import { flattenTrace, lambdaTraceHeader } from '@repo/aws-local/xray-daemon';
import { lambdaContext } from '@repo/testing/lambda-context';
import { invocationSubsegment, traceOfInvocation, type XRayDaemon } from '@repo/testing/xray-daemon';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DynamoDBStandIn, secretItemValue } from './dynamodb-stand-in.ts';
import { type TracerHarness, useTracerHarness } from './tracer-harness.ts';

// Set up once for the file (tests/tracer-harness.ts); the module under test is imported by the harness.
const harness = useTracerHarness();
let daemon: XRayDaemon;
let dynamodb: DynamoDBStandIn;
let tracing: TracerHarness['tracing'];
beforeAll(() => {
  ({ daemon, dynamodb, tracing } = harness);
});

beforeEach(() => {
  daemon.clear();
  dynamodb.reset();
});

const newClient = () => dynamodb.newClient();

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
    dynamodb.throttleFirst = true;
    const tracer = tracing.createTracer({ serviceName: 'users-api' });
    const db = tracing.traceClient(tracer, newClient());
    const handler = middy()
      .use(tracing.withTracing(tracer))
      .handler(async () => {
        await db.send(new GetItemCommand({ TableName: 'users', Key: { id: { S: 'key-never-traced' } } }));
        return 'ok';
      });

    const { all, invocation } = await traceOfInvocation(daemon, () => handler({}, lambdaContext()));

    expect(dynamodb.requests).toBe(2);
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
    expect(trace).not.toContain(secretItemValue);
    expect(invocationSubsegment(flattenTrace(daemon.documents()))?.id).toBe(invocation?.id);
  });
});
