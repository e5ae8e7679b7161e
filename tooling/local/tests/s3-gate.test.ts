import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { type MotoServer, startMoto } from '@repo/aws-local/moto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3Gate, startS3Gate } from '../src/s3-gate.ts';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const bucket = 'gated';
let moto: MotoServer;
let gate: S3Gate;
let clock = new Date();

let s3: S3Client;

beforeAll(async () => {
  moto = await startMoto();
  gate = await startS3Gate({ target: moto.endpoint, region: 'us-east-1', credentials, now: () => clock });
  s3 = new S3Client({ endpoint: gate.endpoint, region: 'us-east-1', credentials, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

afterAll(async () => {
  s3?.destroy();
  await gate?.close();
  await moto?.stop();
});

const image = Buffer.from('sixteen bytes!!!');

/** A link as uploads-api makes one: a PUT of exactly `image` as a JPEG to `key`, for 300 s. */
const uploadLink = (key: string) =>
  getSignedUrl(
    s3,
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      ContentType: 'image/jpeg',
      ContentLength: image.length,
    }),
    { expiresIn: 300, signableHeaders: new Set(['content-type', 'content-length']) },
  );

const put = (url: string, body: Buffer, contentType = 'image/jpeg') =>
  fetch(url, { method: 'PUT', headers: { 'Content-Type': contentType }, body });

describe('the S3 gate in front of the local AWS', () => {
  it('lets a presigned PUT through when the request is what was signed, and the SDK’s own calls always', async () => {
    const url = await uploadLink('uploads/owner/ok');

    const response = await put(url, image);
    const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'uploads/owner/ok' }));

    expect(response.status).toBe(200);
    expect(await stored.Body?.transformToString()).toBe('sixteen bytes!!!');
  });

  it.each([
    ['another content type', async (url: string) => put(url, image, 'image/svg+xml')],
    ['a body of another length', async (url: string) => put(url, Buffer.concat([image, image]))],
    [
      'another key',
      async (url: string) => put(url.replace('/uploads/owner/', '/uploads/someone-else/'), image),
    ],
  ])('refuses %s as S3 does: 403 SignatureDoesNotMatch, nothing written', async (_, send) => {
    const url = await uploadLink('uploads/owner/tampered');

    const response = await send(url);

    expect(response.status).toBe(403);
    expect(await response.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    await expect(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'uploads/owner/tampered' })),
    ).rejects.toThrow();
  });

  it('refuses a link after it expired: 403 AccessDenied', async () => {
    const url = await uploadLink('uploads/owner/late');
    clock = new Date(Date.now() + 301_000);
    try {
      const response = await put(url, image);

      expect(response.status).toBe(403);
      expect(await response.text()).toContain('<Message>Request has expired</Message>');
    } finally {
      clock = new Date();
    }
  });
});
