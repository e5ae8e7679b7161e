import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3ObjectRef } from '@repo/events/s3';
import { classifyReadFailure, ObjectGoneError } from './read-object.ts';

/** Which bytes of a key: its version id in a versioned bucket, else its ETag (unquoted). */
export type ObjectVersion = Pick<S3ObjectRef, 'versionId' | 'etag'>;

/**
 * The version `key` is at now — what a read without a version id gets — from a HeadObject. Gone (no
 * such key or bucket, access denied) is thrown as an ObjectGoneError; anything else as it came.
 */
export async function currentVersion(
  s3: S3Client,
  { bucket, key }: Pick<S3ObjectRef, 'bucket' | 'key'>,
): Promise<ObjectVersion> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { versionId: head.VersionId, etag: head.ETag?.replaceAll('"', '') };
  } catch (error) {
    if (classifyReadFailure(error) === 'gone')
      throw new ObjectGoneError((error as Error).message, { cause: error });
    throw error;
  }
}

/** Whether `object` names a version at all: a version id (not S3's "null") or an ETag. */
export const namesAVersion = (object: ObjectVersion) => versionIdOf(object) !== undefined || !!object.etag;

/**
 * Whether two references are the same bytes: by version id when the first has one, else by ETag. (An
 * ETag is a digest of the bytes, so a re-upload of the same bytes is the same version to it — which is
 * all a resize cares about.)
 */
export function sameVersion(a: ObjectVersion, b: ObjectVersion): boolean {
  const id = versionIdOf(a);
  if (id !== undefined) return id === versionIdOf(b);
  return a.etag !== undefined && a.etag.replaceAll('"', '') === b.etag?.replaceAll('"', '');
}

const versionIdOf = ({ versionId }: ObjectVersion) =>
  versionId && versionId !== 'null' ? versionId : undefined;
