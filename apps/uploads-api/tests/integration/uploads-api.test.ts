import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { restApiEvent } from '@repo/testing/api-gateway-event';
import { lambdaContext } from '@repo/testing/lambda-context';
import { useMotoEnvironment } from '@repo/testing/moto-environment';
import type {} from '@repo/testing/moto-global-setup';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { beforeAll, describe, expect, inject, it } from 'vitest';

type Handler = (
  event: APIGatewayProxyEvent,
  context: ReturnType<typeof lambdaContext>,
) => Promise<APIGatewayProxyResult>;

const endpoint = inject('motoEndpoint');
const s3 = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const bucket = 'uploads-api-it';
let handler: Handler;

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  useMotoEnvironment(endpoint, { UPLOADS_BUCKET_NAME: bucket });
  ({ handler } = (await import('../../src/handler.ts')) as unknown as { handler: Handler });
});

/** One request to the uploads API, as the signed-in `sub`. */
async function call(sub: string, request: Parameters<typeof restApiEvent>[0]) {
  const response = await handler(restApiEvent({ caller: { sub }, ...request }), lambdaContext());
  return { ...response, json: JSON.parse(response.body || 'null') };
}

describe('uploads-api against moto S3', () => {
  it('hands out a link that uploads one image to the caller’s own prefix, then links to its sizes as they appear', async () => {
    // Prepare
    const owner = randomUUID();
    const image = Buffer.from('not really a JPEG, but S3 does not look');

    // Act: ask for a link, upload through it as a browser would
    const created = await call(owner, {
      method: 'POST',
      path: '/uploads',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ contentType: 'image/jpeg', size: image.length }),
    });
    const { uploadId, url, headers } = created.json as {
      uploadId: string;
      url: string;
      headers: Record<string, string>;
    };
    const put = await fetch(url, { method: 'PUT', headers, body: image });

    // Assess: the object is where the server chose, under the caller's sub
    expect(created.statusCode).toBe(201);
    expect(put.status).toBe(200);
    const stored = await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: `uploads/${owner}/${uploadId}` }),
    );
    expect(stored).toMatchObject({ ContentType: 'image/jpeg', ContentLength: image.length });

    // No sizes yet: the upload is known, its links are null
    const pending = await call(owner, {
      method: 'GET',
      path: `/uploads/${uploadId}`,
      resource: '/uploads/{uploadId}',
      pathParameters: { uploadId },
    });
    expect(pending.statusCode).toBe(200);
    expect(pending.json.outputs).toEqual({ thumbnail: null, small: null, medium: null, large: null });

    // image-resizer writes a size: its link appears and serves it
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `processed/small/${owner}/${uploadId}`,
        Body: 'small bytes',
      }),
    );
    const ready = await call(owner, {
      method: 'GET',
      path: `/uploads/${uploadId}`,
      resource: '/uploads/{uploadId}',
      pathParameters: { uploadId },
    });
    expect(await (await fetch(ready.json.outputs.small.url)).text()).toBe('small bytes');

    // Somebody else asking for it gets what an unknown upload gets
    const other = await call(randomUUID(), {
      method: 'GET',
      path: `/uploads/${uploadId}`,
      resource: '/uploads/{uploadId}',
      pathParameters: { uploadId },
    });
    expect(other.statusCode).toBe(404);
  });
});
