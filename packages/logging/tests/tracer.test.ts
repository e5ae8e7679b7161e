import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import { flattenTrace } from '@repo/aws-local/xray-daemon';
import { lambdaContext } from '@repo/testing/lambda-context';
import {
  invocationSubsegment,
  parentIdOf,
  setFreshTraceHeader,
  traceOfInvocation,
  type XRayDaemon,
} from '@repo/testing/xray-daemon';
import type { Context } from 'aws-lambda';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DynamoDBStandIn } from './dynamodb-stand-in.ts';
import {
  concurrentJobsHandler,
  rejectionHandler,
  type TracerHarness,
  useTracerHarness,
} from './tracer-harness.ts';

// Set up once for the file (tests/tracer-harness.ts); the module under test is imported by the harness.
const harness = useTracerHarness();
let daemon: XRayDaemon;
let dynamodb: DynamoDBStandIn;
let tracing: TracerHarness['tracing'];
beforeAll(() => {
  ({ daemon, dynamodb, tracing } = harness);
});

const secretResponse = 'response-body-that-must-not-be-traced';

/** A client of its own per test: tracing a client instruments that instance. */
const newClient = () => dynamodb.newClient({ region: 'us-east-1', maxAttempts: 3 });

beforeEach(() => {
  daemon.clear();
  dynamodb.reset();
});

/** Runs the handler on an empty event; a failure settles as `{ error }` rather than rejecting. */
const settle = <Result>(handler: (event: unknown, context: Context) => Promise<Result>) =>
  handler({}, lambdaContext()).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

/** Runs one invocation as Lambda would (a fresh trace header) and returns its trace once it is complete. */
const invoke = <Result>(handler: (event: unknown, context: Context) => Promise<Result>) =>
  traceOfInvocation(daemon, () => settle(handler));

