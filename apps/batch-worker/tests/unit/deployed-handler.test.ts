import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { lambdaContext } from '@repo/testing/lambda-context';
import { photo } from '@repo/testing/photos';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { eventEtag, jsonRecord, sqsEvent } from './events.ts';
import { inFlightProbe } from './in-flight.ts';

// The module's `handler`, wired from the environment at import (config, concurrency rule, S3 client).
type Handler = (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => Promise<SQSBatchResponse>;

const s3 = mockClient(S3Client);
let image: Buffer;

beforeAll(async () => {
  image = await photo(64, 48);
});
beforeEach(() => {
  s3.reset();
  // What the bucket holds now: the version the notifications announce, and the one a job is pinned to.
  s3.on(HeadObjectCommand).resolves({ ETag: `"${eventEtag}"` });
  vi.resetModules();
});
afterEach(() => {
  vi.unstubAllEnvs();
});

/** A fresh import of src/handler.ts under `env` (on top of the unit project's, DEFAULT_BUCKET=jobs-unit). */
async function importHandler(env: Record<string, string> = {}): Promise<Handler> {
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  return ((await import('../../src/handler.ts')) as unknown as { handler: Handler }).handler;
}

/**
 * Runs ten jobs through `handler`, each read held open until `expected` are in flight (see inFlightProbe),
 * and returns how many S3 reads were in flight at most.
 */
async function maxJobsAtOnce(handler: Handler, expected: number): Promise<number> {
  const records = Array.from({ length: 10 }, (_, index) =>
    jsonRecord({ key: `uploads/${index}.jpg`, sizes: ['thumbnail'] }),
  );
  const reads = inFlightProbe({ bound: expected, calls: records.length });
  s3.on(GetObjectCommand).callsFake(() =>
    reads.hold(() => ({ Body: Readable.from([image]) as never, ContentLength: image.length })),
  );
  s3.on(PutObjectCommand).resolves({});
  const response = await handler(sqsEvent(records), lambdaContext({ timeoutMs: 120_000 }));
  expect(response).toEqual({ batchItemFailures: [] });
  return reads.max;
}

describe('handler (as deployed)', () => {
  it('reads a job without a bucket from DEFAULT_BUCKET and writes its outputs there', async () => {
    // Prepare
    const handler = await importHandler();
    s3.on(GetObjectCommand).resolves({ Body: Readable.from([image]) as never, ContentLength: image.length });
    s3.on(PutObjectCommand).resolves({});

    // Act
    const response = await handler(
      sqsEvent([jsonRecord({ key: 'uploads/a.jpg' })]),
      lambdaContext({ timeoutMs: 120_000 }),
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toMatchObject({
      Bucket: 'jobs-unit',
      Key: 'uploads/a.jpg',
    });
    const writes = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(writes).toHaveLength(4);
    expect(new Set(writes.map((input) => input.Bucket))).toEqual(new Set(['jobs-unit']));
  });

  it.each([
    ['the memory size Lambda reports (1,769 MB)', { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1769' }, 7],
    ['the template’s 3,538 MB', { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '3538' }, 10],
    ['MAX_CONCURRENCY when set', { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '3538', MAX_CONCURRENCY: '2' }, 2],
  ])('bounds its jobs at once by %s', async (_, env, expected) => {
    // Prepare
    const handler = await importHandler(env);

    // Act
    const max = await maxJobsAtOnce(handler, expected);

    // Assess
    expect(max).toBe(expected);
  });

  it('leaves a job for redelivery when less than MIN_REMAINING_MS (15 s by default) is left', async () => {
    // Prepare
    const handler = await importHandler();
    const record = jsonRecord({ key: 'uploads/a.jpg' });

    // Act
    const response = await handler(sqsEvent([record]), lambdaContext({ timeoutMs: 14_000 }));

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
    expect(s3.calls()).toHaveLength(0);
  });
});
