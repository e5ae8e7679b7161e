import { readFileSync } from 'node:fs';
import { HeadObjectCommand, NotFound, S3Client } from '@aws-sdk/client-s3';
import { lambdaContext } from '@repo/testing/lambda-context';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../src/handler.ts';

const s3 = mockClient(S3Client);
const owner = '3f1b6c1e-8d2a-4c57-9a3e-2b7f0d9c4e11';
const uploadId = '5b1f0c3e-7a2d-4e8f-9c1b-0d2e3f4a5b6c';

/** A sample event from events/ (what `sam local invoke -e` uses), as `owner` signed in. */
const sampleEvent = (name: 'create-upload' | 'get-upload', body?: unknown): APIGatewayProxyEvent => {
  const event = JSON.parse(readFileSync(new URL(`../../events/${name}.json`, import.meta.url), 'utf8'));
  if (body !== undefined) event.body = JSON.stringify(body);
  return event;
};

async function invoke(event: APIGatewayProxyEvent) {
  const response = await handler(event, lambdaContext({ functionName: 'uploads-api' }));
  return { ...response, json: JSON.parse(response.body || 'null') };
}

beforeEach(() => {
  s3.reset();
});

describe('POST /uploads', () => {
  it('hands out a short-lived PUT for one new object under the caller’s own prefix, type and length signed', async () => {
    const response = await invoke(sampleEvent('create-upload'));

    expect(response.statusCode).toBe(201);
    const link = response.json as {
      uploadId: string;
      method: string;
      url: string;
      headers: object;
      expiresAt: string;
    };
    expect(link.method).toBe('PUT');
    expect(link.headers).toEqual({ 'Content-Type': 'image/jpeg', 'Content-Length': '2483027' });
    const url = new URL(link.url);
    expect(decodeURIComponent(url.pathname)).toMatch(
      new RegExp(`/uploads-unit/uploads/${owner}/${link.uploadId}$|^/uploads/${owner}/${link.uploadId}$`),
    );
    expect(link.uploadId).toMatch(/^[0-9a-f-]{36}$/);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toEqual([
      'content-length',
      'content-type',
      'host',
    ]);
    expect(s3.calls()).toHaveLength(0);
  });

  it.each([
    ['a size over MAX_UPLOAD_BYTES', { contentType: 'image/png', size: 20 * 1024 * 1024 + 1 }, 413],
    ['a type image-resizer cannot read', { contentType: 'image/svg+xml', size: 100 }, 400],
    ['no size', { contentType: 'image/png' }, 400],
    [
      'a key of the client’s choosing',
      { contentType: 'image/png', size: 100, key: 'uploads/someone-else/x' },
      400,
    ],
  ])('refuses %s, handing out nothing', async (_, body, status) => {
    const response = await invoke(sampleEvent('create-upload', body));

    expect(response.statusCode).toBe(status);
    expect(response.json).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    expect(response.json).not.toHaveProperty('url');
  });

  it('answers 401 when no verified identity reached it', async () => {
    const event = sampleEvent('create-upload');
    event.requestContext.authorizer = null;

    expect((await invoke(event)).statusCode).toBe(401);
  });
});

describe('GET /uploads/{uploadId}', () => {
  it('links to the sizes that exist so far, looking only under the caller’s own keys', async () => {
    s3.on(HeadObjectCommand).rejects(
      new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }),
    );
    s3.on(HeadObjectCommand, { Key: `processed/thumbnail/${owner}/${uploadId}` }).resolves({});
    s3.on(HeadObjectCommand, { Key: `processed/small/${owner}/${uploadId}` }).resolves({});

    const response = await invoke(sampleEvent('get-upload'));

    expect(response.statusCode).toBe(200);
    expect(response.json.uploadId).toBe(uploadId);
    expect(response.json.outputs.medium).toBeNull();
    expect(response.json.outputs.large).toBeNull();
    expect(decodeURIComponent(new URL(response.json.outputs.small.url).pathname)).toContain(
      `processed/small/${owner}/${uploadId}`,
    );
    const keys = s3.commandCalls(HeadObjectCommand).map((call) => call.args[0].input.Key);
    for (const key of keys) expect(key).toContain(`/${owner}/`);
  });

  it('answers 404 for an upload the caller does not have — someone else’s included', async () => {
    s3.on(HeadObjectCommand).rejects(
      new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }),
    );

    const response = await invoke(sampleEvent('get-upload'));

    expect(response.statusCode).toBe(404);
    expect(s3.commandCalls(HeadObjectCommand).map((call) => call.args[0].input.Key)).toContain(
      `uploads/${owner}/${uploadId}`,
    );
  });
});
