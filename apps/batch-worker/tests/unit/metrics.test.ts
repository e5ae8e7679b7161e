import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { defaultSizes } from '@repo/image/outputs';
import { createMetrics } from '@repo/logging/metrics';
import { lambdaContext } from '@repo/testing/lambda-context';
import { quietObservability } from '@repo/testing/observability';
import { photo } from '@repo/testing/photos';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHandler } from '../../src/handler.ts';
import { eventEtag, jsonRecord, sqsEvent } from './events.ts';

const s3 = mockClient(S3Client);
let emf: Record<string, unknown>[];

beforeEach(() => {
  s3.reset();
  // What the bucket holds now: the version the notifications announce, and the one a job is pinned to.
  s3.on(HeadObjectCommand).resolves({ ETag: `"${eventEtag}"` });
  emf = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) {
      const value = JSON.parse(line) as Record<string, unknown>;
      if (value._aws) emf.push(value);
    }
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('batch-worker metrics (CloudWatch EMF)', () => {
  it('counts processed and failed batch items, and the images resized, by service', async () => {
    const jpeg = await photo(640, 480);
    s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([jpeg]), ContentLength: jpeg.length }));
    s3.on(PutObjectCommand).resolves({});
    const handler = createHandler({
      s3: new S3Client({ region: 'us-east-1' }),
      observability: quietObservability({ metrics: createMetrics({ serviceName: 'batch-worker' }) }),
      defaultBucket: 'photos',
      concurrency: 2,
      settings: {
        sizes: defaultSizes,
        inputPrefix: 'uploads/',
        outputPrefix: 'processed/',
        maxInputBytes: 5 * 1024 * 1024,
        maxInputPixels: 50_000_000,
        format: 'jpeg',
        quality: 85,
        cacheControl: 'public, max-age=86400',
        minRemainingMs: 1_000,
      },
    });

    await handler(
      sqsEvent([
        jsonRecord({ key: 'uploads/a.jpg' }),
        jsonRecord({ key: 'uploads/b.jpg' }),
        jsonRecord({ nokey: true }),
      ]),
      lambdaContext({ timeoutMs: 60_000 }),
    );

    const batch = emf.find((line) => 'BatchItemsFailed' in line);
    expect(batch).toMatchObject({ service: 'batch-worker', BatchItemsProcessed: 2, BatchItemsFailed: 1 });
    expect(batch).toMatchObject({ ImagesResized: [4, 4] });
    expect(batch?._aws).toMatchObject({
      CloudWatchMetrics: [{ Namespace: 'LambdaMonorepo', Dimensions: [['service']] }],
    });
  });
});
