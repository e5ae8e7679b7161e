import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { defaultSizes } from '@repo/image/outputs';
import type { ResizeSettings } from '@repo/image-jobs/resize-upload';
import { createLogger } from '@repo/logging/logger';
import { lambdaContext } from '@repo/testing/lambda-context';
import { quietObservability } from '@repo/testing/observability';
import { photo } from '@repo/testing/photos';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import sharp from 'sharp';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type BatchWorkerDependencies, createHandler } from '../../src/handler.ts';
import {
  eventEtag,
  jsonRecord,
  s3Notification,
  s3TestEvent,
  snsEnvelope,
  sqsEvent,
  sqsRecord,
} from './events.ts';
import { inFlightProbe } from './in-flight.ts';

const s3 = mockClient(S3Client);
const bucket = 'photos';
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
const logger = createLogger({ serviceName: 'batch-worker', logLevel: 'SILENT' });

function build(overrides: Partial<BatchWorkerDependencies> = {}) {
  const handler = createHandler({
    s3: new S3Client({ region: 'us-east-1' }),
    observability: quietObservability({ logger }),
    settings,
    defaultBucket: bucket,
    concurrency: 4,
    ...overrides,
  });
  return (event: SQSEvent, context: Context = lambdaContext({ timeoutMs: 60_000 })) =>
    handler(event, context) as Promise<SQSBatchResponse>;
}
const invoke = build();

const body = (bytes: Buffer) => ({ Body: Readable.from([bytes]) as never, ContentLength: bytes.length });
const putInputs = () => s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
const putKeys = () => putInputs().map((input) => input.Key as string);
const getKeys = () => s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input.Key as string);
const idsOf = (records: SQSRecord[]) => records.map((record) => record.messageId).sort();
const failedIds = (response: SQSBatchResponse) =>
  response.batchItemFailures.map((failure) => failure.itemIdentifier).sort();
/** The four keys resizeUpload writes for `uploads/<name>`. */
const outputsOf = (name: string) =>
  ['large', 'medium', 'small', 'thumbnail'].map((size) => `processed/${size}/${name}`);
const gone = () =>
  new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });

