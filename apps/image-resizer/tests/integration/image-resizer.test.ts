import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { lambdaContext } from '@repo/testing/lambda-context';
import { useMotoEnvironment } from '@repo/testing/moto-environment';
// Declares the value the moto global setup provides (inject('motoEndpoint')).
import type {} from '@repo/testing/moto-global-setup';
import { photo } from '@repo/testing/photos';
import sharp from 'sharp';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { objectCreated } from '../unit/events.ts';

const endpoint = inject('motoEndpoint');
useMotoEnvironment(endpoint, { INPUT_PREFIX: 'uploads/', OUTPUT_PREFIX: 'processed/' });

const bucket = 'image-resizer-it';
const s3 = new S3Client({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<{ status: string }[]>;
let handler: Handler;

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  ({ handler } = (await import('../../src/handler.ts')) as unknown as { handler: Handler });
});

const processedKeys = async (name: string) =>
  ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'processed/' }))).Contents ?? [])
    .map((object) => object.Key as string)
    .filter((key) => key.endsWith(`/${name}`))
    .sort();

// The context's clock runs in real time and the handler refuses work with less than MIN_REMAINING_MS
// (3 s) left: a minute keeps a slow, loaded machine from looking like an invocation out of time.
const context = () => lambdaContext({ timeoutMs: 60_000 });

/** Uploads `body` and returns the event S3 sends for it (its ETag pins the read to these bytes). */
async function put(key: string, body: Buffer) {
  const { ETag } = await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'image/jpeg' }),
  );
  return objectCreated(bucket, key, body.length, ETag?.replaceAll('"', ''));
}

async function upload(key: string, body: Buffer) {
  return handler(await put(key, body), context());
}

describe('image-resizer against moto S3', () => {
  it('writes four upright JPEGs without EXIF, with the right sizes and content type', async () => {
    // Orientation 6: stored landscape 1600×1200, displayed portrait 1200×1600.
    const outcomes = await upload('uploads/portrait.jpg', await photo(1600, 1200, { orientation: 6 }));

    expect(outcomes).toEqual([expect.objectContaining({ status: 'resized' })]);
    expect(await processedKeys('portrait.jpg')).toEqual([
      'processed/large/portrait.jpg',
      'processed/medium/portrait.jpg',
      'processed/small/portrait.jpg',
      'processed/thumbnail/portrait.jpg',
    ]);
    const expected = { thumbnail: [113, 150], small: [225, 300], medium: [450, 600], large: [900, 1200] };
    for (const [size, [width, height]] of Object.entries(expected)) {
      const object = await s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: `processed/${size}/portrait.jpg` }),
      );
      expect(object.ContentType).toBe('image/jpeg');
      expect(object.CacheControl).toBe('public, max-age=86400');
      const meta = await sharp(
        Buffer.from(
          await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
        ),
      ).metadata();
      expect([meta.width, meta.height], size).toEqual([width, height]);
      expect(meta.exif, size).toBeUndefined();
      expect(meta.orientation ?? 1, size).toBe(1);
    }
  });

  it('leaves exactly the same four objects after a duplicate event', async () => {
    const image = await photo(800, 600);
    const event = await put('uploads/twice.jpg', image);
    await handler(event, context());

    await handler(event, context());

    expect(await processedKeys('twice.jpg')).toHaveLength(4);
  });

  it('writes nothing for a corrupt upload, and the next good upload still works', async () => {
    const good = await photo(640, 480);

    const corrupt = await upload('uploads/corrupt.jpg', good.subarray(0, 2_000));
    const next = await upload('uploads/next.jpg', good);

    expect(corrupt).toEqual([expect.objectContaining({ status: 'rejected', reason: 'corrupt' })]);
    expect(await processedKeys('corrupt.jpg')).toEqual([]);
    expect(next).toEqual([expect.objectContaining({ status: 'resized' })]);
    expect(await processedKeys('next.jpg')).toHaveLength(4);
  });

  it('reads the bytes its event announced: an event for an overwritten upload writes nothing, the overwrite’s own event writes the sizes', async () => {
    const first = await put('uploads/overwritten.jpg', await photo(800, 600));
    const second = await put('uploads/overwritten.jpg', await photo(600, 800));

    const late = await handler(first, context());
    expect(late).toEqual([expect.objectContaining({ status: 'rejected', reason: 'object-changed' })]);
    expect(await processedKeys('overwritten.jpg')).toEqual([]);

    expect(await handler(second, context())).toEqual([expect.objectContaining({ status: 'resized' })]);
    // The portrait overwrite's thumbnail (the first upload was landscape: 150×113).
    const thumbnail = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: 'processed/thumbnail/overwritten.jpg' }),
    );
    const bytes = await (
      thumbnail.Body as { transformToByteArray(): Promise<Uint8Array> }
    ).transformToByteArray();
    const meta = await sharp(Buffer.from(bytes)).metadata();
    expect([meta.width, meta.height]).toEqual([113, 150]);
  });
});
