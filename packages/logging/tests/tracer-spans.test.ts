import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace';
import { lambdaContext } from '@repo/testing/lambda-context';
import { setFreshTraceHeader } from '@repo/testing/xray-daemon';
import type { Context } from 'aws-lambda';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type DynamoDBStandIn, secretItemValue } from './dynamodb-stand-in.ts';
import {
  concurrentJobsHandler,
  rejectionHandler,
  type TracerHarness,
  useTracerHarness,
} from './tracer-harness.ts';

// The spans are read before any export, without a seam in src/: the tracer's provider is the SDK's own,
// given one more processor that keeps every ended span in memory (the bench substitutes the provider the
// same way, bench/otlp-sdk-trace.ts). The X-Ray daemon processor src/ passes is kept.
const recorded = vi.hoisted(() => ({ spans: undefined as InMemorySpanExporter | undefined }));
vi.mock('@opentelemetry/sdk-trace', async (importOriginal) => {
  const sdk = await importOriginal<typeof import('@opentelemetry/sdk-trace')>();
  const exporter = new sdk.InMemorySpanExporter();
  recorded.spans = exporter;
  class TracerProvider extends sdk.TracerProvider {
    constructor(options: import('@opentelemetry/sdk-trace').TracerProviderOptions = {}) {
      super({
        ...options,
        spanProcessors: [...(options.spanProcessors ?? []), new sdk.SimpleSpanProcessor({ exporter })],
      });
    }
  }
  return { ...sdk, TracerProvider };
});

// Set up once for the file (tests/tracer-harness.ts), with the mock above in force.
const harness = useTracerHarness();
let dynamodb: DynamoDBStandIn;
let tracing: TracerHarness['tracing'];
beforeAll(() => {
  ({ dynamodb, tracing } = harness);
});

beforeEach(() => {
  recorded.spans?.reset();
  dynamodb.reset();
});

/**
 * Runs one invocation under a fresh Lambda trace header; a failure settles as `{ error }`. The tracer
 * flushes the invocation's spans before the handler returns, so they are all recorded when this resolves.
 */
async function invoke<Result>(handler: (event: unknown, context: Context) => Promise<Result>) {
  const { traceId, lambdaSegmentId } = setFreshTraceHeader();
  const result = await handler({}, lambdaContext()).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  // X-Ray's `1-<8 hex>-<24 hex>` is OpenTelemetry's 32-hex trace id with the dashes put in.
  const otelTraceId = traceId.replace(/^1-/, '').replace('-', '');
  const spans = (recorded.spans?.getFinishedSpans() ?? []).filter(
    (span) => span.spanContext().traceId === otelTraceId,
  );
  const invocation = spans.find((span) => span.name === '## index.handler');
  return { result, spans, invocation, otelTraceId, lambdaSegmentId };
}

const parentOf = (span: ReadableSpan | undefined) => span?.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan | undefined) => span?.spanContext().spanId;

