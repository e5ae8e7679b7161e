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
  type XRayDocument,
} from '@repo/testing/xray-daemon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectCreated } from './events.ts';

// The handler and its tracer are imported only once useLambdaTracingEnvironment has set Lambda's environment.
let daemon: XRayDaemon;
let moto: MotoServer;
let admin: S3Client;
let app: typeof import('../../src/handler.ts');
let tracing: typeof import('@repo/logging/tracer');
let testing: typeof import('@repo/testing/observability');
let restoreEnvironment: (() => void) | undefined;

const bucket = 'image-resizer-tracing';
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

beforeAll(async () => {
  [daemon, moto] = await Promise.all([startXRayDaemon(), startMoto()]);
  admin = new S3Client({ endpoint: moto.endpoint });
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  restoreEnvironment = useLambdaTracingEnvironment(daemon);
  app = await import('../../src/handler.ts');
  tracing = await import('@repo/logging/tracer');
  testing = await import('@repo/testing/observability');
}, 90_000); // startMoto gives moto_server up to 60 s to answer on a loaded machine

afterAll(async () => {
  restoreEnvironment?.();
  await Promise.all([daemon?.close(), moto?.stop()]);
});

/** The handler as module scope builds it, with a real tracer and a traced S3 client of its own, on moto. */
function tracedHandler() {
  const tracer = tracing.createTracer({ serviceName: 'image-resizer' });
  return app.createHandler({
    s3: tracing.traceClient(tracer, createS3Client({ maxAttempts: 1, endpoint: moto.endpoint })),
    observability: testing.quietObservability({ tracer }),
    settings,
  });
}

/** Uploads `bytes` under `key`, then runs the Object Created event for it as Lambda would. */
async function uploadAndInvoke(key: string, bytes: Buffer) {
  const { ETag } = await admin.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentType: 'image/jpeg' }),
  );
  const event = objectCreated(bucket, key, bytes.length, ETag?.replaceAll('"', ''));
  return traceOfInvocation(daemon, () =>
    tracedHandler()(event as never, lambdaContext({ timeoutMs: 60_000 })),
  );
}

describe('image-resizer tracing (X-Ray)', () => {
  it('records the resize of an upload as an annotated subsegment holding its S3 read and four writes', async () => {
    const key = 'uploads/traced/cat.jpg';

    const { result, all, traceId, invocation } = await uploadAndInvoke(key, await photo(1600, 1200));

    expect(result).toEqual([expect.objectContaining({ status: 'resized' })]);
    expect(invocation).toMatchObject({
      trace_id: traceId,
      type: 'subsegment',
      annotations: { ColdStart: true, Service: 'image-resizer' },
    });
    expect(invocation?.fault || invocation?.error).toBeFalsy();
    const resizes = all.filter((doc) => doc.name === '### resize');
    expect(resizes).toEqual([
      expect.objectContaining({ trace_id: traceId, annotations: { bucket, objectKey: key } }),
    ]);
    const [resize] = resizes;
    expect(resize?.end_time).toBeDefined();
    expect(resize?.fault || resize?.error).toBeFalsy();
    expect(parentIdOf(all, resize)).toBe(invocation?.id);

    // Every S3 call of the invocation belongs to the resize: the version check before and after, one read
    // of the upload, four writes.
    const calls = all.filter((doc) => doc.namespace === 'aws');
    expect(calls.every((call) => call.name === 'S3' && parentIdOf(all, call) === resize?.id)).toBe(true);
    expect(operationsOf(calls)).toEqual([
      'GetObject',
      'HeadObject',
      'HeadObject',
      'PutObject',
      'PutObject',
      'PutObject',
      'PutObject',
    ]);
    expect(calls.find((call) => call.aws?.operation === 'GetObject')?.aws).toMatchObject({
      bucket_name: bucket,
      key,
    });
    expect(
      calls
        .filter((call) => call.aws?.operation === 'PutObject')
        .map((call) => call.aws?.key)
        .sort(),
    ).toEqual([
      'processed/large/traced/cat.jpg',
      'processed/medium/traced/cat.jpg',
      'processed/small/traced/cat.jpg',
      'processed/thumbnail/traced/cat.jpg',
    ]);
  });

  it('records a rejected image as an error of its resize subsegment, annotated with the reason', async () => {
    const key = 'uploads/traced/corrupt.jpg';
    const corrupt = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2_048, 0x5a)]);

    const { result, all, traceId, invocation } = await uploadAndInvoke(key, corrupt);

    expect(result).toEqual([expect.objectContaining({ status: 'rejected' })]);
    expect(invocation).toMatchObject({ trace_id: traceId, annotations: { Service: 'image-resizer' } });
    const resizes = all.filter((doc) => doc.name === '### resize');
    // A permanent rejection is not thrown, yet on-call finds it: error flag and `annotation.rejected`.
    expect(resizes).toEqual([
      expect.objectContaining({ annotations: { bucket, objectKey: key, rejected: 'corrupt' }, error: true }),
    ]);
    expect(resizes[0]?.end_time).toBeDefined();
    expect(parentIdOf(all, resizes[0])).toBe(invocation?.id);
    const calls = all.filter((doc) => doc.namespace === 'aws');
    expect(operationsOf(calls)).toEqual(['GetObject', 'HeadObject']);
    expect(calls.every((call) => parentIdOf(all, call) === resizes[0]?.id)).toBe(true);
  });
});

const operationsOf = (calls: XRayDocument[]) => calls.map((call) => String(call.aws?.operation)).sort();
