import { defaultTextMapGetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AWSXRayPropagator } from '@opentelemetry/propagator-aws-xray';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { startXRayDaemon } from '@repo/testing/xray-daemon';
import { describe, expect, it } from 'vitest';
import { XRayIdGenerator, xrayTraceId } from '../src/xray-ids.ts';
import { daemonAddress, segmentDocument, XRayDaemonSpanProcessor } from '../src/xray-segments.ts';

const lambdaSegmentId = '53995c3f42cd8ad8';
const header = (sampled: 0 | 1) =>
  `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-bd862e3fe1be46a994272793;Parent=${lambdaSegmentId};Sampled=${sampled}`;
/** Lambda's trace header as the parent context, as withTracing extracts it. */
const lambdaParent = (sampled: 0 | 1 = 1) =>
  new AWSXRayPropagator().extract(ROOT_CONTEXT, { 'x-amzn-trace-id': header(sampled) }, defaultTextMapGetter);

/** A provider with X-Ray ids whose finished spans a test can read. */
function recordingProvider() {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    idGenerator: new XRayIdGenerator(),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  return { tracer: provider.getTracer('test'), finished: () => exporter.getFinishedSpans(), provider };
}

const named = (spans: ReadableSpan[], name: string) =>
  spans.find((span) => span.name === name) as ReadableSpan;

describe('XRayIdGenerator', () => {
  it('makes trace ids whose first 8 hex digits are the epoch seconds, and 16-digit span ids', () => {
    const ids = new XRayIdGenerator();
    const before = Math.floor(Date.now() / 1000);

    const traceId = ids.generateTraceId();
    const after = Math.floor(Date.now() / 1000);

    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const epoch = Number.parseInt(traceId.slice(0, 8), 16);
    expect(epoch).toBeGreaterThanOrEqual(before);
    expect(epoch).toBeLessThanOrEqual(after);
    expect(ids.generateSpanId()).toMatch(/^[0-9a-f]{16}$/);
    expect(ids.generateTraceId()).not.toBe(traceId);
    expect(xrayTraceId(traceId)).toBe(`1-${traceId.slice(0, 8)}-${traceId.slice(8)}`);
  });
});

