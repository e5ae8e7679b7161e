import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { type Poller, startSqsPoller } from '@repo/local/sqs-poller';
import type { Invoke } from '@repo/local/types';
import { readTemplate, serverlessFunctions } from '@repo/sam-template/read-template';
import { lambdaContext } from '@repo/testing/lambda-context';
import { useMotoEnvironment } from '@repo/testing/moto-environment';
// Declares the value the moto global setup provides (inject('motoEndpoint')).
import type {} from '@repo/testing/moto-global-setup';
import { photo } from '@repo/testing/photos';
import { waitFor } from '@repo/testing/wait';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

type Handler = (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => Promise<SQSBatchResponse>;

const endpoint = inject('motoEndpoint');
const bucket = 'batch-worker-it';
useMotoEnvironment(endpoint, { DEFAULT_BUCKET: bucket });

const region = 'us-east-1';
const clientConfig = { endpoint, region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const s3 = new S3Client(clientConfig);
const sqs = new SQSClient(clientConfig);

const template = readTemplate();
const queueProperties = template.Resources.ResizeJobsQueue?.Properties ?? {};
const redrive = queueProperties.RedrivePolicy as { maxReceiveCount: number; deadLetterTargetArn: unknown };
const worker = serverlessFunctions(template).find(({ logicalId }) => logicalId === 'BatchWorkerFunction');
type SqsEvent = { Properties?: { BatchSize?: number; FunctionResponseTypes?: string[] } };
const sqsSource =
  (worker?.properties.Events as Record<string, SqsEvent> | undefined)?.ResizeJobs?.Properties ?? {};
const timeoutMs = Number(worker?.properties.Timeout) * 1000;
// The template's 720 s would make each redelivery wait 12 minutes: one second keeps the test short.
const testVisibilityTimeout = '1';

let handler: Handler;
let queueUrl: string;
let queueArn: string;
let dlqUrl: string;
const names = ['beach.jpg', 'sunset.jpg', '2026/harbour.jpg'];

async function createQueue(name: string, attributes: Record<string, string>) {
  const { QueueUrl = '' } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
  );
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  return { url: QueueUrl, arn: Attributes?.QueueArn ?? '' };
}

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  for (const [index, name] of names.entries()) {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `uploads/${name}`,
        Body: await photo(640 + index * 160, 480),
        ContentType: 'image/jpeg',
      }),
    );
  }
  // The DLQ and the jobs queue as template.yaml declares them, bar the visibility timeout.
  const dlq = await createQueue('batch-worker-it-dlq', {
    MessageRetentionPeriod: String(template.Resources.ResizeJobsDlq?.Properties?.MessageRetentionPeriod),
  });
  dlqUrl = dlq.url;
  expect(redrive.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': ['ResizeJobsDlq', 'Arn'] });
  const jobs = await createQueue('batch-worker-it-jobs', {
    VisibilityTimeout: testVisibilityTimeout,
    MessageRetentionPeriod: String(queueProperties.MessageRetentionPeriod),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: redrive.maxReceiveCount }),
  });
  queueUrl = jobs.url;
  queueArn = jobs.arn;
  ({ handler } = (await import('../../src/handler.ts')) as unknown as { handler: Handler });
});

afterAll(() => {
  s3.destroy();
  sqs.destroy();
});

/** Lambda, as far as the poller needs it: each batch is one invocation of the real handler. */
function lambda() {
  const invocations: SQSEvent[] = [];
  const invoke: Invoke = async (_logicalId, event) => {
    invocations.push(event as SQSEvent);
    const started = performance.now();
    const requestId = `req-${invocations.length}`;
    try {
      const result = await handler(
        event as SQSEvent,
        lambdaContext({ functionName: 'batch-worker', timeoutMs }),
      );
      return { ok: true, result, requestId, durationMs: performance.now() - started };
    } catch (error) {
      const { name, message } = error as Error;
      return { ok: false, error: { errorType: name, errorMessage: message }, requestId, durationMs: 0 };
    }
  };
  return { invoke, invocations };
}

async function outputKeys(): Promise<string[]> {
  const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'processed/' }));
  return Contents.map((object) => object.Key as string).sort();
}

async function queueDepth(url: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible)
  );
}

// Longer than waitFor's deadline (60 s: the poison message alone takes maxReceiveCount deliveries a
// visibility timeout apart, and a loaded machine resizes slowly), so a stuck queue fails naming what it
// was waiting for.
const pollerTestTimeoutMs = 120_000;

