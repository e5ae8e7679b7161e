import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { S3ObjectRef } from '@repo/events/s3';
import { PermanentError } from './outcome.ts';

/** Larger than the caller allows, by its Content-Length or counted while streaming. */
export class ObjectTooLargeError extends PermanentError {
  override name = 'ObjectTooLargeError';
  constructor(readonly limit: number) {
    super('too-large', `Object is larger than ${limit} bytes`);
  }
}

/** Deleted, or made unreadable (object or bucket), between the event and the read. */
export class ObjectGoneError extends PermanentError {
  override name = 'ObjectGoneError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('object-gone', message, options);
  }
}

/** Overwritten since the event: the bytes it announced are no longer there (the newer upload has its own event). */
export class ObjectChangedError extends PermanentError {
  override name = 'ObjectChangedError';
  constructor(options?: { cause?: unknown }) {
    super('object-changed', 'overwritten since this event; the newer upload has its own event', options);
  }
}

/** What went wrong reading an object: three kinds no retry can fix, and the rest. */
export type ReadFailure = 'gone' | 'changed' | 'too-large' | 'transient';

/**
 * Classifies an error from reading an object. Gone: no such key, version or bucket, or access denied —
 * S3 answers 403 rather than 404 for a missing key to a caller without s3:ListBucket, and a bucket
 * policy that now refuses us will refuse every retry too (each rejection is logged and counted by
 * reason, so a policy mistake shows). Changed: the `If-Match` precondition failed. Too large: the
 * caller's limit. Anything else — throttling, 5xx, resets, timeouts — is transient.
 */
export function classifyReadFailure(error: unknown): ReadFailure {
  if (error instanceof ObjectTooLargeError) return 'too-large';
  if (!(error instanceof S3ServiceException)) return 'transient';
  const status = error.$metadata?.httpStatusCode;
  if (['NoSuchKey', 'NoSuchVersion', 'NoSuchBucket', 'AccessDenied'].includes(error.name)) return 'gone';
  if (status === 404 || status === 403) return 'gone';
  if (error.name === 'PreconditionFailed' || status === 412) return 'changed';
  return 'transient';
}

/** An object's bytes as a stream that never yields more than the limit, and S3's Content-Type. */
export interface ObjectRead {
  body: AsyncIterable<Uint8Array>;
  contentType?: string;
}

/**
 * Opens an object for reading, pinned to the bytes its event announced — the version id in versioned
 * buckets, else the ETag as `If-Match` — and bounded to `maxBytes`: refused up front by Content-Length
 * (the stream is closed unread), and counted while streaming (the header may be absent or lie). Gone,
 * changed and too large are thrown as PermanentErrors; anything else as it came, to be retried.
 */
export async function readObject(
  s3: S3Client,
  object: Pick<S3ObjectRef, 'bucket' | 'key' | 'versionId' | 'etag'>,
  { maxBytes }: { maxBytes: number },
): Promise<ObjectRead> {
  const versionId = object.versionId && object.versionId !== 'null' ? object.versionId : undefined;
  let response: GetObjectCommandOutput;
  try {
    response = await s3.send(
      new GetObjectCommand({
        Bucket: object.bucket,
        Key: object.key,
        VersionId: versionId,
        IfMatch: versionId ? undefined : object.etag && `"${object.etag.replaceAll('"', '')}"`,
      }),
    );
  } catch (error) {
    throw permanentOrAsIs(error);
  }
  const body = response.Body as (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined;
  if (response.ContentLength !== undefined && response.ContentLength > maxBytes) {
    body?.destroy?.();
    throw new ObjectTooLargeError(maxBytes);
  }
  return { body: bounded(body ?? emptyBody(), maxBytes), contentType: response.ContentType };
}

/** Reads a whole object into memory (see readObject: pinned and bounded). */
export async function readObjectBytes(
  s3: S3Client,
  object: Pick<S3ObjectRef, 'bucket' | 'key' | 'versionId' | 'etag'>,
  limits: { maxBytes: number },
): Promise<Buffer> {
  const { body } = await readObject(s3, object, limits);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

function permanentOrAsIs(error: unknown): unknown {
  const failure = classifyReadFailure(error);
  if (failure === 'gone') return new ObjectGoneError((error as Error).message, { cause: error });
  if (failure === 'changed') return new ObjectChangedError({ cause: error });
  return error;
}

/** Passes chunks on until more than `maxBytes` have come, then closes the source and throws. */
async function* bounded(
  body: AsyncIterable<Uint8Array> & { destroy?: () => void },
  maxBytes: number,
): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > maxBytes) {
      body.destroy?.();
      throw new ObjectTooLargeError(maxBytes);
    }
    yield chunk;
  }
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}
