import { HeadObjectCommand, NotFound, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { currentVersion, namesAVersion, sameVersion } from '../src/object-version.ts';
import { ObjectGoneError } from '../src/read-object.ts';

const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'us-east-1' });

beforeEach(() => {
  s3.reset();
});

describe('sameVersion', () => {
  it.each([
    ['the same version id', { versionId: 'v1', etag: 'a' }, { versionId: 'v1', etag: 'b' }, true],
    [
      'another version id, even with the same bytes',
      { versionId: 'v1', etag: 'a' },
      { versionId: 'v2', etag: 'a' },
      false,
    ],
    ['no version id (unversioned): the same ETag', { etag: 'a' }, { etag: '"a"' }, true],
    ['S3’s "null" version id: by ETag', { versionId: 'null', etag: 'a' }, { etag: 'b' }, false],
    ['no version named at all', {}, { etag: 'a' }, false],
  ])('%s → %s', (_, a, b, same) => {
    expect(sameVersion(a, b)).toBe(same);
  });

  it('tells a reference that names a version from one that does not (a resize job names none)', () => {
    expect(namesAVersion({ versionId: 'v1' })).toBe(true);
    expect(namesAVersion({ etag: 'a' })).toBe(true);
    expect(namesAVersion({ versionId: 'null' })).toBe(false);
    expect(namesAVersion({})).toBe(false);
  });
});

describe('currentVersion', () => {
  it('answers the version id and the unquoted ETag a HeadObject gives', async () => {
    s3.on(HeadObjectCommand, { Bucket: 'b', Key: 'k' }).resolves({ VersionId: 'v7', ETag: '"abc"' });
    expect(await currentVersion(client, { bucket: 'b', key: 'k' })).toEqual({ versionId: 'v7', etag: 'abc' });
  });

  it('throws an ObjectGoneError for a key that is gone (404, or 403 without s3:ListBucket)', async () => {
    s3.on(HeadObjectCommand).rejects(
      new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }),
    );
    await expect(currentVersion(client, { bucket: 'b', key: 'k' })).rejects.toBeInstanceOf(ObjectGoneError);
  });

  it('throws anything else as it came, to be retried', async () => {
    const slowDown = new S3ServiceException({
      name: 'SlowDown',
      $fault: 'server',
      message: 'slow',
      $metadata: { httpStatusCode: 503 },
    });
    s3.on(HeadObjectCommand).rejects(slowDown);
    await expect(currentVersion(client, { bucket: 'b', key: 'k' })).rejects.toBe(slowDown);
  });
});
