import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import { lambdaContext } from '@repo/testing/lambda-context';
import {
  lambdaTraceHeader,
  startXRayDaemon,
  type XRayDaemon,
  type XRayDocument,
} from '@repo/testing/xray-daemon';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

// The X-Ray SDK decides at import whether it runs in Lambda (LAMBDA_TASK_ROOT) and where the daemon is,
// so the module under test is imported only after the environment is Lambda's.
let daemon: XRayDaemon;
let dynamodb: Server;
let tracing: typeof import('../src/tracer.ts');
let endpoint: string;

const secretResponse = 'response-body-that-must-not-be-traced';

beforeAll(async () => {
  daemon = await startXRayDaemon();
  dynamodb = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'REQ1' });
      response.end(JSON.stringify({ Item: { id: { S: 'u1' } } }));
    });
  });
  await new Promise<void>((resolve) => dynamodb.listen(0, '127.0.0.1', resolve));
  Object.assign(process.env, {
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    LAMBDA_TASK_ROOT: '/var/task',
    _HANDLER: 'index.handler',
    AWS_XRAY_DAEMON_ADDRESS: daemon.address,
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
  });
  tracing = await import('../src/tracer.ts');
  endpoint = `http://127.0.0.1:${(dynamodb.address() as AddressInfo).port}`;
});

/** A client of its own per test: tracing a client instruments that instance. */
const newClient = () =>
  new DynamoDBClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });

afterAll(async () => {
  await daemon.close();
  await new Promise((resolve) => dynamodb.close(resolve));
});

beforeEach(() => {
  daemon.clear();
});

/** Runs one invocation as Lambda would: a fresh trace header, then the handler. */
async function invoke<Result>(handler: (event: unknown, context: Context) => Promise<Result>) {
  const { header, traceId } = lambdaTraceHeader();
  process.env._X_AMZN_TRACE_ID = header;
  const outcome = await handler({}, lambdaContext()).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  return { traceId, outcome };
}

const handlerSegment = (documents: XRayDocument[]) =>
  documents.find((doc) => doc.name === '## index.handler');

describe('tracing (Powertools tracer, X-Ray)', () => {
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
    expect(first.outcome).toEqual({ value: { statusCode: 200, body: secretResponse } });
    const documents = await daemon.waitFor((docs) => handlerSegment(docs)?.end_time !== undefined);

    const invocation = handlerSegment(documents);
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

    daemon.clear();
    const second = await invoke(handler);
    const again = handlerSegment(
      await daemon.waitFor((docs) => handlerSegment(docs)?.end_time !== undefined),
    );
    expect(again).toMatchObject({ trace_id: second.traceId, annotations: { ColdStart: false } });
  });

  it('gives each concurrent unit of work its own annotated subsegment with its own SDK calls', async () => {
    const tracer = tracing.createTracer({ serviceName: 'batch-worker' });
    const db = tracing.traceClient(tracer, newClient());
    const keys = ['uploads/a.jpg', 'uploads/b.jpg', 'uploads/c.jpg'];
    const handler = middy()
      .use(tracing.withTracing(tracer))
      .handler(async () =>
        Promise.all(
          keys.map((objectKey, index) =>
            tracing.traceWork(tracer, 'resize', { objectKey }, async () => {
              await new Promise((resolve) => setTimeout(resolve, (keys.length - index) * 5));
              await db.send(new GetItemCommand({ TableName: objectKey, Key: { id: { S: 'x' } } }));
              return index;
            }),
          ),
        ),
      );

    const { outcome } = await invoke(handler);
    expect(outcome).toEqual({ value: [0, 1, 2] });
    const documents = await daemon.waitFor((docs) => handlerSegment(docs)?.end_time !== undefined);
    const all = flatten(documents);
    for (const objectKey of keys) {
      const job = all.find((doc) => doc.name === '### resize' && doc.annotations?.objectKey === objectKey);
      expect(job, objectKey).toBeDefined();
      expect(job?.parent_id ?? parentOf(all, job)?.id).toBe(handlerSegment(all)?.id);
      // The job's own GetItem (its key doubles as the table name here) hangs under that job.
      const call = all.find((doc) => doc.name === 'DynamoDB' && doc.aws?.table_name === objectKey);
      expect(call?.parent_id ?? parentOf(all, call)?.id, objectKey).toBe(job?.id);
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

    const { outcome } = await invoke(handler);
    expect(outcome).toMatchObject({ error: { message: 'decode failed' } });
    const all = flatten(await daemon.waitFor((docs) => handlerSegment(docs)?.end_time !== undefined));
    const job = all.find((doc) => doc.name === '### resize');
    expect(job?.annotations?.objectKey).toHaveLength(1_000);
    expect(job?.fault || job?.error).toBe(true);
    expect(job?.cause?.exceptions?.[0]?.message).toBe('decode failed');
    const invocation = handlerSegment(all);
    expect(invocation?.fault || invocation?.error).toBe(true);
  });

  it('marks work that ended in a permanent rejection (not thrown) as an error annotated with its reason', async () => {
    const tracer = tracing.createTracer({ serviceName: 'image-resizer' });
    const handler = middy()
      .use(tracing.withTracing(tracer))
      .handler(async () =>
        Promise.all(
          [
            { status: 'rejected', reason: 'corrupt' },
            { status: 'resized', reason: undefined },
          ].map((outcome, index) =>
            tracing.traceWork(
              tracer,
              'resize',
              { objectKey: `k${index}` },
              async () => outcome,
              tracing.rejectedOutcome,
            ),
          ),
        ),
      );

    await invoke(handler);
    const all = flatten(await daemon.waitFor((docs) => handlerSegment(docs)?.end_time !== undefined));
    const [rejected, resized] = ['k0', 'k1'].map((key) =>
      all.find((doc) => doc.annotations?.objectKey === key),
    );
    expect(rejected).toMatchObject({ error: true, annotations: { objectKey: 'k0', rejected: 'corrupt' } });
    expect(resized?.error).toBeFalsy();
    expect(resized?.annotations).toEqual({ objectKey: 'k1' });
    expect(handlerSegment(all)?.error).toBeFalsy();
  });

  it('sends nothing when tracing is switched off or no tracer is given, and the work still runs', async () => {
    process.env.POWERTOOLS_TRACE_ENABLED = 'false';
    const disabled = tracing.createTracer({ serviceName: 'users-api' });
    delete process.env.POWERTOOLS_TRACE_ENABLED;
    for (const tracer of [disabled, undefined]) {
      const db = tracing.traceClient(tracer, newClient());
      const handler = middy()
        .use(tracing.withTracing(tracer))
        .handler(async () => {
          tracing.annotate(tracer, { userId: 'u1' });
          await db.send(new GetItemCommand({ TableName: 'users', Key: { id: { S: 'u1' } } }));
          return tracing.traceWork(tracer, 'job', { objectKey: 'a' }, async () => 'done');
        });
      expect((await invoke(handler)).outcome).toEqual({ value: 'done' });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(daemon.documents()).toEqual([]);
  });
});

/** Subsegments arrive streamed (with parent_id) or nested in their parent: one flat list either way. */
function flatten(documents: XRayDocument[]): XRayDocument[] {
  return documents.flatMap((doc) => [doc, ...flatten(doc.subsegments ?? [])]);
}

function parentOf(all: XRayDocument[], child: XRayDocument | undefined): XRayDocument | undefined {
  return child && all.find((doc) => doc.subsegments?.some((sub) => sub.id === child.id));
}
