import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { resizeSettingsFrom } from '@repo/image-jobs/settings';
import { lambdaContext } from '@repo/testing/lambda-context';
import { useMotoEnvironment } from '@repo/testing/moto-environment';
// Declares the value the moto global setup provides (inject('motoEndpoint')).
import type {} from '@repo/testing/moto-global-setup';
import { quietObservability } from '@repo/testing/observability';
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

  it('skips an event for bytes the key no longer holds (an unversioned bucket: by ETag), and the overwrite’s own event writes the sizes', async () => {
    const first = await put('uploads/overwritten.jpg', await photo(800, 600));
    const second = await put('uploads/overwritten.jpg', await photo(600, 800));

    const late = await handler(first, context());
    expect(late).toEqual([expect.objectContaining({ status: 'skipped', reason: 'superseded' })]);
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

describe('image-resizer against a versioned bucket (moto)', () => {
  const versioned = 'image-resizer-versioned-it';
  let landscape: Buffer;
  let portrait: Buffer;

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: versioned }));
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: versioned, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    [landscape, portrait] = await Promise.all([photo(900, 600), photo(600, 900)]);
  });

  /** Uploads a version and returns its EventBridge event, version id included. */
  async function putVersion(key: string, body: Buffer) {
    const { ETag, VersionId } = await s3.send(
      new PutObjectCommand({ Bucket: versioned, Key: key, Body: body }),
    );
    const event = objectCreated(versioned, key, body.length, ETag?.replaceAll('"', ''));
    Object.assign(event.detail.object, { 'version-id': VersionId });
    return event;
  }

  const thumbnailOf = async (name: string) => {
    const object = await s3.send(
      new GetObjectCommand({ Bucket: versioned, Key: `processed/thumbnail/${name}` }),
    );
    const meta = await sharp(Buffer.from((await object.Body?.transformToByteArray()) ?? [])).metadata();
    return [meta.width, meta.height];
  };

  it('leaves the newer version’s outputs when the older version’s event comes last', async () => {
    // Arrange
    const older = await putVersion('uploads/late-event.jpg', landscape);
    const newer = await putVersion('uploads/late-event.jpg', portrait);

    // Act: the newer event first, then the older one (EventBridge does not order deliveries)
    const first = await handler(newer, context());
    const last = await handler(older, context());

    // Assess
    expect(first).toEqual([expect.objectContaining({ status: 'resized' })]);
    expect(last).toEqual([expect.objectContaining({ status: 'skipped', reason: 'superseded' })]);
    expect(await thumbnailOf('late-event.jpg')).toEqual([100, 150]);
  });

  it('converges on the newer version when the key is overwritten while it resizes the older one', async () => {
    // Arrange: an S3 client that overwrites the upload just before the first output is written — the
    // older version is read and resized, its outputs about to land after the newer version's.
    const key = 'uploads/raced.jpg';
    const older = await putVersion(key, landscape);
    const client = new S3Client({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    let overwritten = false;
    client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { Key?: string };
        if (!overwritten && input.Key?.startsWith('processed/')) {
          overwritten = true;
          await s3.send(new PutObjectCommand({ Bucket: versioned, Key: key, Body: portrait }));
        }
        return next(args);
      },
      { step: 'initialize', name: 'overwriteWhileResizing' },
    );
    // Imported as the deployed handler is, once the moto environment is set; its settings as deployed.
    const { createHandler } = await import('../../src/handler.ts');
    const { readConfig } = await import('../../src/config.ts');
    const settings = resizeSettingsFrom(readConfig());
    const racing = createHandler({ s3: client, observability: quietObservability(), settings });

    // Act
    const outcomes = await racing(older as never, context());

    // Assess: resized — and what it left is the newer, portrait version
    expect(overwritten).toBe(true);
    expect(outcomes).toEqual([expect.objectContaining({ status: 'resized' })]);
    expect(await thumbnailOf('raced.jpg')).toEqual([100, 150]);
    client.destroy();
  });
});
