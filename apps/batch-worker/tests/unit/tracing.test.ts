import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '@repo/aws/s3';
import { type MotoServer, startMoto } from '@repo/aws-local/moto';
import { defaultSizes } from '@repo/image/outputs';
import type { ResizeSettings } from '@repo/image-jobs/resize-upload';
import { lambdaContext } from '@repo/testing/lambda-context';
import { photo } from '@repo/testing/photos';
import {
  parentIdOf,
  startXRayDaemon,
  traceOfInvocation,
  useLambdaTracingEnvironment,
  type XRayDaemon,
} from '@repo/testing/xray-daemon';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonRecord, sqsEvent } from './events.ts';

// The handler and its tracer are imported only once useLambdaTracingEnvironment has set Lambda's environment.
let daemon: XRayDaemon;
let moto: MotoServer;
/** moto behind a pass-through proxy that answers 503 SlowDown to any read of a key containing "poison". */
let flakyS3: Server;
let flakyEndpoint: string;
let admin: S3Client;
let app: typeof import('../../src/handler.ts');
let tracing: typeof import('@repo/logging/tracer');
let testing: typeof import('@repo/testing/observability');
let restoreEnvironment: (() => void) | undefined;

const bucket = 'batch-worker-tracing';
const settings: ResizeSettings = {
  sizes: defaultSizes,
  inputPrefix: 'uploads/',
  outputPrefix: 'processed/',
  maxInputBytes: 5 * 1024 * 1024,
  maxInputPixels: 50_000_000,
  format: 'jpeg',
  quality: 85,
  cacheControl: 'public, max-age=86400',
  minRemainingMs: 3_000,
};
const slowDown =
  '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>' +
  '<Message>Please reduce your request rate.</Message><RequestId>SLOWDOWN1</RequestId></Error>';

beforeAll(async () => {
  [daemon, moto] = await Promise.all([startXRayDaemon(), startMoto()]);
  flakyS3 = createServer((request, response) => {
    if (request.method === 'GET' && request.url?.includes('poison')) {
      request.resume();
      response.writeHead(503, { 'content-type': 'application/xml', 'x-amz-request-id': 'SLOWDOWN1' });
      response.end(slowDown);
      return;
    }
    const upstream = httpRequest(
      `${moto.endpoint}${request.url}`,
      { method: request.method, headers: request.headers },
      (reply) => {
        response.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(response);
      },
    );
    upstream.on('error', (error) => response.destroy(error));
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => flakyS3.listen(0, '127.0.0.1', resolve));
  flakyEndpoint = `http://127.0.0.1:${(flakyS3.address() as AddressInfo).port}`;
  admin = new S3Client({ endpoint: moto.endpoint });
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  restoreEnvironment = useLambdaTracingEnvironment(daemon);
  app = await import('../../src/handler.ts');
  tracing = await import('@repo/logging/tracer');
  testing = await import('@repo/testing/observability');
}, 90_000); // startMoto gives moto_server up to 60 s to answer on a loaded machine

afterAll(async () => {
  restoreEnvironment?.();
  await Promise.all([
    daemon?.close(),
    moto?.stop(),
    new Promise((resolve) => (flakyS3 ? flakyS3.close(resolve) : resolve(undefined))),
  ]);
});

/** The handler as module scope builds it: a real tracer and a traced S3 client of its own. */
function tracedHandler(concurrency: number) {
  const tracer = tracing.createTracer({ serviceName: 'batch-worker' });
  return app.createHandler({
    s3: tracing.traceClient(tracer, createS3Client({ maxAttempts: 1, endpoint: flakyEndpoint })),
    observability: testing.quietObservability({ tracer }),
    settings,
    defaultBucket: bucket,
    concurrency,
  });
}

/** Uploads a photo under each key (a poison key is never read back) and builds one resize job per key. */
async function jobsFor(keys: string[]): Promise<SQSRecord[]> {
  const image = await photo(400, 300);
  await Promise.all(
    keys.map((key) => admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: image }))),
  );
  return keys.map((key) => jsonRecord({ bucket, key }));
}

/** Runs one batch as Lambda would (a fresh trace header) and returns the trace once it is complete. */
function invoke(handler: ReturnType<typeof tracedHandler>, records: SQSRecord[]) {
  return traceOfInvocation(daemon, () => handler(sqsEvent(records), lambdaContext({ timeoutMs: 60_000 })));
}