let jpeg: Buffer;
let small: Buffer;
beforeAll(async () => {
  [jpeg, small] = await Promise.all([photo(1600, 1200), photo(400, 300)]);
});
beforeEach(() => {
  s3.reset();
  // What the bucket holds now: the version the notifications announce, and the one a job is pinned to.
  s3.on(HeadObjectCommand).resolves({ ETag: `"${eventEtag}"` });
  vi.spyOn(logger, 'error');
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('batch-worker handler', () => {
  it('reports exactly the failed messages of a mixed batch and processes the rest, a duplicate included', async () => {
    // Prepare
    s3.on(GetObjectCommand, { Bucket: bucket, Key: 'uploads/good.jpg' }).callsFake(() => body(jpeg));
    s3.on(GetObjectCommand, { Bucket: bucket, Key: 'uploads/gone.jpg' }).rejects(gone());
    s3.on(GetObjectCommand, { Bucket: bucket, Key: 'uploads/corrupt.jpg' }).callsFake(() =>
      body(jpeg.subarray(0, Math.floor(jpeg.length / 2))),
    );
    s3.on(PutObjectCommand).resolves({});
    const good = jsonRecord({ key: 'uploads/good.jpg' });
    const malformed = sqsRecord('{"key": "uploads/good.jpg"');
    const missingKey = jsonRecord({ bucket, sizes: ['thumbnail'] });
    const missingObject = jsonRecord({ key: 'uploads/gone.jpg' });
    const corrupt = jsonRecord({ key: 'uploads/corrupt.jpg' });
    const duplicate = jsonRecord({ key: 'uploads/good.jpg' });

    // Act
    const response = await invoke(sqsEvent([good, malformed, missingKey, missingObject, corrupt, duplicate]));

    // Assess
    expect(failedIds(response)).toEqual(idsOf([malformed, missingKey, missingObject, corrupt]));
    expect(putKeys().sort()).toEqual([...outputsOf('good.jpg'), ...outputsOf('good.jpg')].sort());
    expect(new Set(putKeys()).size).toBe(4);
    for (const input of putInputs()) {
      expect(input).toMatchObject({
        Bucket: bucket,
        ContentType: 'image/jpeg',
        CacheControl: 'public, max-age=86400',
      });
    }
    // Each permanent failure is logged once, with the message it concerns.
    const logged = vi
      .mocked(logger.error)
      .mock.calls.map(([, extra]) => (extra as { messageId: string }).messageId);
    expect(logged.sort()).toEqual(idsOf([malformed, missingKey, missingObject, corrupt]));
  });

  it('answers an empty failure list when every message succeeds', async () => {
    // Prepare
    s3.on(GetObjectCommand).callsFake(() => body(jpeg));
    s3.on(PutObjectCommand).resolves({});
    const records = ['a.jpg', '2026/b.jpg', 'c d.jpg'].map((name) => jsonRecord({ key: `uploads/${name}` }));

    // Act
    const response = await invoke(sqsEvent(records));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(putKeys().sort()).toEqual(
      [...outputsOf('a.jpg'), ...outputsOf('2026/b.jpg'), ...outputsOf('c d.jpg')].sort(),
    );
    const large = putInputs().find((input) => input.Key === 'processed/large/a.jpg');
    const meta = await sharp(large?.Body as Buffer).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([1200, 900, 'jpeg']);
  });

  it('lists every message of an all-failed batch instead of throwing (throwOnFullBatchFailure: false)', async () => {
    // Prepare
    s3.on(GetObjectCommand).rejects(gone());
    const records = [
      sqsRecord('not json at all'),
      jsonRecord({ bucket }),
      jsonRecord({ key: 'uploads/a.jpg', sizes: ['enormous'] }),
      jsonRecord({ key: 'uploads/gone.jpg' }),
    ];

    // Act
    const response = await invoke(sqsEvent(records));

    // Assess
    expect(failedIds(response)).toEqual(idsOf(records));
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it.each([
    ['sent to the queue directly', (message: unknown) => message],
    ['wrapped in an SNS notification', snsEnvelope],
  ])('resizes the object of an S3 notification %s, its key decoded once', async (_, wrap) => {
    // Prepare
    s3.on(GetObjectCommand, { Bucket: bucket, Key: 'uploads/my photo+1.jpg' }).callsFake(() => body(small));
    s3.on(PutObjectCommand).resolves({});
    const record = jsonRecord(wrap(s3Notification(bucket, 'uploads/my+photo%2B1.jpg')));

    // Act
    const response = await invoke(sqsEvent([record]));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(putKeys().sort()).toEqual(outputsOf('my photo+1.jpg'));
  });

  it('acknowledges the s3:TestEvent (direct or via SNS) and a removal notification without any S3 call', async () => {
    // Prepare
    const records = [
      jsonRecord(s3TestEvent(bucket)),
      jsonRecord(snsEnvelope(s3TestEvent(bucket))),
      jsonRecord(s3Notification(bucket, 'uploads/old.jpg', 'ObjectRemoved:Delete')),
    ];

    // Act
    const response = await invoke(sqsEvent(records));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(s3.calls()).toHaveLength(0);
  });

  it('writes only the sizes a job names', async () => {
    // Prepare
    s3.on(GetObjectCommand).callsFake(() => body(jpeg));
    s3.on(PutObjectCommand).resolves({});

    // Act
    const response = await invoke(sqsEvent([jsonRecord({ key: 'uploads/cat.jpg', sizes: ['thumbnail'] })]));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(putKeys()).toEqual(['processed/thumbnail/cat.jpg']);
    const meta = await sharp(putInputs()[0]?.Body as Buffer).metadata();
    expect([meta.width, meta.height]).toEqual([150, 113]);
  });

  it('fails a job that names an unknown size, permanently and before reading anything', async () => {
    // Prepare
    const record = jsonRecord({ key: 'uploads/cat.jpg', sizes: ['thumbnail', 'poster'] });

    // Act
    const response = await invoke(sqsEvent([record]));

    // Assess
    expect(failedIds(response)).toEqual([record.messageId]);
    expect(s3.calls()).toHaveLength(0);
    expect(logger.error).toHaveBeenCalledWith(
      'Unknown size requested (permanent)',
      expect.objectContaining({ messageId: record.messageId }),
    );
  });

  it.each([
    ['webp', 'image/webp', 'webp'],
    ['avif', 'image/avif', 'heif'],
  ])('writes %s outputs when the job asks for that format', async (format, contentType, decodedAs) => {
    // Prepare
    s3.on(GetObjectCommand).callsFake(() => body(small));
    s3.on(PutObjectCommand).resolves({});

    // Act
    const response = await invoke(sqsEvent([jsonRecord({ key: 'uploads/cat.jpg', format })]));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(putKeys().sort()).toEqual(outputsOf('cat.jpg'));
    for (const input of putInputs()) {
      expect(input.ContentType).toBe(contentType);
      expect((await sharp(input.Body as Buffer).metadata()).format).toBe(decodedAs);
    }
  });

  it('reads and writes in the default bucket when a job names none, and in the named one otherwise', async () => {
    // Prepare
    s3.on(GetObjectCommand).callsFake(() => body(small));
    s3.on(PutObjectCommand).resolves({});
    const resize = build({ defaultBucket: 'default-uploads' });

    // Act
    await resize(sqsEvent([jsonRecord({ key: 'uploads/a.jpg', sizes: ['small'] })]));
    await resize(sqsEvent([jsonRecord({ bucket: 'other-uploads', key: 'uploads/b.jpg', sizes: ['small'] })]));

    // Assess
    const reads = s3.commandCalls(GetObjectCommand).map(({ args: [{ input }] }) => [input.Bucket, input.Key]);
    expect(reads).toEqual([
      ['default-uploads', 'uploads/a.jpg'],
      ['other-uploads', 'uploads/b.jpg'],
    ]);
    expect(putInputs().map((input) => [input.Bucket, input.Key])).toEqual([
      ['default-uploads', 'processed/small/a.jpg'],
      ['other-uploads', 'processed/small/b.jpg'],
    ]);
  });

  it('fails only the message whose S3 call fails transiently, without logging it as permanent', async () => {
    // Prepare
    s3.on(GetObjectCommand).callsFake(() => body(small));
    s3.on(GetObjectCommand, { Key: 'uploads/throttled.jpg' }).rejects(
      new S3ServiceException({
        name: 'SlowDown',
        $fault: 'server',
        message: 'Please reduce your request rate.',
        $metadata: { httpStatusCode: 503 },
      }),
    );
    s3.on(PutObjectCommand).resolves({});
    s3.on(PutObjectCommand, { Key: 'processed/medium/half.jpg' }).rejects(new Error('InternalError'));
    const ok = jsonRecord({ key: 'uploads/ok.jpg' });
    const throttled = jsonRecord({ key: 'uploads/throttled.jpg' });
    const half = jsonRecord({ key: 'uploads/half.jpg' });

    // Act
    const response = await invoke(sqsEvent([ok, throttled, half]));

    // Assess
    expect(failedIds(response)).toEqual(idsOf([throttled, half]));
    expect(
      putKeys()
        .filter((key) => key.endsWith('/ok.jpg'))
        .sort(),
    ).toEqual(outputsOf('ok.jpg'));
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('never runs more jobs at once than its concurrency bound', async () => {
    // Prepare: every read is held open until three are in flight, so waiting jobs pile up behind the bound.
    const records = Array.from({ length: 10 }, (_, index) =>
      jsonRecord({ key: `uploads/${index}.jpg`, sizes: ['thumbnail'] }),
    );
    const reads = inFlightProbe({ bound: 3, calls: records.length });
    s3.on(GetObjectCommand).callsFake(() => reads.hold(() => body(small)));
    s3.on(PutObjectCommand).resolves({});

    // Act
    const response = await build({ concurrency: 3 })(sqsEvent(records));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(getKeys()).toHaveLength(10);
    expect(reads.max).toBe(3);
  });

  it('hands back the jobs it has no time left to start, unread, and finishes the jobs in progress', async () => {
    // Prepare: two jobs at once; once both are writing their outputs, the clock drops below the budget.
    let remainingMs = 60_000;
    const context: Context = { ...lambdaContext(), getRemainingTimeInMillis: () => remainingMs };
    let release: () => void = () => undefined;
    const bothWriting = new Promise<void>((resolve) => {
      release = resolve;
    });
    s3.on(GetObjectCommand).callsFake(() => body(small));
    s3.on(PutObjectCommand).callsFake(async () => {
      if (s3.commandCalls(PutObjectCommand).length === 8) {
        remainingMs = settings.minRemainingMs - 1;
        release();
      }
      await bothWriting;
      return {};
    });
    const records = ['a', 'b', 'c', 'd', 'e'].map((name) => jsonRecord({ key: `uploads/${name}.jpg` }));

    // Act
    const response = await build({ concurrency: 2 })(sqsEvent(records), context);

    // Assess
    expect(failedIds(response)).toEqual(idsOf(records.slice(2)));
    expect(getKeys().sort()).toEqual(['uploads/a.jpg', 'uploads/b.jpg']);
    expect(putKeys().sort()).toEqual([...outputsOf('a.jpg'), ...outputsOf('b.jpg')].sort());
    // Out of time is not the message's fault: nothing is logged as permanent.
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('starts no job at all when the invocation begins with less than MIN_REMAINING_MS left', async () => {
    // Prepare
    const context = lambdaContext({ timeoutMs: settings.minRemainingMs - 500 });
    const records = [jsonRecord({ key: 'uploads/a.jpg' }), jsonRecord({ key: 'uploads/b.jpg' })];

    // Act
    const response = await invoke(sqsEvent(records), context);

    // Assess
    expect(failedIds(response)).toEqual(idsOf(records));
    expect(s3.calls()).toHaveLength(0);
  });
});

describe('sample events (events/*.json)', () => {
  const sample = (name: string) =>
    JSON.parse(readFileSync(new URL(`../../events/${name}`, import.meta.url), 'utf8')) as SQSEvent;
  const resize = build({ defaultBucket: 'example-uploads-bucket' });

  it.each([
    [
      'sqs-resize-jobs.json',
      [
        ...outputsOf('2026/holiday/beach.jpg'),
        'processed/small/2026/holiday/sunset.jpg',
        'processed/thumbnail/2026/holiday/sunset.jpg',
        ...outputsOf('2026/holiday/harbour.jpg'),
      ],
    ],
    ['sqs-s3-notification.json', outputsOf('2026/holiday/beach party.jpg')],
    ['sqs-sns-s3-notification.json', outputsOf('2026/holiday/beach party.jpg')],
  ])('%s is processed in full', async (name, outputs) => {
    // Prepare: the bucket holds the version the sample notifications announce
    s3.on(HeadObjectCommand, { Bucket: 'example-uploads-bucket' }).resolves({
      ETag: '"0123456789abcdef0123456789abcdef"',
    });
    s3.on(GetObjectCommand, { Bucket: 'example-uploads-bucket' }).callsFake(() => body(small));
    s3.on(PutObjectCommand).resolves({});

    // Act
    const response = await resize(sample(name));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(putKeys().sort()).toEqual([...outputs].sort());
    expect(new Set(putInputs().map((input) => input.Bucket))).toEqual(new Set(['example-uploads-bucket']));
  });
});
