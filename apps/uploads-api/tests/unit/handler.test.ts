import { readFileSync } from 'node:fs';
import { HeadObjectCommand, NotFound, S3Client } from '@aws-sdk/client-s3';
import { createLogger } from '@repo/logging/logger';
import { lambdaContext } from '@repo/testing/lambda-context';
import { quietObservability } from '@repo/testing/observability';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHandler, handler } from '../../src/handler.ts';

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
    [
      'a size over MAX_UPLOAD_BYTES',
      { contentType: 'image/png', size: 20 * 1024 * 1024 + 1 },
      413,
      { error: 'UploadTooLarge', message: `An upload may be at most ${20 * 1024 * 1024} bytes` },
    ],
    [
      'a type image-resizer cannot read',
      { contentType: 'image/svg+xml', size: 100 },
      400,
      {
        error: 'ValidationError',
        message: 'The request body is invalid',
        details: [{ path: 'contentType', message: expect.any(String) }],
      },
    ],
    [
      'no size',
      { contentType: 'image/png' },
      400,
      {
        error: 'ValidationError',
        message: 'The request body is invalid',
        details: [{ path: 'size', message: expect.any(String) }],
      },
    ],
    [
      'a key of the client’s choosing',
      { contentType: 'image/png', size: 100, key: 'uploads/someone-else/x' },
      400,
      {
        error: 'ValidationError',
        message: 'The request body is invalid',
        details: [{ path: '', message: expect.stringContaining('"key"') }],
      },
    ],
  ])('refuses %s, handing out nothing', async (_, body, status, answer) => {
    const response = await invoke(sampleEvent('create-upload', body));

    expect(response.statusCode).toBe(status);
    expect(response.json).toEqual(answer);
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

describe('request bodies', () => {
  /** The create-upload sample with this raw body and these headers instead of its own. */
  const withBody = (body: string | null, headers?: Record<string, string>) => {
    const event = sampleEvent('create-upload');
    event.body = body;
    if (headers) {
      event.headers = headers;
      event.multiValueHeaders = {};
    }
    return event;
  };

  it.each([
    ['text/plain', { 'Content-Type': 'text/plain' }],
    ['no content type', {}],
  ])('refuses %s with 415, handing out nothing', async (_, headers) => {
    const response = await invoke(withBody('{"contentType":"image/png","size":100}', headers));

    expect(response.statusCode).toBe(415);
    expect(response.json).toEqual({
      error: 'UnsupportedMediaType',
      message: 'Content-Type must be application/json',
    });
  });

  it.each([
    ['a null body', null],
    ['an empty body', ''],
  ])('refuses %s with 400', async (_, body) => {
    const response = await invoke(withBody(body));

    expect(response.statusCode).toBe(400);
    expect(response.json).toEqual({ error: 'BadRequest', message: 'A JSON request body is required' });
  });

  it.each([
    ['truncated JSON', '{"contentType":"image/png"'],
    ['not JSON at all', 'contentType=image/png&size=100'],
  ])('refuses %s with 400 MalformedJson', async (_, body) => {
    const response = await invoke(withBody(body));

    expect(response.statusCode).toBe(400);
    expect(response.json).toEqual({ error: 'MalformedJson', message: 'The request body is not valid JSON' });
  });

  it('refuses a body over 4 KiB with 413 before parsing it, counting decoded bytes', async () => {
    const big = JSON.stringify({ contentType: 'image/png', size: 100, padding: 'x'.repeat(4 * 1024) });
    const base64 = withBody(Buffer.from(big).toString('base64'));
    base64.isBase64Encoded = true;

    for (const event of [withBody(big), base64]) {
      const response = await invoke(event);
      expect(response.statusCode).toBe(413);
      expect(response.json).toEqual({
        error: 'PayloadTooLarge',
        message: 'The request body exceeds 4096 bytes',
      });
    }
  });

  it('accepts a JSON media type with parameters, and a base64-encoded body', async () => {
    const event = withBody(Buffer.from('{"contentType":"image/png","size":100}').toString('base64'), {
      'content-type': 'application/json; charset=utf-8',
    });
    event.isBase64Encoded = true;

    const response = await invoke(event);

    expect(response.statusCode).toBe(201);
    expect(response.json.headers).toEqual({ 'Content-Type': 'image/png', 'Content-Length': '100' });
  });
});

describe('paths, methods and faults', () => {
  it('refuses an upload id that is not a uuid with 400 naming it', async () => {
    const event = sampleEvent('get-upload');
    event.path = '/uploads/not-a-uuid';
    event.pathParameters = { uploadId: 'not-a-uuid' };

    const response = await invoke(event);

    expect(response.statusCode).toBe(400);
    expect(response.json).toEqual({
      error: 'ValidationError',
      message: 'The request path is invalid',
      details: [{ path: 'uploadId', message: expect.any(String) }],
    });
    expect(s3.calls()).toHaveLength(0);
  });

  it.each([
    ['PUT', '/uploads', 'POST'],
    ['GET', '/uploads', 'POST'],
    ['DELETE', `/uploads/${uploadId}`, 'GET'],
    ['POST', `/uploads/${uploadId}`, 'GET'],
  ])('answers %s %s with 405 and Allow: %s', async (httpMethod, path, allow) => {
    const event = sampleEvent('get-upload');
    event.httpMethod = httpMethod;
    event.path = path;

    const response = await invoke(event);

    expect(response.statusCode).toBe(405);
    expect(response.headers?.Allow).toBe(allow);
    expect(response.json).toEqual({
      error: 'MethodNotAllowed',
      message: `${httpMethod} is not allowed here; use ${allow}`,
    });
  });

  it('answers 404 with JSON for an unknown route', async () => {
    const event = sampleEvent('get-upload');
    event.path = '/photos';
    event.resource = '/{proxy+}';

    const response = await invoke(event);

    expect(response.statusCode).toBe(404);
    expect(response.json).toEqual({ error: 'NotFound', message: 'No route for GET /photos' });
  });

  it('answers an unexpected fault with the JSON 500, no internals', async () => {
    s3.on(HeadObjectCommand).rejects(new Error('boom at 10.0.0.1'));

    const response = await invoke(sampleEvent('get-upload'));

    expect(response.statusCode).toBe(500);
    expect(response.headers?.['Content-Type']).toBe('application/json');
    expect(response.json).toEqual({ error: 'InternalError', message: 'An unexpected error occurred' });
    expect(response.body).not.toMatch(/boom|10\.0\.0\.1/);
  });
});

describe('uploads-api logs', () => {
  let lines: Record<string, unknown>[];

  beforeEach(() => {
    lines = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk) => {
        // Log lines only: the cold start's metric (EMF) is not one.
        for (const line of String(chunk).split('\n').filter(Boolean)) {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          if ('level' in parsed) lines.push(parsed);
        }
        return true;
      });
    }
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  const debugHandler = () =>
    createHandler({
      observability: quietObservability({
        logger: createLogger({ serviceName: 'uploads-api', logLevel: 'DEBUG' }),
      }),
      config: { CORS_ALLOWED_ORIGIN: '*' },
      s3: new S3Client({ region: 'us-east-1' }),
      settings: {
        bucket: 'uploads-unit',
        inputPrefix: 'uploads/',
        outputPrefix: 'processed/',
        maxBytes: 1_000,
        linkTtlSeconds: 300,
      },
    });

  it('name a refused request in one INFO line, and log an unexpected fault once as an ERROR', async () => {
    // Prepare
    s3.on(HeadObjectCommand).rejects(new Error('boom'));
    const tooLarge = sampleEvent('create-upload', { contentType: 'image/png', size: 1_001 });

    // Act
    await debugHandler()(tooLarge, lambdaContext());
    const refused = lines.splice(0);
    await debugHandler()(sampleEvent('get-upload'), lambdaContext());
    const failed = lines.splice(0);

    // Assess
    expect(refused).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'Request rejected',
        statusCode: 413,
        reason: 'UploadTooLargeError',
      }),
    ]);
    expect(failed).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'Unhandled error',
        error: expect.objectContaining({ message: 'boom' }),
      }),
    ]);
  });
});