describe('batch-worker tracing (X-Ray)', () => {
  it('gives every job of a concurrent batch its own annotated subsegment with its own S3 calls, queued jobs too', async () => {
    const keys = [1, 2, 3, 4].map((index) => `uploads/traced/job-${index}.jpg`);
    const records = await jobsFor(keys);

    const { result, all, traceId, invocation } = await invoke(tracedHandler(2), records);

    expect(result).toEqual({ batchItemFailures: [] });
    expect(invocation).toMatchObject({
      trace_id: traceId,
      type: 'subsegment',
      annotations: { ColdStart: true, Service: 'batch-worker' },
    });
    const jobs = all.filter((doc) => doc.name === '### resize');
    expect(jobs).toHaveLength(records.length);
    const calls = all.filter((doc) => doc.namespace === 'aws');
    for (const record of records) {
      const key = keys[records.indexOf(record)] as string;
      const job = jobs.find((doc) => doc.annotations?.messageId === record.messageId);
      expect(job?.annotations, key).toEqual({ messageId: record.messageId, bucket, objectKey: key });
      expect(job?.fault || job?.error, key).toBeFalsy();
      expect(parentIdOf(all, job), key).toBe(invocation?.id);

      // Its own read of its own key, and its own four writes: nothing of the job it was queued behind.
      const own = calls.filter((call) => parentIdOf(all, call) === job?.id);
      expect(
        own.filter((call) => call.aws?.operation === 'GetObject').map((call) => call.aws?.key),
        key,
      ).toEqual([key]);
      const name = key.slice('uploads/'.length);
      expect(
        own
          .filter((call) => call.aws?.operation === 'PutObject')
          .map((call) => call.aws?.key)
          .sort(),
        key,
      ).toEqual(['large', 'medium', 'small', 'thumbnail'].map((size) => `processed/${size}/${name}`));
    }
    // Per job: the version check before and after, one read, four writes.
    expect(calls).toHaveLength(records.length * 7);

    // The limiter did queue jobs: never more than two at once, and some job started only after another ended.
    const spans = jobs.map((job) => ({
      start: job.start_time,
      end: job.end_time ?? Number.POSITIVE_INFINITY,
    }));
    const running = (at: number) => spans.filter((span) => span.start <= at && at < span.end).length;
    expect(Math.max(...spans.map((span) => running(span.start)))).toBeLessThanOrEqual(2);
    expect(spans.some((later) => spans.some((earlier) => later.start >= earlier.end))).toBe(true);
  });

  it('marks the subsegment of a job that failed with its error, and only that one', async () => {
    const keys = ['uploads/traced/fine-1.jpg', 'uploads/traced/poison.jpg', 'uploads/traced/fine-2.jpg'];
    const records = await jobsFor(keys);
    const poison = records[1] as SQSRecord;

    const { result, all, invocation } = await invoke(tracedHandler(2), records);

    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: poison.messageId }] });
    const jobs = all.filter((doc) => doc.name === '### resize');
    expect(jobs).toHaveLength(records.length);
    const failed = jobs.find((doc) => doc.annotations?.messageId === poison.messageId);
    expect(failed?.annotations).toEqual({ messageId: poison.messageId, bucket, objectKey: keys[1] });
    expect(failed?.fault || failed?.error).toBe(true);
    expect(failed?.cause?.exceptions?.[0]?.message).toBe('Please reduce your request rate.');
    expect(parentIdOf(all, failed)).toBe(invocation?.id);
    const read = all.find(
      (doc) =>
        doc.namespace === 'aws' && doc.aws?.operation === 'GetObject' && parentIdOf(all, doc) === failed?.id,
    );
    expect(read).toMatchObject({ aws: { operation: 'GetObject', key: keys[1] }, fault: true });
    for (const job of jobs.filter((doc) => doc !== failed)) {
      expect(job.fault || job.error, String(job.annotations?.objectKey)).toBeFalsy();
    }
    // A partial batch response is a successful invocation.
    expect(invocation?.fault || invocation?.error).toBeFalsy();
  });

  it('marks a job whose image is rejected (bound for the DLQ) as an error annotated with the reason', async () => {
    const keys = ['uploads/traced/fine-3.jpg', 'uploads/traced/corrupt.jpg'];
    const records = await jobsFor(keys);
    const corrupt = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2_048, 0x5a)]);
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: keys[1], Body: corrupt }));

    const { result, all } = await invoke(tracedHandler(2), records);

    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: records[1]?.messageId }] });
    const jobs = all.filter((doc) => doc.name === '### resize');
    const rejected = jobs.find((doc) => doc.annotations?.objectKey === keys[1]);
    expect(rejected).toMatchObject({
      error: true,
      annotations: { rejected: 'corrupt', messageId: records[1]?.messageId },
    });
    const fine = jobs.find((doc) => doc.annotations?.objectKey === keys[0]);
    expect(fine?.error || fine?.fault).toBeFalsy();
    expect(fine?.annotations).not.toHaveProperty('rejected');
  });
});
