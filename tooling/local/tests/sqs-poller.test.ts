import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type ReceiveMessageCommandInput,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { type MotoServer, startMoto } from '@repo/aws-local/moto';
import { messagesLeft } from '@repo/aws-local/sqs-queues';
import { waitFor } from '@repo/testing/wait';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SqsPollerOptions, startSqsPoller } from '../src/sqs-poller.ts';
import { type Invoke, type InvokeOutcome, throttledError } from '../src/types.ts';

const region = 'us-east-1';
let moto: MotoServer;
let sqs: SQSClient;

beforeAll(async () => {
  moto = await startMoto();
  sqs = new SQSClient({
    endpoint: moto.endpoint,
    region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterAll(async () => {
  sqs?.destroy();
  await moto?.stop();
});

let queueCount = 0;

/** A fresh queue per test, so a test never sees another's messages. */
async function createQueue(attributes: Record<string, string> = {}) {
  queueCount += 1;
  const name = `jobs-${queueCount}`;
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '1', ...attributes } }),
  );
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  return { queueUrl: QueueUrl as string, queueArn: Attributes?.QueueArn as string };
}

async function sendMessages(queueUrl: string, bodies: string[]): Promise<string[]> {
  const { Successful = [] } = await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: bodies.map((body, index) => ({ Id: String(index), MessageBody: body })),
    }),
  );
  return Successful.map((entry) => entry.MessageId as string);
}

/** A fake function: records every event and answers with the scripted outcomes (the last one repeats). */
function fakeFunction(...answers: Array<(event: SQSEvent) => Partial<InvokeOutcome>>) {
  const events: SQSEvent[] = [];
  const invoke: Invoke = async (_id, received) => {
    const event = received as SQSEvent;
    events.push(event);
    const answer = answers[Math.min(events.length, answers.length) - 1] ?? (() => ({}));
    return {
      ok: true,
      result: undefined,
      requestId: `req-${events.length}`,
      durationMs: 1,
      ...answer(event),
    } as InvokeOutcome;
  };
  return { invoke, events };
}

const fails = () => ({ ok: false, error: { errorType: 'Error', errorMessage: 'boom' } }) as const;

function poll(
  options: Partial<SqsPollerOptions> & Pick<SqsPollerOptions, 'invoke' | 'queueUrl' | 'queueArn'>,
) {
  const lines: string[] = [];
  const poller = startSqsPoller({
    sqs,
    functionId: 'BatchWorkerFunction',
    eventName: 'ResizeJobs',
    region,
    log: (line) => lines.push(line),
    ...options,
  });
  return { poller, lines };
}

