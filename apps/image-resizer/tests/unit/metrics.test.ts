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
import { eventEtag, objectCreated } from './events.ts';

interface Emf {
  _aws: {
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [member: string]: unknown;
}

const s3 = mockClient(S3Client);
let emf: Emf[];

beforeEach(() => {
  s3.reset();
  // What the bucket holds now: the version the events announce.
  s3.on(HeadObjectCommand).resolves({ ETag: `"${eventEtag}"` });
  emf = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) {
      const value = JSON.parse(line) as Emf;
      if (value._aws) emf.push(value);
    }
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

function handlerWithMetrics() {
  return createHandler({
    s3: new S3Client({ region: 'us-east-1' }),
    observability: quietObservability({ metrics: createMetrics({ serviceName: 'image-resizer' }) }),
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
}

// The context's clock runs in real time against minRemainingMs: a minute keeps a loaded machine from
// turning a resize into "no time left".
const context = () => lambdaContext({ timeoutMs: 60_000 });

const metricsNamed = (name: string) =>
  emf.filter((line) =>
    line._aws.CloudWatchMetrics.some((set) => set.Metrics.some((metric) => metric.Name === name)),
  );

describe('image-resizer metrics (CloudWatch EMF)', () => {
  it('records bytes, durations and one ImagesResized per size, in the LambdaMonorepo namespace by service', async () => {
    const jpeg = await photo(800, 600);
    s3.on(GetObjectCommand).resolves({ Body: Readable.from([jpeg]) as never, ContentLength: jpeg.length });
    s3.on(PutObjectCommand).resolves({});

    await handlerWithMetrics()(objectCreated('photos', 'uploads/cat.jpg') as never, context());

    const [main] = metricsNamed('BytesIn');
    expect(main?._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'LambdaMonorepo',
      Dimensions: [['service']],
      Metrics: expect.arrayContaining([
        { Name: 'BytesIn', Unit: 'Bytes' },
        { Name: 'BytesOut', Unit: 'Bytes' },
        { Name: 'ResizeDuration', Unit: 'Milliseconds' },
        { Name: 'S3TransferDuration', Unit: 'Milliseconds' },
      ]),
    });
    expect(main).toMatchObject({ service: 'image-resizer', BytesIn: jpeg.length });
    expect(main).toMatchObject({ ImagesResized: 4 });
    const perSize = metricsNamed('ImagesResizedBySize');
    expect(perSize.map((line) => line.size).sort()).toEqual(['large', 'medium', 'small', 'thumbnail']);
    for (const line of perSize) {
      expect(line._aws.CloudWatchMetrics[0]).toMatchObject({
        Namespace: 'LambdaMonorepo',
        Dimensions: [['service', 'size']],
      });
      expect(line.ImagesResizedBySize).toBe(1);
    }
    expect(metricsNamed('ColdStart')).toHaveLength(1);
  });

  it('records a rejected image with its reason, and nothing resized', async () => {
    s3.on(GetObjectCommand).resolves({
      Body: Readable.from([Buffer.from('not an image')]) as never,
      ContentLength: 12,
    });

    await handlerWithMetrics()(objectCreated('photos', 'uploads/readme.jpg') as never, context());

    expect(metricsNamed('ImagesRejected')).toEqual([expect.objectContaining({ ImagesRejected: 1 })]);
    const [rejected] = metricsNamed('ImagesRejectedByReason');
    expect(rejected).toMatchObject({
      reason: 'unsupported-format',
      ImagesRejectedByReason: 1,
      service: 'image-resizer',
    });
    expect(rejected?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'reason']]);
    expect(metricsNamed('ImagesResized')).toEqual([]);
    expect(metricsNamed('ImagesResizedBySize')).toEqual([]);
  });
});