describe('batch-worker behind a real SQS queue (moto), polled as Lambda would', {
  timeout: pollerTestTimeoutMs,
}, () => {
  let poller: Poller | undefined;
  afterAll(async () => {
    await poller?.stop();
  });

  it('writes the outputs of good jobs, deletes them, and moves a poison message to the DLQ after maxReceiveCount', async () => {
    // Prepare
    const poison = '{"key": "uploads/beach.jpg", "sizes": ["thumbnail"'; // truncated JSON
    const { Successful = [] } = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          ...names.map((name, index) => ({
            Id: `job-${index}`,
            MessageBody: JSON.stringify({ key: `uploads/${name}` }),
          })),
          { Id: 'poison', MessageBody: poison },
        ],
      }),
    );
    const poisonId = Successful.find((entry) => entry.Id === 'poison')?.MessageId;
    const { invoke, invocations } = lambda();
    const lines: string[] = [];

    // Act
    poller = startSqsPoller({
      sqs,
      invoke,
      functionId: 'BatchWorkerFunction',
      eventName: 'ResizeJobs',
      queueUrl,
      queueArn,
      region,
      batchSize: sqsSource.BatchSize,
      reportBatchItemFailures: sqsSource.FunctionResponseTypes?.includes('ReportBatchItemFailures'),
      log: (line) => lines.push(line),
    });
    await waitFor(
      async () => (await queueDepth(queueUrl)) === 0 && (await queueDepth(dlqUrl)) === 1,
      undefined,
      'the DLQ',
    );
    await poller.stop();

    // Assess: every output of every good job …
    expect(await outputKeys()).toEqual(
      names
        .flatMap((name) =>
          ['large', 'medium', 'small', 'thumbnail'].map((size) => `processed/${size}/${name}`),
        )
        .sort(),
    );
    const thumbnail = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: 'processed/thumbnail/beach.jpg' }),
    );
    expect(thumbnail.ContentType).toBe('image/jpeg');
    const meta = await sharp(
      Buffer.from(
        await (thumbnail.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      ),
    ).metadata();
    expect([meta.width, meta.height]).toEqual([150, 113]);
    // The good messages were delivered once (then deleted); the poison one maxReceiveCount times.
    const deliveries = invocations.flatMap((event) => event.Records);
    for (const record of deliveries.filter((record) => record.messageId !== poisonId))
      expect(record.attributes.ApproximateReceiveCount).toBe('1');
    expect(deliveries.filter((record) => record.body !== poison)).toHaveLength(names.length);
    expect(
      deliveries
        .filter((record) => record.messageId === poisonId)
        .map((record) => record.attributes.ApproximateReceiveCount),
    ).toEqual(Array.from({ length: redrive.maxReceiveCount }, (_, index) => String(index + 1)));
    expect(lines).toContainEqual(expect.stringMatching(/: 1 of \d+ messages reported as failed$/));
    // … and is now in the DLQ, unchanged.
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    expect(Messages.map((message: Message) => [message.MessageId, message.Body])).toEqual([
      [poisonId, poison],
    ]);
  });

  it('resizes the object of an S3 notification that S3 itself sent to the queue', async () => {
    // Prepare: a bucket that notifies the queue of new uploads (moto also sends the s3:TestEvent).
    const notifying = 'batch-worker-it-notifying';
    await s3.send(new CreateBucketCommand({ Bucket: notifying }));
    const events = await createQueue('batch-worker-it-s3-events', {
      VisibilityTimeout: testVisibilityTimeout,
    });
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: notifying,
        NotificationConfiguration: {
          QueueConfigurations: [
            {
              QueueArn: events.arn,
              Events: ['s3:ObjectCreated:*'],
              Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'uploads/' }] } },
            },
          ],
        },
      }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: notifying,
        Key: 'uploads/summer 2026/pier.jpg',
        Body: await photo(800, 600),
      }),
    );
    const { invoke, invocations } = lambda();

    // Act
    const notified = startSqsPoller({
      sqs,
      invoke,
      functionId: 'BatchWorkerFunction',
      eventName: 'ResizeJobs',
      queueUrl: events.url,
      queueArn: events.arn,
      region,
      reportBatchItemFailures: true,
      log: () => undefined,
    });
    const delivered = () => invocations.flatMap((event) => event.Records);
    await waitFor(
      async () => delivered().length === 2 && (await queueDepth(events.url)) === 0,
      undefined,
      'both messages',
    );
    await notified.stop();

    // Assess
    const { Contents = [] } = await s3.send(
      new ListObjectsV2Command({ Bucket: notifying, Prefix: 'processed/' }),
    );
    expect(Contents.map((object) => object.Key).sort()).toEqual(
      ['large', 'medium', 'small', 'thumbnail'].map((size) => `processed/${size}/summer 2026/pier.jpg`),
    );
    // The test event and the notification were each delivered once: both succeeded and were deleted.
    const kinds = delivered().map((record) => [
      (JSON.parse(record.body) as { Event?: string }).Event ?? 'notification',
      record.attributes.ApproximateReceiveCount,
    ]);
    expect(kinds.sort()).toEqual([
      ['notification', '1'],
      ['s3:TestEvent', '1'],
    ]);
  });
});
