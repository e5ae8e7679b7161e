import { ListObjectsV2Command, type ListObjectsV2CommandInput, S3Client } from '@aws-sdk/client-s3';
import {
  type BatchResultErrorEntry,
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EnqueueAbortedError, enqueueResizeJobs } from '../../scripts/enqueue-resize.ts';

const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);

const bucket = 'uploads-unit';
const queueUrl = 'https://sqs.us-east-1.amazonaws.com/123456789012/resize-jobs';
const region = 'us-east-1';

beforeEach(() => {
  s3.reset();
  sqs.reset();
});

/** Runs the backfill against the mocks, with retries that do not wait. */
const enqueue = (options: Partial<Parameters<typeof enqueueResizeJobs>[0]> = {}) =>
  enqueueResizeJobs({
    s3: new S3Client({ region }),
    sqs: new SQSClient({ region }),
    bucket,
    prefix: 'uploads/',
    queueUrl,
    retry: { attempts: 3, baseDelayMs: 0 },
    ...options,
  });

const keys = (count: number, from = 0) =>
  Array.from({ length: count }, (_, i) => `uploads/photo-${String(from + i).padStart(5, '0')}.jpg`);

/** One listing page per array; every page but the last is truncated and points at the next. */
function givenPages(...pages: string[][]) {
  s3.on(ListObjectsV2Command).callsFake((input: ListObjectsV2CommandInput) => {
    const index = input.ContinuationToken ? Number(input.ContinuationToken.replace('page-', '')) : 0;
    const last = index === pages.length - 1;
    return {
      Contents: (pages[index] ?? []).map((Key) => ({ Key, Size: Key.endsWith('/') ? 0 : 1024 })),
      IsTruncated: !last,
      ...(last ? {} : { NextContinuationToken: `page-${index + 1}` }),
    };
  });
}

/** SQS accepts every entry except those `failure` returns an error for (called once per entry per call). */
function givenQueue(
  failure: (body: { key: string }, call: number) => Omit<BatchResultErrorEntry, 'Id'> | undefined,
) {
  let call = 0;
  sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
    call++;
    const Successful: { Id: string; MessageId: string; MD5OfMessageBody: string }[] = [];
    const Failed: BatchResultErrorEntry[] = [];
    for (const entry of input.Entries ?? []) {
      const error = failure(JSON.parse(entry.MessageBody ?? '{}'), call);
      if (error) Failed.push({ Id: entry.Id, ...error });
      else Successful.push({ Id: entry.Id ?? '', MessageId: `m-${entry.Id}`, MD5OfMessageBody: 'x' });
    }
    return { Successful, Failed };
  });
}

const batchCalls = () => sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);
const sentBodies = () =>
  batchCalls().flatMap((input) => (input.Entries ?? []).map((entry) => JSON.parse(entry.MessageBody ?? '')));
const internalError = { Code: 'InternalError', Message: 'try again', SenderFault: false };