describe('tracer (OpenTelemetry): the spans before export', { timeout: 60_000 }, () => {
  it('records the invocation as a server span under the Lambda segment, in its trace, with ColdStart and Service', async () => {
    // Prepare
    const tracer = tracing.createTracer({ serviceName: 'users-api' });
    const handler = middy()
      .use(tracing.withTracing(tracer))
      .handler(async () => 'ok');

    // Act
    const first = await invoke(handler);
    const second = await invoke(handler);

    // Assess
    expect(first.result).toEqual({ value: 'ok' });
    expect(first.spans).toHaveLength(1);
    expect(first.invocation).toMatchObject({
      kind: SpanKind.SERVER,
      attributes: { ColdStart: true, Service: 'users-api' },
      status: { code: SpanStatusCode.UNSET },
    });
    expect(first.invocation?.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(first.invocation?.spanContext().traceId).toBe(first.otelTraceId);
    expect(parentOf(first.invocation)).toBe(first.lambdaSegmentId);
    expect(second.invocation?.attributes).toMatchObject({ ColdStart: false });
    expect(parentOf(second.invocation)).toBe(second.lambdaSegmentId);
  });

  it('marks the invocation span as an error with the exception event when the handler throws', async () => {
    // Prepare
    const tracer = tracing.createTracer({ serviceName: 'users-api' });
    const handler = middy()
      .use(tracing.withTracing(tracer))
      .handler(async () => {
        throw new TypeError('lookup failed');
      });

    // Act
    const { result, invocation } = await invoke(handler);

    // Assess
    expect(result).toMatchObject({ error: { message: 'lookup failed' } });
    expect(invocation?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'TypeError' });
    expect(invocation?.events).toHaveLength(1);
    expect(invocation?.events[0]).toMatchObject({
      name: 'exception',
      attributes: { 'exception.type': 'TypeError', 'exception.message': 'lookup failed' },
    });
  });

  it('records one client span per SDK command under the active span, with its outcome and only the allow-listed request fields', async () => {
    // Prepare
    dynamodb.throttleFirst = true;
    const tracer = tracing.createTracer({ serviceName: 'users-api' });
    const db = tracing.traceClient(tracer, dynamodb.newClient({ region: 'eu-west-1', maxAttempts: 2 }));
    const handler = middy()
      .use(tracing.withTracing(tracer))
      .handler(async () => {
        await db.send(new GetItemCommand({ TableName: 'users', Key: { id: { S: 'key-never-traced' } } }));
        return 'ok';
      });

    // Act
    const { spans, invocation } = await invoke(handler);

    // Assess
    expect(dynamodb.requests).toBe(2);
    const calls = spans.filter((span) => span.kind === SpanKind.CLIENT);
    expect(calls).toHaveLength(1);
    expect(parentOf(calls[0])).toBe(idOf(invocation));
    expect(calls[0]?.name).toBe('DynamoDB');
    expect(calls[0]?.attributes).toEqual({
      'rpc.system': 'aws-api',
      'rpc.service': 'DynamoDB',
      'rpc.method': 'GetItem',
      'aws.dynamodb.table_name': 'users',
      'cloud.region': 'eu-west-1',
      'aws.request_id': 'REQ2',
      'http.response.status_code': 200,
      'aws.retries': 1,
    });
    expect(calls[0]?.status.code).toBe(SpanStatusCode.UNSET);
    const everything = JSON.stringify(spans.map((span) => [span.attributes, span.events]));
    expect(everything).not.toContain('key-never-traced');
    expect(everything).not.toContain(secretItemValue);
  });

  it('records a `### <name>` span per unit of work, annotated, and a permanent rejection as an error with its reason', async () => {
    // Prepare
    const tracer = tracing.createTracer({ serviceName: 'image-resizer' });
    const handler = rejectionHandler(tracing, tracer, { bucket: 'photos', skipped: undefined });

    // Act
    const { spans, invocation } = await invoke(handler);

    // Assess
    const [rejected, resized] = ['k0', 'k1'].map((key) =>
      spans.find((span) => span.name === '### resize' && span.attributes.objectKey === key),
    );
    expect(parentOf(rejected)).toBe(idOf(invocation));
    expect(parentOf(resized)).toBe(idOf(invocation));
    expect(rejected?.attributes).toEqual({ objectKey: 'k0', bucket: 'photos', rejected: 'corrupt' });
    expect(rejected?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'rejected: corrupt' });
    expect(resized?.attributes).toEqual({ objectKey: 'k1', bucket: 'photos' });
    expect(resized?.status.code).toBe(SpanStatusCode.UNSET);
    expect(invocation?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('records a unit of work that throws as an error with the exception event', async () => {
    // Prepare
    const tracer = tracing.createTracer({ serviceName: 'image-resizer' });
    const handler = middy()
      .use(tracing.withTracing(tracer))
      .handler(async () =>
        tracing.traceWork(tracer, 'resize', { objectKey: 'k' }, async () => {
          throw new Error('decode failed');
        }),
      );

    // Act
    const { result, spans } = await invoke(handler);

    // Assess
    expect(result).toMatchObject({ error: { message: 'decode failed' } });
    const job = spans.find((span) => span.name === '### resize');
    expect(job?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Error' });
    expect(job?.events[0]).toMatchObject({
      name: 'exception',
      attributes: { 'exception.message': 'decode failed' },
    });
  });

  it('gives each concurrent unit of work its own SDK spans', async () => {
    // Prepare
    const tracer = tracing.createTracer({ serviceName: 'batch-worker' });
    const db = tracing.traceClient(tracer, dynamodb.newClient());
    const keys = ['uploads/a.jpg', 'uploads/b.jpg', 'uploads/c.jpg'];
    const handler = concurrentJobsHandler(tracing, tracer, db, keys);

    // Act
    const { result, spans, invocation } = await invoke(handler);

    // Assess
    expect(result).toEqual({ value: [0, 1, 2] });
    expect(spans.filter((span) => span.kind === SpanKind.CLIENT)).toHaveLength(keys.length);
    for (const objectKey of keys) {
      const job = spans.find((span) => span.name === '### resize' && span.attributes.objectKey === objectKey);
      expect(parentOf(job), objectKey).toBe(idOf(invocation));
      // The job's own GetItem (its key doubles as the table name here) is that job's child.
      const call = spans.find(
        (span) => span.kind === SpanKind.CLIENT && span.attributes['aws.dynamodb.table_name'] === objectKey,
      );
      expect(parentOf(call), objectKey).toBe(idOf(job));
    }
  });
});
