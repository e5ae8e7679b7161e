import { setTimeout as sleep } from 'node:timers/promises';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type Invoke, type InvokeOutcome, isThrottled, type Log } from './types.ts';

/** Where Lambda sends the record of an asynchronous invocation (`DestinationConfig` in the template). */
export interface Destination {
  type: 'SQS' | 'SNS' | 'EventBridge' | 'Lambda';
  arn: string;
  /** The queue URL for an SQS destination; looked up from the ARN when absent. */
  url?: string;
}

export interface AsyncInvokerOptions {
  sqs: SQSClient;
  /** Needed only for an SNS destination. */
  sns?: SNSClient;
  invoke: Invoke;
  /** Logical id of the function. */
  functionId: string;
  /** The event's name under the function's `Events`, for log lines. */
  eventName: string;
  /** The internal queue the EventBridge rule's matches are delivered to, one event per message. */
  deliveryQueueUrl: string;
  maximumRetryAttempts?: number;
  /** Delay before each retry (the last one repeats). Lambda waits about 1 and 2 minutes; locally seconds. */
  retryDelaysMs?: number[];
  maximumEventAgeInSeconds?: number;
  onSuccess?: Destination;
  onFailure?: Destination;
  /** ARN shown in destination records; defaults to a local `…:function:<functionId>:$LATEST`. */
  functionArn?: string;
  /** Events in flight at once (the function's concurrency limit; throttles beyond it are retried). */
  concurrency?: number;
  /** Longest wait between retries of a throttled event (Lambda: 5 minutes, growing from 1 second). */
  maxThrottleBackoffMs?: number;
  /** Turns each event as the local AWS delivered it into what AWS would send (see S3EventStamps). */
  asAwsSends?: (event: unknown, sentAt: number) => unknown;
  log: Log;
}

export interface AsyncInvoker {
  /** Stops receiving, aborts waits between retries, and resolves once no invocation is running. */
  stop(): Promise<void>;
}

type Condition = 'Success' | 'RetriesExhausted' | 'EventAgeExceeded';

const waitTimeSeconds = 1;
const firstThrottleBackoffMs = 1_000;
const maxBackoffMs = 10_000;
// Lambda's longest timeout: the delivery message stays hidden while every attempt could still run.
const maxFunctionTimeoutSeconds = 900;
const maxVisibilityTimeoutSeconds = 43_200;

/**
 * Lambda's asynchronous invocation, locally: takes each event from the delivery queue, invokes the
 * function, retries failures after the configured delays, and sends the outcome to the on-success or
 * on-failure destination in the record shape Lambda uses. Up to `concurrency` events run at once; the
 * retries of one event run one after another. A throttled invocation (the function is at its concurrency
 * limit) is no attempt: as Lambda does, the event waits — 1 s, doubling up to `maxThrottleBackoffMs` —
 * and tries again until it runs or exceeds `maximumEventAgeInSeconds`.
 */
