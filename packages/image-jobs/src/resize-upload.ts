import { GetObjectCommand, PutObjectCommand, type S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { S3ObjectRef } from '@repo/events/s3';
import { ImageError, ImageTooLargeError } from '@repo/image/image-errors';
import { type OutputSize, outputKeyOf } from '@repo/image/outputs';
import { type OutputFormat, resizeImage } from '@repo/image/resize-image';

export interface ResizeSettings {
  sizes: readonly OutputSize[];
  inputPrefix: string;
  outputPrefix: string;
  maxInputBytes: number;
  maxInputPixels: number;
  format: OutputFormat;
  quality: number;
  cacheControl: string;
  minRemainingMs: number;
}

export interface Output {
  key: string;
  size: string;
  width: number;
  height: number;
  bytes: number;
  contentType: string;
}

/** Where the time went, for metrics: S3 download, decode + resize + encode, S3 uploads. */
export interface Timings {
  downloadMs: number;
  resizeMs: number;
  uploadMs: number;
}

export type ResizeOutcome =
  | { status: 'resized'; inputBytes: number; outputs: Output[]; timings: Timings }
  /** Not ours to process (outside the input prefix, a folder marker, empty): nothing to do, by rule. */
  | { status: 'skipped'; reason: 'outside-input-prefix' | 'folder-marker' | 'empty-object' }
  /** Permanent: retrying the same object cannot help (not an image, corrupt, too big, gone). */
  | { status: 'rejected'; reason: string; message: string };

/** The invocation is about to run out of time: fail loudly now rather than be killed mid-write. */
export class TimeBudgetError extends Error {
  override readonly name = 'TimeBudgetError';
  constructor(step: string, remainingMs: number, neededMs: number) {
    super(`Not starting "${step}": ${remainingMs} ms left, ${neededMs} ms needed`);
  }
}

/**
 * Resizes one uploaded image into `<outputPrefix><size>/<name>` for every size, where `<name>` is the
 * key below the input prefix: deterministic keys, so a retry or a duplicate event overwrites rather
 * than duplicates. Either all outputs are written or it throws (S3 faults are transient: Lambda
 * retries). Permanent problems are returned as `rejected`, never thrown.
 */
export async function resizeUpload(
  object: S3ObjectRef,
  { s3, settings, remainingMs }: { s3: S3Client; settings: ResizeSettings; remainingMs: () => number },
): Promise<ResizeOutcome> {
  const { bucket, key } = object;
  if (!key.startsWith(settings.inputPrefix) || key.startsWith(settings.outputPrefix)) {
    return { status: 'skipped', reason: 'outside-input-prefix' };
  }
  if (key.endsWith('/')) return { status: 'skipped', reason: 'folder-marker' };
  if (object.size === 0) return { status: 'skipped', reason: 'empty-object' };
  if (object.size !== undefined && object.size > settings.maxInputBytes) {
    return rejected(new ImageTooLargeError(object.size, settings.maxInputBytes));
  }

  const ensureTime = (step: string) => {
    const left = remainingMs();
    if (left < settings.minRemainingMs) throw new TimeBudgetError(step, left, settings.minRemainingMs);
  };

  ensureTime('download');
  const started = performance.now();
  let input: Buffer;
  try {
    input = await readObject(s3, bucket, key, settings.maxInputBytes);
  } catch (error) {
    if (error instanceof ImageTooLargeError) return rejected(error);
    if (isGone(error))
      return { status: 'rejected', reason: 'object-gone', message: (error as Error).message };
    throw error;
  }
  if (input.length === 0) return { status: 'skipped', reason: 'empty-object' };

  const downloaded = performance.now();
  ensureTime('resize');
  let images: Awaited<ReturnType<typeof resizeImage>>;
  try {
    images = await resizeImage(input, {
      sizes: settings.sizes,
      format: settings.format,
      quality: settings.quality,
      limitInputPixels: settings.maxInputPixels,
    });
  } catch (error) {
    if (error instanceof ImageError) return rejected(error);
    throw error;
  }

  const resized = performance.now();
  ensureTime('upload');
  const outputs = images.map((image) => ({
    key: outputKeyOf(settings, key, image.size),
    size: image.size,
    width: image.width,
    height: image.height,
    bytes: image.data.length,
    contentType: image.contentType,
    data: image.data,
  }));
  await Promise.all(
    outputs.map((output) =>
      s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: output.key,
          Body: output.data,
          ContentType: output.contentType,
          CacheControl: settings.cacheControl,
        }),
      ),
    ),
  );
  const uploaded = performance.now();
  return {
    status: 'resized',
    inputBytes: input.length,
    outputs: outputs.map(({ data: _data, ...output }) => output),
    timings: {
      downloadMs: downloaded - started,
      resizeMs: resized - downloaded,
      uploadMs: uploaded - resized,
    },
  };
}

/** Reads an object as a stream, refusing to hold more than `maxBytes` (the header may be absent or lie). */
async function readObject(s3: S3Client, bucket: string, key: string, maxBytes: number): Promise<Buffer> {
  const { Body, ContentLength } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (ContentLength !== undefined && ContentLength > maxBytes) {
    (Body as { destroy?: () => void } | undefined)?.destroy?.();
    throw new ImageTooLargeError(ContentLength, maxBytes);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of Body as AsyncIterable<Uint8Array>) {
    total += chunk.length;
    if (total > maxBytes) {
      (Body as { destroy?: () => void }).destroy?.();
      throw new ImageTooLargeError(total, maxBytes);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks, total);
}

/** Deleted or made unreadable (object or bucket) between the event and our read: no retry can fix it. */
function isGone(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (['NoSuchKey', 'NoSuchBucket', 'AccessDenied'].includes(error.name) ||
      error.$metadata.httpStatusCode === 404)
  );
}

function rejected(error: ImageError): ResizeOutcome {
  return { status: 'rejected', reason: error.reason, message: error.message };
}