// Waits for datagrams (daemon.waitFor allows 30 s) and HTTP on loopback: generous on a loaded machine.
describe('tracing (Powertools tracer, X-Ray)', { timeout: 60_000 }, () => {
  it('records the invocation and its SDK calls under the Lambda trace, annotated, without the response', async () => {
    const tracer = tracing.createTracer({ serviceName: 'users-api' });
    const db = tracing.traceClient(tracer, newClient());
    const handler = middy()
      .use(tracing.withTracing(tracer))
      .handler(async () => {
        tracing.annotate(tracer, { userId: 'u1', skipped: undefined });
        await db.send(new GetItemCommand({ TableName: 'users', Key: { id: { S: 'u1' } } }));
        return { statusCode: 200, body: secretResponse };
      });

    const first = await invoke(handler);
    expect(first.result).toEqual({ value: { statusCode: 200, body: secretResponse } });

    const { documents, invocation } = first;
    expect(invocation).toMatchObject({
      trace_id: first.traceId,
      type: 'subsegment',
      annotations: { ColdStart: true, Service: 'users-api', userId: 'u1' },
    });
    expect(invocation?.annotations).not.toHaveProperty('skipped');
    const call = [...documents, ...(invocation?.subsegments ?? [])].find((doc) => doc.name === 'DynamoDB');
    expect(call).toMatchObject({
      namespace: 'aws',
      aws: { operation: 'GetItem', table_name: 'users', request_id: 'REQ1', region: 'us-east-1' },
      http: { response: { status: 200 } },
    });
    expect(call?.parent_id ?? invocation?.id).toBe(invocation?.id);
    expect(JSON.stringify(documents)).not.toContain(secretResponse);

    const second = await invoke(handler);
    expect(second.invocation).toMatchObject({ trace_id: second.traceId, annotations: { ColdStart: false } });
  });

  it('gives each concurrent unit of work its own annotated subsegment with its own SDK calls', async () => {
    const tracer = tracing.createTracer({ serviceName: 'batch-worker' });
    const db = tracing.traceClient(tracer, newClient());
    const keys = ['uploads/a.jpg', 'uploads/b.jpg', 'uploads/c.jpg'];
    const handler = concurrentJobsHandler(tracing, tracer, db, keys);

    const { result, all, invocation } = await invoke(handler);
    expect(result).toEqual({ value: [0, 1, 2] });
    for (const objectKey of keys) {
      const job = all.find((doc) => doc.name === '### resize' && doc.annotations?.objectKey === objectKey);
      expect(job, objectKey).toBeDefined();
      expect(parentIdOf(all, job)).toBe(invocation?.id);
      // The job's own GetItem (its key doubles as the table name here) hangs under that job.
      const call = all.find((doc) => doc.name === 'DynamoDB' && doc.aws?.table_name === objectKey);
      expect(parentIdOf(all, call), objectKey).toBe(job?.id);
    }
  });

  it('records a failed unit of work and a failed invocation as errors with their cause', async () => {
    const tracer = tracing.createTracer({ serviceName: 'image-resizer' });
    const handler = middy()
      .use(tracing.withTracing(tracer))
      .handler(async () =>
        tracing.traceWork(tracer, 'resize', { objectKey: 'k'.repeat(1_100) }, async () => {
          throw new Error('decode failed');
        }),
      );

    const { result, all, invocation } = await invoke(handler);
    expect(result).toMatchObject({ error: { message: 'decode failed' } });
    const job = all.find((doc) => doc.name === '### resize');
    expect(job?.annotations?.objectKey).toHaveLength(1_000);
    expect(job?.fault || job?.error).toBe(true);
    expect(job?.cause?.exceptions?.[0]?.message).toBe('decode failed');
    expect(invocation?.fault || invocation?.error).toBe(true);
  });

  it('marks work that ended in a permanent rejection (not thrown) as an error annotated with its reason', async () => {
    const tracer = tracing.createTracer({ serviceName: 'image-resizer' });
    const handler = rejectionHandler(tracing, tracer);

    const { all, invocation } = await invoke(handler);
    const [rejected, resized] = ['k0', 'k1'].map((key) =>
      all.find((doc) => doc.annotations?.objectKey === key),
    );
    expect(rejected).toMatchObject({ error: true, annotations: { objectKey: 'k0', rejected: 'corrupt' } });
    expect(resized?.error).toBeFalsy();
    expect(resized?.annotations).toEqual({ objectKey: 'k1' });
    expect(invocation?.error).toBeFalsy();
  });

  it('sends nothing when tracing is switched off or the function runs outside Lambda, and the work still runs', async () => {
    process.env.POWERTOOLS_TRACE_ENABLED = 'false';
    const disabled = tracing.createTracer({ serviceName: 'users-api' });
    delete process.env.POWERTOOLS_TRACE_ENABLED;
    const executionEnvironment = process.env.AWS_EXECUTION_ENV;
    delete process.env.AWS_EXECUTION_ENV;
    const outsideLambda = tracing.createTracer({ serviceName: 'users-api' });
    process.env.AWS_EXECUTION_ENV = executionEnvironment;
    expect(outsideLambda.isTracingEnabled()).toBe(false);
    for (const tracer of [disabled, outsideLambda]) {
      const db = tracing.traceClient(tracer, newClient());
      const handler = middy()
        .use(tracing.withTracing(tracer))
        .handler(async () => {
          tracing.annotate(tracer, { userId: 'u1' });
          await db.send(new GetItemCommand({ TableName: 'users', Key: { id: { S: 'u1' } } }));
          return tracing.traceWork(tracer, 'job', { objectKey: 'a' }, async () => 'done');
        });
      setFreshTraceHeader();
      expect(await settle(handler)).toEqual({ value: 'done' });
    }

    // Then one traced invocation. The X-Ray SDK sends documents one after another through one emitter,
    // and loopback UDP keeps their order: once its subsegment has arrived, anything the runs above had
    // sent would have arrived before it. So the daemon must hold this trace's documents and nothing else.
    const marker = tracing.createTracer({ serviceName: 'users-api' });
    const traced = middy()
      .use(tracing.withTracing(marker))
      .handler(async () => 'traced');
    const { traceId } = setFreshTraceHeader();
    expect(await settle(traced)).toEqual({ value: 'traced' });
    const documents = await daemon.waitFor(
      (received) => invocationSubsegment(flattenTrace(received))?.end_time !== undefined,
    );
    expect(documents.length).toBeGreaterThan(0);
    expect(documents.filter((document) => document.trace_id !== traceId)).toEqual([]);
  });
});