describe('startSqsPoller', () => {
  it('delivers a batch of 5 messages as one event with the record shape Lambda uses', async () => {
    // Prepare
    const { queueUrl, queueArn } = await createQueue();
    const { invoke, events } = fakeFunction();
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: 'first',
        MessageAttributes: {
          color: { DataType: 'String', StringValue: 'blue' },
          blob: { DataType: 'Binary', BinaryValue: Buffer.from('bytes') },
        },
      }),
    );
    await sendMessages(queueUrl, ['2', '3', '4', '5']);

    // Act
    const { poller } = poll({ invoke, queueUrl, queueArn, batchSize: 5, maximumBatchingWindowInSeconds: 1 });
    await waitFor(() => events.length > 0);
    await poller.stop();

    // Assess
    expect(events).toHaveLength(1);
    const records = events[0]?.Records ?? [];
    expect(records.map((record) => record.body).sort()).toEqual(['2', '3', '4', '5', 'first']);
    const first = records.find((record) => record.body === 'first');
    expect(first).toEqual({
      messageId: sent.MessageId,
      receiptHandle: expect.any(String),
      body: 'first',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: expect.stringMatching(/^\d{13}$/),
        SenderId: expect.any(String),
        ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d{13}$/),
      },
      messageAttributes: {
        color: { stringValue: 'blue', stringListValues: [], binaryListValues: [], dataType: 'String' },
        blob: {
          binaryValue: Buffer.from('bytes').toString('base64'),
          stringListValues: [],
          binaryListValues: [],
          dataType: 'Binary',
        },
      },
      md5OfBody: createHash('md5').update('first').digest('hex'),
      md5OfMessageAttributes: sent.MD5OfMessageAttributes,
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: region,
    });
    expect(records.find((record) => record.body === '2')).not.toHaveProperty('md5OfMessageAttributes');
    expect(await messagesLeft(sqs, queueUrl)).toBe(0);
  });

  it('gathers more than 10 messages into one batch across receives within the batching window', async () => {
    // Prepare
    const { queueUrl, queueArn } = await createQueue();
    const bodies = Array.from({ length: 12 }, (_, n) => String(n));
    await sendMessages(queueUrl, bodies.slice(0, 10));
    await sendMessages(queueUrl, bodies.slice(10));
    const { invoke, events } = fakeFunction();

    // Act
    const { poller } = poll({ invoke, queueUrl, queueArn, batchSize: 12, maximumBatchingWindowInSeconds: 2 });
    await waitFor(() => events.length > 0);
    await poller.stop();

    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]?.Records.map((record) => record.body).sort()).toEqual(bodies.sort());
    expect(await messagesLeft(sqs, queueUrl)).toBe(0);
  });

  it('deletes all but the reported messages when ReportBatchItemFailures is on', async () => {
    // Prepare
    const { queueUrl, queueArn } = await createQueue();
    await sendMessages(queueUrl, ['1', '2', '3', '4', '5']);
    let reported: string[] = [];
    const { invoke, events } = fakeFunction((event) => {
      reported = event.Records.filter((record) => ['2', '4'].includes(record.body)).map(
        (record) => record.messageId,
      );
      return { result: { batchItemFailures: reported.map((itemIdentifier) => ({ itemIdentifier })) } };
    });

    // Act
    const { poller } = poll({
      invoke,
      queueUrl,
      queueArn,
      batchSize: 5,
      maximumBatchingWindowInSeconds: 1,
      reportBatchItemFailures: true,
    });
    await waitFor(() => events.length > 0);
    await poller.stop();

    // Assess
    expect(events[0]?.Records).toHaveLength(5);
    expect(await messagesLeft(sqs, queueUrl)).toBe(2);
    const again = new Set<string>();
    await waitFor(async () => {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      for (const message of Messages) again.add(message.MessageId as string);
      return again.size >= 2;
    });
    expect([...again].sort()).toEqual(reported.sort());
  });

  it('leaves a failing batch to SQS, whose redrive policy moves it to the DLQ after maxReceiveCount', async () => {
    // Prepare
    const dlq = await createQueue();
    const { queueUrl, queueArn } = await createQueue({
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount: 2 }),
    });
    await sendMessages(queueUrl, ['poison']);
    const { invoke, events } = fakeFunction(fails);

    // Act
    const { poller, lines } = poll({ invoke, queueUrl, queueArn });
    await waitFor(async () => (await messagesLeft(sqs, dlq.queueUrl)) === 1);
    await poller.stop();

    // Assess
    expect(events).toHaveLength(2);
    expect(events.map((event) => event.Records[0]?.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(await messagesLeft(sqs, queueUrl)).toBe(0);
    expect(lines.join('\n')).toContain('batch of 1 failed (Error)');
  });

  it('leaves a throttled batch to come back after the visibility timeout, then delivers it', async () => {
    // Prepare: the function is at its concurrency limit for the first attempt
    const { queueUrl, queueArn } = await createQueue();
    await sendMessages(queueUrl, ['job']);
    const throttled = () =>
      ({
        ok: false,
        error: throttledError,
      }) as const;
    const { invoke, events } = fakeFunction(throttled, () => ({}));

    // Act
    const { poller, lines } = poll({ invoke, queueUrl, queueArn });
    await waitFor(async () => events.length === 2 && (await messagesLeft(sqs, queueUrl)) === 0);
    await poller.stop();

    // Assess: the same message again, its receive count up, and the throttle named
    expect(events.map((event) => event.Records[0]?.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(lines.join('\n')).toContain('batch of 1 throttled (TooManyRequestsException)');
  });

  it('runs up to `concurrency` batches at once, each from a poller of its own', async () => {
    // Prepare: three single-message batches, held until three are running
    const { queueUrl, queueArn } = await createQueue({ VisibilityTimeout: '30' });
    await sendMessages(queueUrl, ['a', 'b', 'c', 'd']);
    let running = 0;
    let most = 0;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const events: SQSEvent[] = [];
    const invoke: Invoke = async (_id, event) => {
      events.push(event as SQSEvent);
      running += 1;
      most = Math.max(most, running);
      await released;
      running -= 1;
      return { ok: true, result: undefined, requestId: 'r', durationMs: 1 };
    };

    // Act
    const { poller } = poll({ invoke, queueUrl, queueArn, batchSize: 1, concurrency: 3 });
    await waitFor(() => running === 3);
    release();
    await waitFor(async () => events.length === 4 && (await messagesLeft(sqs, queueUrl)) === 0);
    await poller.stop();

    // Assess
    expect(most).toBe(3);
    expect(events.map((event) => event.Records[0]?.body).sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  // Concurrent: each case waits out a poll, and they share nothing but moto.
  it.concurrent.for([
    [
      'an empty itemIdentifier',
      { batchItemFailures: [{ itemIdentifier: '' }] },
      'itemIdentifier missing or empty',
    ],
    [
      'an unknown itemIdentifier',
      { batchItemFailures: [{ itemIdentifier: 'nope' }] },
      'nope is not a message',
    ],
    ['a list that is not an array', { batchItemFailures: 'all of them' }, 'not an array'],
    ['a response that is not an object', 'done', 'expected an object'],
  ] as const)('deletes nothing when the response has %s', async ([, result, reason], { expect }) => {
    // Prepare
    const { queueUrl, queueArn } = await createQueue();
    await sendMessages(queueUrl, ['1', '2']);
    const { invoke, events } = fakeFunction(() => ({ result }));

    // Act
    const { poller, lines } = poll({
      invoke,
      queueUrl,
      queueArn,
      batchSize: 2,
      maximumBatchingWindowInSeconds: 1,
      reportBatchItemFailures: true,
    });
    await waitFor(() => events.length > 0);
    await poller.stop();

    // Assess
    expect(events[0]?.Records).toHaveLength(2);
    expect(await messagesLeft(sqs, queueUrl)).toBe(2);
    expect(lines.join('\n')).toContain(reason);
  });

  it('ignores a batchItemFailures list and deletes the whole batch when ReportBatchItemFailures is off', async () => {
    // Prepare
    const { queueUrl, queueArn } = await createQueue();
    await sendMessages(queueUrl, ['1', '2', '3']);
    const { invoke, events } = fakeFunction((event) => ({
      result: { batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })) },
    }));

    // Act
    const { poller } = poll({ invoke, queueUrl, queueArn, batchSize: 3, maximumBatchingWindowInSeconds: 1 });
    await waitFor(() => events.length > 0);
    await poller.stop();

    // Assess
    expect(events[0]?.Records).toHaveLength(3);
    expect(await messagesLeft(sqs, queueUrl)).toBe(0);
  });

  it('stops once the receive in flight returns (a 1 s long poll at most), and receives nothing afterwards', async () => {
    // Prepare: a client that notes every receive the poller starts, and whether stop() had been called
    const { queueUrl, queueArn } = await createQueue();
    const watched = new SQSClient({
      endpoint: moto.endpoint,
      region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    let stopCalled = false;
    const receives: { waitTimeSeconds?: number; afterStop: boolean }[] = [];
    watched.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'ReceiveMessageCommand') {
          const { WaitTimeSeconds } = args.input as ReceiveMessageCommandInput;
          receives.push({ waitTimeSeconds: WaitTimeSeconds, afterStop: stopCalled });
        }
        return next(args);
      },
      { step: 'initialize' },
    );
    const { invoke, events } = fakeFunction();
    const { poller } = poll({ sqs: watched, invoke, queueUrl, queueArn });
    await waitFor(() => receives.length > 0);

    // Act
    stopCalled = true;
    await poller.stop();
    await sendMessages(queueUrl, ['too late']);
    await sleep(1_500); // a poller still running would receive it within its 1 s long poll

    // Assess: stop() waited for one short long poll at most, and none started after it
    expect(receives.map((receive) => receive.waitTimeSeconds)).toEqual(receives.map(() => 1));
    expect(receives.filter((receive) => receive.afterStop)).toEqual([]);
    expect(events).toHaveLength(0);
    expect(await messagesLeft(sqs, queueUrl)).toBe(1);
    watched.destroy();
  });

  it('lets the batch in flight finish, deletes included, before stop() resolves', async () => {
    // Prepare
    const { queueUrl, queueArn } = await createQueue({ VisibilityTimeout: '30' });
    await sendMessages(queueUrl, ['slow']);
    let finished = false;
    const events: unknown[] = [];
    const invoke: Invoke = async (_id, event) => {
      events.push(event);
      await sleep(500);
      finished = true;
      return { ok: true, result: null, requestId: 'req-1', durationMs: 500 };
    };
    const { poller } = poll({ invoke, queueUrl, queueArn });
    await waitFor(() => events.length > 0);

    // Act
    await poller.stop();

    // Assess
    expect(finished).toBe(true);
    expect(await messagesLeft(sqs, queueUrl)).toBe(0);
  });

  it('logs SQS errors and keeps polling with a backoff until the queue answers', async () => {
    // Prepare
    const { queueUrl, queueArn } = await createQueue();
    const missingQueueUrl = `${queueUrl}-not-yet`;
    const { invoke, events } = fakeFunction();
    const { poller, lines } = poll({ invoke, queueUrl: missingQueueUrl, queueArn });
    await waitFor(() => lines.length >= 2);

    // Act
    await sqs.send(
      new CreateQueueCommand({ QueueName: missingQueueUrl.slice(missingQueueUrl.lastIndexOf('/') + 1) }),
    );
    await sendMessages(missingQueueUrl, ['after the outage']);
    await waitFor(() => events.length > 0);
    await poller.stop();

    // Assess
    expect(lines[0]).toMatch(/QueueDoesNotExist.*retrying in 500 ms/);
    expect(lines[1]).toContain('retrying in 1000 ms');
    expect(events[0]?.Records[0]?.body).toBe('after the outage');
  });
});
