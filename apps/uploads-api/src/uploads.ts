import { randomUUID } from 'node:crypto';
import {
  GetObjectCommand,
  HeadObjectCommand,
  NotFound,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { defaultSizes, outputKeyOf } from '@repo/image/outputs';

/** The image types image-resizer decodes, as a client declares them. */
export const uploadContentTypes = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'image/avif',
  'image/tiff',
] as const;
export type UploadContentType = (typeof uploadContentTypes)[number];

export interface UploadSettings {
  bucket: string;
  inputPrefix: string;
  outputPrefix: string;
  maxBytes: number;
  linkTtlSeconds: number;
}

export interface UploadLinkDependencies {
  s3: S3Client;
  settings: UploadSettings;
  now?: () => Date;
  newId?: () => string;
}

/** What a client needs to make one upload: a PUT to `url` with exactly these headers, before `expiresAt`. */
export interface UploadLink {
  uploadId: string;
  method: 'PUT';
  url: string;
  headers: { 'Content-Type': UploadContentType; 'Content-Length': string };
  expiresAt: string;
}

/** One upload's sizes: a download link for each that image-resizer has written, null for the others. */
export interface UploadOutputs {
  uploadId: string;
  outputs: Record<string, { url: string; expiresAt: string } | null>;
}

/** The size the client declared is not one the link may carry. */
export class UploadTooLargeError extends Error {
  override readonly name = 'UploadTooLargeError';
  constructor(readonly maxBytes: number) {
    super(`An upload may be at most ${maxBytes} bytes`);
  }
}

/**
 * A presigned PUT for one new object, `<inputPrefix><owner>/<new id>`: the key is the server's, never the
 * client's, and always under the caller's own prefix. The signature covers the content type and the
 * exact length the client declared (at most `maxBytes`), so S3 refuses a body of another size or type,
 * and the link expires after `linkTtlSeconds`. Signed with the function's credentials, which may write
 * under the input prefix only (template).
 */
export async function createUploadLink(
  owner: string,
  { contentType, size }: { contentType: UploadContentType; size: number },
  { s3, settings, now = () => new Date(), newId = randomUUID }: UploadLinkDependencies,
): Promise<UploadLink> {
  if (size > settings.maxBytes) throw new UploadTooLargeError(settings.maxBytes);
  const uploadId = newId();
  const url = await getSignedUrl(
    s3,
    new PutObjectCommand({
      Bucket: settings.bucket,
      Key: keyOf(settings, owner, uploadId),
      ContentType: contentType,
      ContentLength: size,
    }),
    {
      expiresIn: settings.linkTtlSeconds,
      // In the signature, not only in the request: S3 then refuses any other type or length.
      signableHeaders: new Set(['content-type', 'content-length']),
    },
  );
  return {
    uploadId,
    method: 'PUT',
    url,
    headers: { 'Content-Type': contentType, 'Content-Length': String(size) },
    expiresAt: new Date(now().getTime() + settings.linkTtlSeconds * 1000).toISOString(),
  };
}

/**
 * Download links for the sizes of the caller's upload `uploadId` that exist so far; undefined when the
 * caller has no such upload (neither the original nor any size) — which is also what anyone else's
 * upload id gives, since only the caller's own prefix is looked at.
 */
export async function findUploadOutputs(
  owner: string,
  uploadId: string,
  { s3, settings, now = () => new Date() }: UploadLinkDependencies,
): Promise<UploadOutputs | undefined> {
  const inputKey = keyOf(settings, owner, uploadId);
  const expiresAt = new Date(now().getTime() + settings.linkTtlSeconds * 1000).toISOString();
  const entries = await Promise.all(
    defaultSizes.map(async ({ name }) => {
      const key = outputKeyOf(settings, inputKey, name);
      if (!(await exists(s3, settings.bucket, key))) return [name, null] as const;
      const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: settings.bucket, Key: key }), {
        expiresIn: settings.linkTtlSeconds,
      });
      return [name, { url, expiresAt }] as const;
    }),
  );
  const outputs = Object.fromEntries(entries);
  if (entries.every(([, link]) => link === null) && !(await exists(s3, settings.bucket, inputKey))) {
    return undefined;
  }
  return { uploadId, outputs };
}

const keyOf = ({ inputPrefix }: UploadSettings, owner: string, uploadId: string) =>
  `${inputPrefix}${owner}/${uploadId}`;

async function exists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    if (
      error instanceof NotFound ||
      (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
    )
      return false;
    throw error;
  }
}