describe('enqueueResizeJobs', () => {
  it('lists every page and sends one job per object in batches of at most 10 (1,000 + 23 keys → 103 calls)', async () => {
    const all = keys(1_023);
    givenPages(all.slice(0, 1_000), all.slice(1_000));
    givenQueue(() => undefined);

    const counts = await enqueue();

    expect(s3.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input)).toEqual([
      { Bucket: bucket, Prefix: 'uploads/', ContinuationToken: undefined },
      { Bucket: bucket, Prefix: 'uploads/', ContinuationToken: 'page-1' },
    ]);
    const calls = batchCalls();
    expect(calls).toHaveLength(103);
    for (const input of calls) {
      expect(input.QueueUrl).toBe(queueUrl);
      expect(input.Entries?.length).toBeLessThanOrEqual(10);
      const ids = input.Entries?.map((entry) => entry.Id);
      expect(new Set(ids).size).toBe(ids?.length);
    }
    expect(
      sentBodies()
        .map((body) => body.key)
        .sort(),
    ).toEqual(all);
    expect(sentBodies()[0]).toEqual({ bucket, key: all[0] });
    expect(counts).toEqual({ objects: 1_023, folderMarkers: 0, sent: 1_023, failed: 0, failures: [] });
  });

  it('skips folder markers (keys ending in /) and counts them apart', async () => {
    givenPages(['uploads/', 'uploads/2026/', ...keys(3), 'uploads/2026/empty-folder/']);
    givenQueue(() => undefined);

    const counts = await enqueue();

    expect(sentBodies().map((body) => body.key)).toEqual(keys(3));
    expect(counts).toMatchObject({ objects: 3, folderMarkers: 3, sent: 3, failed: 0 });
  });

  it('puts the requested sizes and format into every job, as the worker reads them', async () => {
    givenPages(keys(2));
    givenQueue(() => undefined);

    await enqueue({ sizes: ['thumbnail', 'small'], format: 'webp' });

    expect(sentBodies()).toEqual(
      keys(2).map((key) => ({ bucket, key, sizes: ['thumbnail', 'small'], format: 'webp' })),
    );
  });

  it('retries only the failed entries of a batch, with their ids, until they are accepted', async () => {
    const batch = keys(10);
    const flaky = new Set([batch[3], batch[7]]);
    givenPages(batch);
    givenQueue((body, call) => (call === 1 && flaky.has(body.key) ? internalError : undefined));

    const counts = await enqueue();

    const [first, second] = batchCalls();
    expect(batchCalls()).toHaveLength(2);
    expect(second?.Entries).toEqual(
      first?.Entries?.filter((entry) => flaky.has(JSON.parse(entry.MessageBody ?? '').key)),
    );
    expect(counts).toMatchObject({ objects: 10, sent: 10, failed: 0, failures: [] });
  });

  it('reports an entry that still fails after every attempt, and sends the rest', async () => {
    const batch = keys(10);
    givenPages(batch);
    givenQueue((body) => (body.key === batch[4] ? internalError : undefined));

    const counts = await enqueue();

    expect(batchCalls().map((input) => input.Entries?.length)).toEqual([10, 1, 1]);
    expect(counts).toEqual({
      objects: 10,
      folderMarkers: 0,
      sent: 9,
      failed: 1,
      failures: [{ key: batch[4], code: 'InternalError', message: 'try again' }],
    });
  });

  it('reports a sender fault at once: retrying the same entry cannot help', async () => {
    givenPages(keys(2));
    givenQueue((body) =>
      body.key === keys(2)[1]
        ? { Code: 'InvalidParameterValue', Message: 'bad body', SenderFault: true }
        : undefined,
    );

    const counts = await enqueue();

    expect(batchCalls()).toHaveLength(1);
    expect(counts.failures).toEqual([
      { key: keys(2)[1], code: 'InvalidParameterValue', message: 'bad body' },
    ]);
  });

  it('sends nothing on a dry run, but lists and counts everything', async () => {
    givenPages(keys(1_000), ['uploads/old/', ...keys(5, 1_000)]);

    const counts = await enqueue({ dryRun: true });

    expect(sqs.calls()).toHaveLength(0);
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(2);
    expect(counts).toEqual({ objects: 1_005, folderMarkers: 1, sent: 0, failed: 0, failures: [] });
  });

  it('stops with the counts so far when SendMessageBatch itself fails (no such queue)', async () => {
    givenPages(keys(10));
    sqs.on(SendMessageBatchCommand).rejects(new Error('The specified queue does not exist.'));

    const outcome = await enqueue({ concurrency: 1 }).catch((error: unknown) => error);

    expect(outcome).toBeInstanceOf(EnqueueAbortedError);
    expect((outcome as EnqueueAbortedError).counts).toMatchObject({ sent: 0 });
    expect(((outcome as EnqueueAbortedError).cause as Error).message).toMatch(/queue does not exist/);
  });

  it('sends nothing for an empty prefix', async () => {
    s3.on(ListObjectsV2Command).resolves({ KeyCount: 0, IsTruncated: false });

    const counts = await enqueue();

    expect(sqs.calls()).toHaveLength(0);
    expect(counts).toMatchObject({ objects: 0, sent: 0, failed: 0 });
  });
});
