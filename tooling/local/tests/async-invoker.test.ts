import { setTimeout as sleep } from 'node:timers/promises';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { type MotoServer, startMoto } from '@repo/aws-local/moto';
import { messagesLeft } from '@repo/aws-local/sqs-queues';
import { waitFor } from '@repo/testing/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AsyncInvokerOptions, startAsyncInvoker } from '../src/async-invoker.ts';
import { type Invoke, type InvokeError, type InvokeOutcome, throttledError } from '../src/types.ts';

const region = 'us-east-1';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
let moto: MotoServer;
let sqs: SQSClient;
let sns: SNSClient;

beforeAll(async () => {
  moto = await startMoto();
  sqs = new SQSClient({ endpoint: moto.endpoint, region, credentials });
  sns = new SNSClient({ endpoint: moto.endpoint, region, credentials });
});

afterAll(async () => {
  sqs?.destroy();
  sns?.destroy();
  await moto?.stop();
});

/** An EventBridge event as the rule delivers it (trimmed to what the test needs). */
const objectCreated = {
  version: '0',
  id: '17793124-05d4-b198-2fde-7ededc63b103',
  'detail-type': 'Object Created',
  source: 'aws.s3',
  time: '2024-01-01T00:00:00Z',
  detail: { bucket: { name: 'uploads' }, object: { key: 'uploads/cat.jpg', size: 5 } },
};

let queueCount = 0;

async function createQueue() {
  queueCount += 1;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `queue-${queueCount}` }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  return { url: QueueUrl as string, arn: Attributes?.QueueArn as string };
}

async function deliver(queueUrl: string, body: unknown): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

/** The bodies of the messages in a destination queue, parsed. */
async function received(queueUrl: string, waitTimeSeconds = 2): Promise<unknown[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitTimeSeconds,
    }),
  );
  return Messages.map((message) => JSON.parse(message.Body as string));
}

type Answer = { ok: true; result: unknown } | { ok: false; error: InvokeError };
const failure: Answer = {
  ok: false,
  error: { errorType: 'NotAnImageError', errorMessage: 'not an image', stackTrace: ['at resize'] },
};
const success: Answer = { ok: true, result: { resized: 3 } };
/** Lambda's answer when the function is at its concurrency limit. */
const throttled: Answer = { ok: false, error: throttledError };

/** A fake function: records every call and answers with the scripted outcomes (the last one repeats). */
function fakeFunction(...answers: Answer[]) {
  const calls: Array<{ event: unknown; trigger: string }> = [];
  const invoke: Invoke = async (_id, event, trigger) => {
    calls.push({ event, trigger });
    const answer = answers[Math.min(calls.length, answers.length) - 1];
    return { requestId: `req-${calls.length}`, durationMs: 1, ...answer } as InvokeOutcome;
  };
  return { invoke, calls };
}

function run(
  options: Partial<AsyncInvokerOptions> & Pick<AsyncInvokerOptions, 'invoke' | 'deliveryQueueUrl'>,
) {
  const lines: string[] = [];
  const invoker = startAsyncInvoker({
    sqs,
    sns,
    functionId: 'ImageResizerFunction',
    eventName: 'ObjectCreated',
    retryDelaysMs: [50, 50],
    log: (line) => lines.push(line),
    ...options,
  });
  return { invoker, lines };
}

