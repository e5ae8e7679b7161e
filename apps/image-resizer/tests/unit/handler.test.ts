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
import { lambdaContext } from '@repo/testing/lambda-context';
import { quietObservability } from '@repo/testing/observability';
import { photo } from '@repo/testing/photos';
import { mockClient } from 'aws-sdk-client-mock';
import sharp from 'sharp';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHandler } from '../../src/handler.ts';
import { eventEtag, notification, objectCreated } from './events.ts';

const s3 = mockClient(S3Client);
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
const handler = createHandler({
  s3: new S3Client({ region: 'us-east-1' }),
  observability: quietObservability(),
  settings,
});

let jpeg: Buffer;
beforeAll(async () => {
  jpeg = await photo(1600, 1200);
});
beforeEach(() => {
  s3.reset();
  // What the bucket holds now: the version the events announce.
  s3.on(HeadObjectCommand).resolves({ ETag: `"${eventEtag}"` });
});

const body = (bytes: Buffer) => ({ Body: Readable.from([bytes]) as never, ContentLength: bytes.length });
const invoke = (event: unknown, timeoutMs = 30_000) => handler(event as never, lambdaContext({ timeoutMs }));
const putKeys = () => s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key);

describe('image-resizer handler', () => {
  it('writes the four sizes of an upload under processed/<size>/<name>, with type and cache headers', async () => {
    s3.on(GetObjectCommand, { Bucket: 'photos', Key: 'uploads/2026/cat.jpg' }).resolves(body(jpeg));
    s3.on(PutObjectCommand).resolves({});

    const [outcome] = await invoke(objectCreated('photos', 'uploads/2026/cat.jpg'));

    expect(putKeys().sort()).toEqual([
      'processed/large/2026/cat.jpg',
      'processed/medium/2026/cat.jpg',
      'processed/small/2026/cat.jpg',
      'processed/thumbnail/2026/cat.jpg',
    ]);
    for (const call of s3.commandCalls(PutObjectCommand)) {
      expect(call.args[0].input).toMatchObject({
        Bucket: 'photos',
        ContentType: 'image/jpeg',
        CacheControl: 'public, max-age=86400',
      });
    }
    expect(outcome).toMatchObject({ status: 'resized' });
    const large = s3
      .commandCalls(PutObjectCommand)
      .find((call) => call.args[0].input.Key?.includes('/large/'));
    const meta = await sharp(large?.args[0].input.Body as Buffer).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([1200, 900, 'jpeg']);
  });

  it('decodes a notification key exactly once', async () => {
    s3.on(GetObjectCommand, { Key: 'uploads/my photo+1.jpg' }).resolves(body(jpeg));
    s3.on(PutObjectCommand).resolves({});

    await invoke(notification('photos', 'uploads%2Fmy+photo%2B1.jpg'));

    expect(putKeys()).toContain('processed/thumbnail/my photo+1.jpg');
  });

  it('writes the same keys again for a duplicate event, so a retry overwrites instead of duplicating', async () => {
    s3.on(GetObjectCommand).callsFake(() => body(jpeg));
    s3.on(PutObjectCommand).resolves({});

    await invoke(objectCreated('photos', 'uploads/cat.jpg'));
    await invoke(objectCreated('photos', 'uploads/cat.jpg'));

    expect(putKeys()).toHaveLength(8);
    expect(new Set(putKeys()).size).toBe(4);
  });

  it.each([
    ['its own output', 'processed/thumbnail/cat.jpg'],
    ['a key outside the input prefix', 'other/cat.jpg'],
    ['a folder marker', 'uploads/2026/'],
  ])('never touches %s', async (_, key) => {
    const outcomes = await invoke(objectCreated('photos', key));

    expect(s3.calls()).toHaveLength(0);
    expect(outcomes[0]?.status).toBe('skipped');
  });

  it('acknowledges the s3:TestEvent and a malformed event without work and without throwing', async () => {
    const test = await invoke({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'photos' });
    const malformed = await invoke({ detail: { object: { key: 'uploads/x.jpg' } } });

    expect(test).toEqual([]);
    expect(malformed).toEqual([]);
    expect(s3.calls()).toHaveLength(0);
  });

  it.each([
    ['text', Buffer.from('hello, I am not an image'), 'unsupported-format'],
    [
      'an SVG',
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'),
      'unsupported-format',
    ],
  ])('rejects %s permanently: nothing written, nothing thrown', async (_, bytes, reason) => {
    s3.on(GetObjectCommand).resolves(body(bytes));

    const [outcome] = await invoke(objectCreated('photos', 'uploads/not-an-image.jpg'));

    expect(outcome).toMatchObject({ status: 'rejected', reason });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('rejects a truncated image permanently', async () => {
    s3.on(GetObjectCommand).resolves(body(jpeg.subarray(0, Math.floor(jpeg.length / 2))));

    const [outcome] = await invoke(objectCreated('photos', 'uploads/truncated.jpg'));

    expect(outcome).toMatchObject({ status: 'rejected', reason: 'corrupt' });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('refuses an object over MAX_INPUT_BYTES by its event size, its Content-Length, or while streaming', async () => {
    const tooBig = settings.maxInputBytes + 1;
    const bySize = await invoke(objectCreated('photos', 'uploads/huge.jpg', tooBig));
    expect(s3.calls()).toHaveLength(0);

    const chunks = Array.from({ length: 6 }, () => Buffer.alloc(1024 * 1024));
    s3.on(GetObjectCommand)
      .resolvesOnce({ Body: Readable.from([jpeg]) as never, ContentLength: tooBig })
      .resolvesOnce({ Body: Readable.from(chunks) as never });
    const byLength = await invoke(objectCreated('photos', 'uploads/huge.jpg'));
    const byStream = await invoke(objectCreated('photos', 'uploads/huge.jpg'));

    for (const [outcome] of [bySize, byLength, byStream])
      expect(outcome).toMatchObject({ status: 'rejected', reason: 'too-large' });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('treats an object deleted before it was read as permanent', async () => {
    s3.on(GetObjectCommand).rejects(
      new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } }),
    );

    const [outcome] = await invoke(objectCreated('photos', 'uploads/gone.jpg'));

    expect(outcome).toMatchObject({ status: 'rejected', reason: 'object-gone' });
  });

  it('throws on S3 throttling so that Lambda retries', async () => {
    s3.on(GetObjectCommand).rejects(
      new S3ServiceException({
        name: 'SlowDown',
        $fault: 'server',
        message: 'Please reduce your request rate.',
        $metadata: { httpStatusCode: 503 },
      }),
    );

    await expect(invoke(objectCreated('photos', 'uploads/cat.jpg'))).rejects.toThrow(
      'Please reduce your request rate.',
    );
  });

  it('throws when one of the four writes fails: no half set is reported as done', async () => {
    s3.on(GetObjectCommand).resolves(body(jpeg));
    s3.on(PutObjectCommand).resolves({});
    s3.on(PutObjectCommand, { Key: 'processed/medium/cat.jpg' }).rejects(new Error('InternalError'));

    await expect(invoke(objectCreated('photos', 'uploads/cat.jpg'))).rejects.toThrow('InternalError');
  });

  it('fails loudly instead of starting a step without enough time left', async () => {
    s3.on(GetObjectCommand).resolves(body(jpeg));

    await expect(invoke(objectCreated('photos', 'uploads/cat.jpg'), 2_000)).rejects.toThrow(
      /Not starting "download": \d+ ms left, 3000 ms needed/,
    );
    expect(s3.calls()).toHaveLength(0);
  });
});