describe('segmentDocument', () => {
  it('turns a span tree into subsegments under Lambda’s segment, each with its parent, in X-Ray ids', () => {
    const { tracer, finished } = recordingProvider();
    const parent = lambdaParent();
    const invocation = tracer.startSpan(
      '## index.handler',
      { kind: SpanKind.SERVER, attributes: { ColdStart: true, Service: 'image-resizer' } },
      parent,
    );
    const inInvocation = trace.setSpan(parent, invocation);
    const work = tracer.startSpan(
      '### resize',
      { attributes: { bucket: 'photos', objectKey: 'uploads/cat.jpg', messageId: 'm-1' } },
      inInvocation,
    );
    const call = tracer.startSpan(
      'S3',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'rpc.system': 'aws-api',
          'rpc.service': 'S3',
          'rpc.method': 'GetObject',
          'cloud.region': 'eu-west-1',
          'aws.s3.bucket': 'photos',
          'aws.s3.key': 'uploads/cat.jpg',
          'aws.request_id': 'REQ1',
          'aws.extended_request_id': 'ID2',
          'aws.retries': 1,
          'http.response.status_code': 200,
        },
      },
      trace.setSpan(inInvocation, work),
    );
    call.end();
    work.end();
    invocation.end();

    const spans = finished();
    const [root, job, s3] = ['## index.handler', '### resize', 'S3'].map((name) =>
      segmentDocument(named(spans, name)),
    );

    const traceId = xrayTraceId(invocation.spanContext().traceId);
    expect(traceId).toBe(header(1).slice('Root='.length, header(1).indexOf(';')));
    expect(root).toEqual({
      id: invocation.spanContext().spanId,
      trace_id: traceId,
      name: '## index.handler',
      type: 'subsegment',
      parent_id: lambdaSegmentId,
      start_time: expect.any(Number),
      end_time: expect.any(Number),
      annotations: { ColdStart: true, Service: 'image-resizer' },
    });
    expect(root?.end_time).toBeGreaterThanOrEqual(root?.start_time ?? Number.POSITIVE_INFINITY);
    expect(Math.abs((root?.start_time ?? 0) - Date.now() / 1000)).toBeLessThan(60);
    expect(job).toMatchObject({
      trace_id: traceId,
      type: 'subsegment',
      parent_id: root?.id,
      annotations: { bucket: 'photos', objectKey: 'uploads/cat.jpg', messageId: 'm-1' },
    });
    expect(s3).toEqual({
      id: call.spanContext().spanId,
      trace_id: traceId,
      name: 'S3',
      type: 'subsegment',
      parent_id: job?.id,
      namespace: 'aws',
      start_time: expect.any(Number),
      end_time: expect.any(Number),
      aws: {
        operation: 'GetObject',
        region: 'eu-west-1',
        bucket_name: 'photos',
        key: 'uploads/cat.jpg',
        request_id: 'REQ1',
        id_2: 'ID2',
        retries: 1,
      },
      http: { response: { status: 200 } },
    });
  });

  it('keeps only the allow-listed attributes as annotations, strings cut at 1,000 characters', () => {
    const { tracer, finished } = recordingProvider();
    const span = tracer.startSpan(
      '### record-upload',
      { attributes: { objectKey: 'k'.repeat(1_100), userId: 'u-1', email: 'someone@example.com', size: 3 } },
      lambdaParent(),
    );
    span.end();

    const document = segmentDocument(named(finished(), '### record-upload'));

    expect(document.annotations).toEqual({ objectKey: 'k'.repeat(1_000), userId: 'u-1' });
    expect(JSON.stringify(document)).not.toContain('someone@example.com');
  });

  it('flags errors as the X-Ray SDK did: thrown is a fault with its cause, a rejection an error, 4xx error, 429 throttle, 5xx fault', () => {
    const { tracer, finished } = recordingProvider();
    const parent = lambdaParent();
    const thrown = tracer.startSpan('### thrown', {}, parent);
    thrown.recordException(new TypeError('decode failed'));
    thrown.setStatus({ code: SpanStatusCode.ERROR });
    thrown.end();
    const rejected = tracer.startSpan('### rejected', {}, parent);
    rejected.setAttribute('rejected', 'corrupt');
    rejected.setStatus({ code: SpanStatusCode.ERROR });
    rejected.end();
    for (const status of [404, 429, 503]) {
      const call = tracer.startSpan(
        `call ${status}`,
        { attributes: { 'rpc.system': 'aws-api', 'rpc.service': 'S3', 'http.response.status_code': status } },
        parent,
      );
      call.recordException(Object.assign(new Error(`status ${status}`), { name: `E${status}` }));
      call.setStatus({ code: SpanStatusCode.ERROR });
      call.end();
    }
    const fine = tracer.startSpan('### fine', {}, parent);
    fine.end();

    const spans = finished();
    const document = (name: string) => segmentDocument(named(spans, name));

    expect(document('### thrown')).toMatchObject({
      fault: true,
      cause: {
        exceptions: [
          { id: expect.stringMatching(/^[0-9a-f]{16}$/), type: 'TypeError', message: 'decode failed' },
        ],
      },
    });
    expect(document('### thrown').error).toBeUndefined();
    expect(document('### rejected')).toMatchObject({ error: true, annotations: { rejected: 'corrupt' } });
    expect(document('### rejected').fault).toBeUndefined();
    expect(document('call 404')).toMatchObject({
      error: true,
      cause: { exceptions: [{ remote: true, type: 'E404' }] },
    });
    expect(document('call 404').fault).toBeUndefined();
    expect(document('call 429')).toMatchObject({ error: true, throttle: true });
    expect(document('call 503')).toMatchObject({ fault: true, http: { response: { status: 503 } } });
    expect(document('call 503').error).toBeUndefined();
    const ok = document('### fine');
    expect([ok.error, ok.fault, ok.throttle, ok.cause]).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe('daemonAddress', () => {
  it('reads host:port, the udp: part of a tcp/udp pair, and defaults to 127.0.0.1:2000', () => {
    expect(daemonAddress('169.254.79.129:2000')).toEqual({ host: '169.254.79.129', port: 2000 });
    expect(daemonAddress('tcp:127.0.0.1:2000 udp:127.0.0.2:2001')).toEqual({ host: '127.0.0.2', port: 2001 });
    expect(daemonAddress(undefined)).toEqual({ host: '127.0.0.1', port: 2000 });
    expect(daemonAddress('nonsense')).toEqual({ host: '127.0.0.1', port: 2000 });
  });
});

describe('XRayDaemonSpanProcessor', () => {
  it('sends each sampled span as one daemon datagram when it ends, and flushes before resolving', async () => {
    const daemon = await startXRayDaemon();
    try {
      const processor = new XRayDaemonSpanProcessor(daemon.address);
      const tracer = new TracerProvider({
        idGenerator: new XRayIdGenerator(),
        spanProcessors: [processor],
      }).getTracer('test');
      const unsampled = tracer.startSpan('## not sampled', {}, lambdaParent(0));
      unsampled.end();
      const parent = lambdaParent(1);
      const invocation = tracer.startSpan('## index.handler', { attributes: { Service: 's' } }, parent);
      const work = tracer.startSpan('### job', {}, trace.setSpan(parent, invocation));
      work.end();
      invocation.end();

      await processor.forceFlush();
      const documents = await daemon.waitFor((received) => received.length >= 2);

      // Loopback UDP keeps the order: the child arrives before the invocation that closed after it.
      expect(documents.map((document) => document.name)).toEqual(['### job', '## index.handler']);
      expect(documents[1]).toMatchObject({
        id: invocation.spanContext().spanId,
        trace_id: xrayTraceId(invocation.spanContext().traceId),
        parent_id: lambdaSegmentId,
        annotations: { Service: 's' },
      });
      expect(documents[0]?.parent_id).toBe(documents[1]?.id);
      await processor.shutdown();
    } finally {
      await daemon.close();
    }
  });
});