export function startAsyncInvoker({
  sqs,
  sns,
  invoke,
  functionId,
  eventName,
  deliveryQueueUrl,
  maximumRetryAttempts = 2,
  retryDelaysMs = [1000, 2000],
  maximumEventAgeInSeconds = 21_600,
  onSuccess,
  onFailure,
  functionArn = `arn:aws:lambda:us-east-1:000000000000:function:${functionId}:$LATEST`,
  concurrency = 4,
  maxThrottleBackoffMs = 300_000,
  asAwsSends = (event) => event,
  log,
}: AsyncInvokerOptions): AsyncInvoker {
  for (const destination of [onSuccess, onFailure]) {
    if (destination && destination.type !== 'SQS' && destination.type !== 'SNS') {
      throw new Error(
        `${functionId} ${eventName}: ${destination.type} destinations are not supported locally (${destination.arn}); use SQS or SNS`,
      );
    }
    if (destination?.type === 'SNS' && !sns) {
      throw new Error(
        `${functionId} ${eventName}: an SNS destination (${destination.arn}) needs an SNS client`,
      );
    }
  }
  const say = (line: string) => log(`${functionId} ${eventName} (async): ${line}`);
  const stopping = new AbortController();
  const running = new Set<Promise<void>>();
  const retryDelay = (retry: number) => retryDelaysMs[Math.min(retry, retryDelaysMs.length) - 1] ?? 0;
  // Hidden for as long as every attempt could take, so a slow retry is never redelivered to ourselves;
  // stop() makes what it interrupts visible again at once.
  const visibilityTimeout = Math.min(
    (maximumRetryAttempts + 1) * maxFunctionTimeoutSeconds +
      Math.ceil((maximumRetryAttempts * Math.max(0, ...retryDelaysMs)) / 1000),
    maxVisibilityTimeoutSeconds,
  );
  const queueUrls = new Map<string, Promise<string>>();

  /** Retries an SQS/SNS call with backoff until it succeeds; false when stop() came first. */
  async function persistently(what: string, call: () => Promise<unknown>): Promise<boolean> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await call();
        return true;
      } catch (error) {
        if (stopping.signal.aborted) {
          say(
            `${what} failed (${errorText(error)}); stopping, so the event will run again on the next start`,
          );
          return false;
        }
        const delayMs = Math.min(500 * 2 ** (attempt - 1), maxBackoffMs);
        say(`${what} failed (${errorText(error)}); retrying in ${delayMs} ms`);
        await sleep(delayMs, undefined, { signal: stopping.signal }).catch(() => undefined);
      }
    }
  }

  async function send(destination: Destination, record: unknown): Promise<void> {
    const body = JSON.stringify(record);
    if (destination.type === 'SNS') {
      await sns?.send(new PublishCommand({ TopicArn: destination.arn, Message: body }));
      return;
    }
    await sqs.send(new SendMessageCommand({ QueueUrl: await queueUrl(destination), MessageBody: body }));
  }

  function queueUrl({ arn, url }: Destination): Promise<string> {
    if (url) return Promise.resolve(url);
    const [, , , , account, name] = arn.split(':');
    let found = queueUrls.get(arn);
    if (!found) {
      found = sqs
        .send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }))
        .then(({ QueueUrl }) => QueueUrl ?? Promise.reject(new Error(`no queue URL for ${arn}`)));
      // A failed lookup is retried on the next send rather than cached.
      found.catch(() => queueUrls.delete(arn));
      queueUrls.set(arn, found);
    }
    return found;
  }

  /** Makes the message visible again at once, so a later start picks the event up from the beginning. */
  async function release(message: Message): Promise<void> {
    await sqs
      .send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: deliveryQueueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      )
      .catch((error: unknown) => say(`could not release message ${message.MessageId}: ${errorText(error)}`));
  }

  async function remove(message: Message): Promise<void> {
    await sqs
      .send(new DeleteMessageCommand({ QueueUrl: deliveryQueueUrl, ReceiptHandle: message.ReceiptHandle }))
      .catch((error: unknown) =>
        say(`could not delete message ${message.MessageId} (${errorText(error)}); the event will run again`),
      );
  }

  async function handle(message: Message): Promise<void> {
    let event: unknown;
    try {
      event = JSON.parse(message.Body ?? '');
    } catch {
      say(
        `dropping delivery message ${message.MessageId}: its body is not JSON (a local-stack bug): ${message.Body}`,
      );
      return remove(message);
    }
    // S3 sends this when a bucket's notifications are configured; Lambda targets never see it.
    if ((event as { Event?: unknown } | null)?.Event === 's3:TestEvent') return remove(message);
    const receivedAt = Number(message.Attributes?.SentTimestamp ?? Date.now());
    // Every attempt of this event, and its destination record, carry the same stamped event.
    event = asAwsSends(event, receivedAt);
    const outcomes: InvokeOutcome[] = [];
    let condition: Condition;
    let throttles = 0;
    for (;;) {
      if (Date.now() - receivedAt > maximumEventAgeInSeconds * 1000) {
        condition = 'EventAgeExceeded';
        break;
      }
      if (stopping.signal.aborted) return release(message);
      const retry = outcomes.length;
      const outcome = await invoke(
        functionId,
        event,
        `async:${eventName}${retry > 0 ? ` (retry ${retry})` : ''}`,
      );
      if (isThrottled(outcome)) {
        throttles += 1;
        const delayMs = Math.min(firstThrottleBackoffMs * 2 ** (throttles - 1), maxThrottleBackoffMs);
        await sleep(delayMs, undefined, { signal: stopping.signal }).catch(() => undefined);
        continue;
      }
      outcomes.push(outcome);
      if (outcome.ok) {
        condition = 'Success';
        break;
      }
      if (retry >= maximumRetryAttempts) {
        condition = 'RetriesExhausted';
        break;
      }
      const delayMs = retryDelay(retry + 1);
      say(
        `failed (${outcome.error.errorType}: ${outcome.error.errorMessage}); retry ${retry + 1} of ${maximumRetryAttempts} in ${delayMs} ms`,
      );
      await sleep(delayMs, undefined, { signal: stopping.signal }).catch(() => undefined);
    }

    const destination = condition === 'Success' ? onSuccess : onFailure;
    if (destination) {
      const record = destinationRecord({
        event,
        outcomes,
        condition,
        functionArn,
        fallbackRequestId: message.MessageId,
      });
      const sent = await persistently(`sending to ${destination.type} ${destination.arn}`, () =>
        send(destination, record),
      );
      if (!sent) return release(message);
    } else if (condition !== 'Success') {
      say(
        `dropping the event after ${outcomes.length} invocation(s) (${condition}): no on-failure destination`,
      );
    }
    await remove(message);
  }

  const loop = (async () => {
    let consecutiveErrors = 0;
    while (!stopping.signal.aborted) {
      if (running.size >= concurrency) {
        await Promise.race(running);
        continue;
      }
      try {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: deliveryQueueUrl,
            MaxNumberOfMessages: Math.min(concurrency - running.size, 10),
            WaitTimeSeconds: waitTimeSeconds,
            VisibilityTimeout: visibilityTimeout,
            MessageSystemAttributeNames: ['SentTimestamp'],
          }),
        );
        consecutiveErrors = 0;
        for (const message of Messages) {
          // handle() releases the message itself when stop() came first.
          const task: Promise<void> = handle(message)
            .catch((error: unknown) => say(`event ${message.MessageId} failed locally: ${errorText(error)}`))
            .finally(() => running.delete(task));
          running.add(task);
        }
      } catch (error) {
        consecutiveErrors += 1;
        const delayMs = Math.min(500 * 2 ** (consecutiveErrors - 1), maxBackoffMs);
        say(`receiving from the delivery queue failed (${errorText(error)}); retrying in ${delayMs} ms`);
        await sleep(delayMs, undefined, { signal: stopping.signal }).catch(() => undefined);
      }
    }
  })();

  return {
    async stop() {
      stopping.abort();
      await loop;
      await Promise.all(running);
    },
  };
}

/** The record Lambda sends to a destination after an asynchronous invocation. */
function destinationRecord({
  event,
  outcomes,
  condition,
  functionArn,
  fallbackRequestId,
}: {
  event: unknown;
  outcomes: InvokeOutcome[];
  condition: Condition;
  functionArn: string;
  fallbackRequestId: string | undefined;
}) {
  const last = outcomes.at(-1);
  return {
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: {
      // Lambda keeps one request id across the retries of an event: the first attempt's.
      requestId: outcomes[0]?.requestId ?? fallbackRequestId,
      functionArn,
      condition,
      approximateInvokeCount: outcomes.length,
    },
    requestPayload: event,
    // An event that aged out before any attempt has no response to report.
    ...(last === undefined
      ? {}
      : last.ok
        ? {
            responseContext: { statusCode: 200, executedVersion: '$LATEST' },
            responsePayload: last.result,
          }
        : {
            responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
            responsePayload: {
              errorType: last.error.errorType,
              errorMessage: last.error.errorMessage,
              trace: last.error.stackTrace ?? [],
            },
          }),
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
