import { Readable } from 'node:stream';
import { GetObjectCommand, NoSuchBucket, NoSuchKey, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { PermanentError } from '../src/outcome.ts';
import {
  classifyReadFailure,
  ObjectChangedError,
  ObjectGoneError,
  ObjectTooLargeError,
  readObject,
  readObjectBytes,
} from '../src/read-object.ts';

const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'us-east-1' });

beforeEach(() => {
  s3.reset();
});

const s3Error = (name: string, httpStatusCode: number | undefined, fault: 'client' | 'server' = 'client') =>
  new S3ServiceException({ name, $fault: fault, message: `${name} happened`, $metadata: { httpStatusCode } });

function chunked(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
}

const getInput = () => s3.commandCalls(GetObjectCommand)[0]?.args[0].input;

describe('classifyReadFailure', () => {
  it.each([
    ['NoSuchKey (404)', new NoSuchKey({ message: 'gone', $metadata: { httpStatusCode: 404 } }), 'gone'],
    ['NoSuchBucket (404)', new NoSuchBucket({ message: 'gone', $metadata: { httpStatusCode: 404 } }), 'gone'],
    ['NoSuchVersion (404)', s3Error('NoSuchVersion', 404), 'gone'],
    ['AccessDenied (403)', s3Error('AccessDenied', 403), 'gone'],
    ['a bare 404 (HEAD-style, no code)', s3Error('NotFound', 404), 'gone'],
    ['a bare 403 (a missing key without s3:ListBucket)', s3Error('Forbidden', 403), 'gone'],
    ['PreconditionFailed (412)', s3Error('PreconditionFailed', 412), 'changed'],
    ['a bare 412', s3Error('Unknown', 412), 'changed'],
    ['ObjectTooLargeError', new ObjectTooLargeError(10), 'too-large'],
    ['SlowDown (503)', s3Error('SlowDown', 503, 'server'), 'transient'],
    ['InternalError (500)', s3Error('InternalError', 500, 'server'), 'transient'],
    ['RequestTimeout (400)', s3Error('RequestTimeout', 400), 'transient'],
    ['an S3 error without metadata', s3Error('SomethingNew', undefined), 'transient'],
    ['a connection reset', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'transient'],
    ['a plain Error', new Error('boom'), 'transient'],
    ['a thrown string', 'boom', 'transient'],
  ])('classifies %s as %s', (_, error, expected) => {
    expect(classifyReadFailure(error)).toBe(expected);
  });
});

describe('readObject', () => {
  it('pins the read to the version id in a versioned bucket', async () => {
    s3.on(GetObjectCommand).resolves({ Body: Readable.from([Buffer.from('x')]) as never });

    await readObject(client, { bucket: 'b', key: 'k', versionId: 'v1', etag: 'e1' }, { maxBytes: 10 });

    expect(getInput()).toEqual({ Bucket: 'b', Key: 'k', VersionId: 'v1', IfMatch: undefined });
  });

  it.each([
    ['no version id', undefined],
    ['the "null" version id of an unversioned bucket', 'null'],
  ])('pins the read to the ETag (quoted, as If-Match) with %s', async (_, versionId) => {
    s3.on(GetObjectCommand).resolves({ Body: Readable.from([Buffer.from('x')]) as never });

    await readObject(client, { bucket: 'b', key: 'k', versionId, etag: 'abc' }, { maxBytes: 10 });

    expect(getInput()).toEqual({ Bucket: 'b', Key: 'k', VersionId: undefined, IfMatch: '"abc"' });
  });

  it('reads the current bytes when the event names neither (a resize job)', async () => {
    s3.on(GetObjectCommand).resolves({ Body: Readable.from([Buffer.from('x')]) as never });

    await readObject(client, { bucket: 'b', key: 'k' }, { maxBytes: 10 });

    expect(getInput()).toEqual({ Bucket: 'b', Key: 'k', VersionId: undefined, IfMatch: undefined });
  });

  it('refuses by Content-Length before reading, closing the stream unread', async () => {
    const body = Readable.from([Buffer.alloc(2_000)]);
    s3.on(GetObjectCommand).resolves({ Body: body as never, ContentLength: 2_000 });

    await expect(readObject(client, { bucket: 'b', key: 'k' }, { maxBytes: 1_000 })).rejects.toThrow(
      ObjectTooLargeError,
    );
    expect(body.destroyed).toBe(true);
  });

  it('stops with ObjectTooLargeError one byte past maxBytes while streaming, and accepts exactly maxBytes', async () => {
    const bytes = Buffer.alloc(100, 'a');
    s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from(chunked(bytes, 7)) }));

    await expect(readObjectBytes(client, { bucket: 'b', key: 'k' }, { maxBytes: 99 })).rejects.toThrow(
      ObjectTooLargeError,
    );
    await expect(readObjectBytes(client, { bucket: 'b', key: 'k' }, { maxBytes: 100 })).resolves.toEqual(
      bytes,
    );
  });

  it('stops reading an endless body without Content-Length at the limit', async () => {
    let chunksRead = 0;
    async function* endless() {
      for (;;) {
        chunksRead += 1;
        yield Buffer.alloc(300, 'a');
      }
    }
    s3.on(GetObjectCommand).resolves({ Body: Readable.from(endless()) as never });

    await expect(readObjectBytes(client, { bucket: 'b', key: 'k' }, { maxBytes: 1_000 })).rejects.toThrow(
      ObjectTooLargeError,
    );
    // 1,000 bytes end in the 4th chunk of 300; Readable.from reads a little ahead.
    expect(chunksRead).toBeLessThan(20);
  });

  it.each([
    [
      'gone',
      new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }),
      ObjectGoneError,
      'object-gone',
    ],
    ['changed', s3Error('PreconditionFailed', 412), ObjectChangedError, 'object-changed'],
  ])(
    'throws a PermanentError when the object is %s, keeping S3’s error as the cause',
    async (_, error, type, reason) => {
      s3.on(GetObjectCommand).rejects(error);

      const thrown = await readObject(client, { bucket: 'b', key: 'k', etag: 'e' }, { maxBytes: 10 }).catch(
        (caught: unknown) => caught,
      );

      expect(thrown).toBeInstanceOf(type);
      expect(thrown).toBeInstanceOf(PermanentError);
      expect(thrown).toMatchObject({ reason, cause: error });
    },
  );

  it('throws a transient S3 error as it came, to be retried', async () => {
    const slowDown = s3Error('SlowDown', 503, 'server');
    s3.on(GetObjectCommand).rejects(slowDown);

    await expect(readObject(client, { bucket: 'b', key: 'k' }, { maxBytes: 10 })).rejects.toBe(slowDown);
  });

  it('passes the S3 Content-Type on', async () => {
    s3.on(GetObjectCommand).resolves({
      Body: Readable.from([Buffer.from('x')]) as never,
      ContentType: 'text/plain',
    });

    await expect(readObject(client, { bucket: 'b', key: 'k' }, { maxBytes: 10 })).resolves.toMatchObject({
      contentType: 'text/plain',
    });
  });
});
