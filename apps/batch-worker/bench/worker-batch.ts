/**
 * The worker as the bench drives it, in bench.ts and in its peak-RSS children alike: createHandler from
 * src/handler.ts with the deployed config's settings (env defaults, as template.yaml leaves them), a
 * one-thread-per-image sharp as the handler configures it, and an S3 fake in this process
 * (aws-sdk-client-mock: HeadObject names the object's one version, GetObject streams the photo's bytes in
 * 64 KiB chunks, as the SDK's body stream does; PutObject accepts), so what is measured is the worker,
 * not a server. One SQS event carries one
 * resize job per photo.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  type GetObjectCommandInput,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { configureSharp } from '@repo/image/resize-image';
import { resizeSettingsFrom } from '@repo/image-jobs/settings';
import { createLogger } from '@repo/logging/logger';
import { lambdaContext } from '@repo/testing/lambda-context';
import { quietObservability } from '@repo/testing/observability';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { readConfig } from '../src/config.ts';

const bucket = 'bench-uploads';
const region = 'us-east-1';
const chunkBytes = 64 * 1024;

// handler.ts builds the deployed handler at import, config included, as a cold start does: give it the
// one variable template.yaml sets without a default.
process.env.DEFAULT_BUCKET ??= bucket;
const { createHandler } = await import('../src/handler.ts');
const config = readConfig();
// As handler.ts does at cold start: one libvips thread per image, jobs are the parallelism.
configureSharp({ memoryMb: 1_769 });

export const maxInputPixels = config.MAX_INPUT_PIXELS;

// One stub for every S3Client instance: the handlers built here all read and write through it.
const s3 = mockClient(S3Client);
const objects = new Map<string, Buffer>();
let puts = 0;
// Each object has one version, never overwritten: the job pins it, and finds it current after its writes.
s3.on(HeadObjectCommand).resolves({ ETag: '"bench-source"' });
s3.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => {
  const bytes = objects.get(input.Key ?? '');
  if (!bytes) throw new Error(`bench S3 fake: no object ${input.Key}`);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += chunkBytes) chunks.push(bytes.subarray(at, at + chunkBytes));
  return { Body: Readable.from(chunks), ContentLength: bytes.length, ContentType: 'image/jpeg' };
});
s3.on(PutObjectCommand).callsFake(() => {
  puts++;
  return { ETag: '"bench"' };
});

export interface BenchWorker {
  /** Resize jobs in one batch (one per photo). */
  jobs: number;
  /** One invocation with the whole batch; throws unless every job wrote every size. */
  runBatch(): Promise<void>;
}

/** The handler at `concurrency`, with the photos (name → JPEG bytes) as objects under uploads/bench/. */
export function createBenchWorker({
  photos,
  concurrency,
  memoryMb,
}: {
  photos: ReadonlyMap<string, Buffer>;
  concurrency: number;
  memoryMb: number;
}): BenchWorker {
  const keys = [...photos].map(([name, bytes]) => {
    const key = `${config.INPUT_PREFIX}bench/${name}.jpg`;
    objects.set(key, bytes);
    return key;
  });
  const handler = createHandler({
    s3: new S3Client({ region }),
    observability: quietObservability({
      logger: createLogger({ serviceName: config.POWERTOOLS_SERVICE_NAME, logLevel: 'ERROR' }),
    }),
    defaultBucket: bucket,
    concurrency,
    settings: resizeSettingsFrom(config),
  });
  const expectedPuts = keys.length * config.OUTPUT_SIZES.length;
  return {
    jobs: keys.length,
    async runBatch() {
      const putsBefore = puts;
      const context = lambdaContext({
        functionName: 'BatchWorkerFunction',
        memoryLimitInMB: memoryMb,
        timeoutMs: 120_000,
      });
      const response = (await handler(jobEvent(keys), context)) as SQSBatchResponse;
      // The stub keeps every call's arguments (outputs included) until told to forget them.
      s3.resetHistory();
      if (response.batchItemFailures.length > 0)
        throw new Error(`the worker failed ${JSON.stringify(response.batchItemFailures)}`);
      if (puts - putsBefore !== expectedPuts)
        throw new Error(`the worker wrote ${puts - putsBefore} objects, not ${expectedPuts}`);
    },
  };
}

/** An SQS event as Lambda delivers it: one `{ "key": … }` resize job per record (bucket by default). */
function jobEvent(keys: string[]): SQSEvent {
  const now = String(Date.now());
  return {
    Records: keys.map((key) => ({
      messageId: randomUUID(),
      receiptHandle: `bench-${randomUUID()}`,
      body: JSON.stringify({ key }),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: now,
        SenderId: 'AIDAIENQZJOLO23YVJ4VO',
        ApproximateFirstReceiveTimestamp: now,
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:${region}:123456789012:ResizeJobsQueue`,
      awsRegion: region,
    })),
  };
}