describe('startAsyncInvoker', () => {
  it('invokes once on success, deletes the delivery and sends the success record to onSuccess', async () => {
    // Prepare
    const delivery = await createQueue();
    const onSuccess = await createQueue();
    const { invoke, calls } = fakeFunction(success);
    await deliver(delivery.url, objectCreated);

    // Act
    const { invoker } = run({
      invoke,
      deliveryQueueUrl: delivery.url,
      onSuccess: { type: 'SQS', arn: onSuccess.arn },
    });
    await waitFor(async () => (await messagesLeft(sqs, onSuccess.url)) > 0);
    await invoker.stop();

    // Assess
    expect(calls).toEqual([{ event: objectCreated, trigger: 'async:ObjectCreated' }]);
    expect(await messagesLeft(sqs, delivery.url)).toBe(0);
    expect(await received(onSuccess.url)).toEqual([
      {
        version: '1.0',
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        requestContext: {
          requestId: 'req-1',
          functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:ImageResizerFunction:$LATEST',
          condition: 'Success',
          approximateInvokeCount: 1,
        },
        requestPayload: objectCreated,
        responseContext: { statusCode: 200, executedVersion: '$LATEST' },
        responsePayload: { resized: 3 },
      },
    ]);
  });

  it('retries a failing event maximumRetryAttempts times, then sends RetriesExhausted to onFailure', async () => {
    // Prepare
    const delivery = await createQueue();
    const onFailure = await createQueue();
    const { invoke, calls } = fakeFunction(failure);
    await deliver(delivery.url, objectCreated);

    // Act
    const { invoker, lines } = run({
      invoke,
      deliveryQueueUrl: delivery.url,
      maximumRetryAttempts: 2,
      onFailure: { type: 'SQS', arn: onFailure.arn, url: onFailure.url },
    });
    await waitFor(async () => (await messagesLeft(sqs, onFailure.url)) > 0);
    await invoker.stop();

    // Assess
    expect(calls.map((call) => call.trigger)).toEqual([
      'async:ObjectCreated',
      'async:ObjectCreated (retry 1)',
      'async:ObjectCreated (retry 2)',
    ]);
    expect(calls.map((call) => call.event)).toEqual([objectCreated, objectCreated, objectCreated]);
    expect(await messagesLeft(sqs, delivery.url)).toBe(0);
    expect(await received(onFailure.url)).toEqual([
      {
        version: '1.0',
        timestamp: expect.any(String),
        requestContext: {
          requestId: 'req-1',
          functionArn: expect.stringContaining(':function:ImageResizerFunction'),
          condition: 'RetriesExhausted',
          approximateInvokeCount: 3,
        },
        requestPayload: objectCreated,
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        responsePayload: { errorType: 'NotAnImageError', errorMessage: 'not an image', trace: ['at resize'] },
      },
    ]);
    expect(lines).toContain(
      'ImageResizerFunction ObjectCreated (async): failed (NotAnImageError: not an image); retry 1 of 2 in 50 ms',
    );
  });

  it('invokes once with maximumRetryAttempts 0 and drops the event with a log line when there is no destination', async () => {
    // Prepare
    const delivery = await createQueue();
    const { invoke, calls } = fakeFunction(failure);
    await deliver(delivery.url, objectCreated);

    // Act
    const { invoker, lines } = run({ invoke, deliveryQueueUrl: delivery.url, maximumRetryAttempts: 0 });
    await waitFor(() => lines.some((line) => line.includes('dropping')));
    await invoker.stop();

    // Assess
    expect(calls).toHaveLength(1);
    expect(await messagesLeft(sqs, delivery.url)).toBe(0);
    expect(lines.join('\n')).toContain('dropping the event after 1 invocation(s) (RetriesExhausted)');
  });

  it('sends no failure record when a retry succeeds', async () => {
    // Prepare
    const delivery = await createQueue();
    const onFailure = await createQueue();
    const { invoke, calls } = fakeFunction(failure, success);
    await deliver(delivery.url, objectCreated);

    // Act
    const { invoker } = run({
      invoke,
      deliveryQueueUrl: delivery.url,
      onFailure: { type: 'SQS', arn: onFailure.arn },
    });
    await waitFor(() => calls.length === 2);
    await invoker.stop();

    // Assess
    expect(await messagesLeft(sqs, delivery.url)).toBe(0);
    expect(await messagesLeft(sqs, onFailure.url)).toBe(0);
    expect(calls).toHaveLength(2);
  });

  it('sends EventAgeExceeded instead of retrying an event older than maximumEventAgeInSeconds', async () => {
    // Prepare
    const delivery = await createQueue();
    const onFailure = await createQueue();
    const { invoke, calls } = fakeFunction(failure);
    await deliver(delivery.url, objectCreated);

    // Act
    const { invoker } = run({
      invoke,
      deliveryQueueUrl: delivery.url,
      maximumEventAgeInSeconds: 1,
      retryDelaysMs: [1_200],
      onFailure: { type: 'SQS', arn: onFailure.arn },
    });
    await waitFor(async () => (await messagesLeft(sqs, onFailure.url)) > 0);
    await invoker.stop();

    // Assess
    expect(calls).toHaveLength(1);
    const [record] = (await received(onFailure.url)) as Array<{ requestContext: unknown }>;
    expect(record?.requestContext).toMatchObject({
      condition: 'EventAgeExceeded',
      approximateInvokeCount: 1,
    });
  });

  it('publishes the record to an SNS destination', async () => {
    // Prepare
    const delivery = await createQueue();
    const subscriber = await createQueue();
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'resize-failures' }));
    await sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: 'sqs',
        Endpoint: subscriber.arn,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );
    const { invoke } = fakeFunction(failure);
    await deliver(delivery.url, objectCreated);

    // Act
    const { invoker } = run({
      invoke,
      deliveryQueueUrl: delivery.url,
      maximumRetryAttempts: 0,
      onFailure: { type: 'SNS', arn: TopicArn as string },
    });
    await waitFor(async () => (await messagesLeft(sqs, subscriber.url)) > 0);
    await invoker.stop();

    // Assess
    const [record] = (await received(subscriber.url)) as Array<{
      requestContext: unknown;
      requestPayload: unknown;
    }>;
    expect(record?.requestContext).toMatchObject({
      condition: 'RetriesExhausted',
      approximateInvokeCount: 1,
    });
    expect(record?.requestPayload).toEqual(objectCreated);
  });

  it('logs and deletes a delivery whose body is not JSON, without invoking', async () => {
    // Prepare
    const delivery = await createQueue();
    const { invoke, calls } = fakeFunction(success);
    await deliver(delivery.url, 'not json');

    // Act
    const { invoker, lines } = run({ invoke, deliveryQueueUrl: delivery.url });
    await waitFor(() => lines.length > 0);
    await invoker.stop();

    // Assess
    expect(calls).toHaveLength(0);
    expect(lines[0]).toContain('its body is not JSON');
    expect(await messagesLeft(sqs, delivery.url)).toBe(0);
  });

  it('runs different events concurrently, at most 4 at a time', async () => {
    // Prepare
    const delivery = await createQueue();
    let running = 0;
    let mostAtOnce = 0;
    const invoked: unknown[] = [];
    // Every invocation is held open until 4 have run at once for 300 ms (time for a 5th to start, were
    // the bound broken) or all 6 have started: the bound is reached however slowly a loaded machine
    // delivers them. The 30 s last resort only ends a test that is failing.
    let releaseAt: number | undefined;
    const released = () => {
      if (running >= 4) releaseAt ??= Date.now() + 300;
      return invoked.length === 6 || (releaseAt !== undefined && Date.now() >= releaseAt);
    };
    const invoke: Invoke = async (_id, event) => {
      invoked.push(event);
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      for (const deadline = Date.now() + 30_000; !released() && Date.now() < deadline; ) await sleep(10);
      running -= 1;
      return { ok: true, result: null, requestId: `req-${invoked.length}`, durationMs: 1 };
    };
    for (let n = 0; n < 6; n += 1) await deliver(delivery.url, { ...objectCreated, id: String(n) });

    // Act
    const { invoker } = run({ invoke, deliveryQueueUrl: delivery.url });
    await waitFor(() => invoked.length === 6);
    await invoker.stop();

    // Assess
    expect(mostAtOnce).toBe(4);
    expect(await messagesLeft(sqs, delivery.url)).toBe(0);
  });

  it('waits out throttles without counting them as attempts, then delivers the event', async () => {
    // Prepare: the function is at its limit twice, then runs
    const delivery = await createQueue();
    const onSuccess = await createQueue();
    const { invoke, calls } = fakeFunction(throttled, throttled, success);
    await deliver(delivery.url, objectCreated);

    // Act
    const { invoker } = run({
      invoke,
      deliveryQueueUrl: delivery.url,
      maximumRetryAttempts: 0,
      maxThrottleBackoffMs: 50,
      onSuccess: { type: 'SQS', arn: onSuccess.arn },
    });
    await waitFor(async () => (await messagesLeft(sqs, onSuccess.url)) > 0);
    await invoker.stop();

    // Assess: three calls, yet one attempt — no retries were allowed, and none was used
    expect(calls).toHaveLength(3);
    expect(await received(onSuccess.url)).toEqual([
      expect.objectContaining({
        requestContext: expect.objectContaining({ condition: 'Success', approximateInvokeCount: 1 }),
      }),
    ]);
  });

  it('gives a throttled event up as EventAgeExceeded once it is older than maximumEventAgeInSeconds', async () => {
    const delivery = await createQueue();
    const onFailure = await createQueue();
    const { invoke } = fakeFunction(throttled);
    await deliver(delivery.url, objectCreated);

    const { invoker } = run({
      invoke,
      deliveryQueueUrl: delivery.url,
      maximumEventAgeInSeconds: 1,
      maxThrottleBackoffMs: 100,
      onFailure: { type: 'SQS', arn: onFailure.arn },
    });
    await waitFor(async () => (await messagesLeft(sqs, onFailure.url)) > 0);
    await invoker.stop();

    const [record] = (await received(onFailure.url)) as {
      requestContext: object;
      responsePayload?: unknown;
    }[];
    expect(record?.requestContext).toMatchObject({
      condition: 'EventAgeExceeded',
      approximateInvokeCount: 0,
    });
    expect(record?.responsePayload).toBeUndefined();
  });

  it('refuses destinations it cannot deliver to locally', () => {
    // Prepare
    const { invoke } = fakeFunction(success);

    // Act
    const start = () =>
      run({
        invoke,
        deliveryQueueUrl: 'http://127.0.0.1:1/000000000000/unused',
        onFailure: { type: 'Lambda', arn: 'arn:aws:lambda:us-east-1:000000000000:function:other' },
      });

    // Assess
    expect(start).toThrow('Lambda destinations are not supported locally');
  });
});
