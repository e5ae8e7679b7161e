import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type ReceiveMessageCommandOutput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttribute, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import { type Invoke, isThrottled, type Log } from './types.ts';

export interface SqsPollerOptions {
  sqs: SQSClient;
  invoke: Invoke;
  /** Logical id of the function the template's SQS event belongs to. */
  functionId: string;
  /** The event's name under the function's `Events`, for log lines. */
  eventName: string;
  queueUrl: string;
  queueArn: string;
  region: string;
  batchSize?: number;
  maximumBatchingWindowInSeconds?: number;
  /** `FunctionResponseTypes: [ReportBatchItemFailures]` on the event. */
  reportBatchItemFailures?: boolean;
  /**
   * Batches in flight at once: `ScalingConfig.MaximumConcurrency`, else the function's own limit. A FIFO
   * queue gets one, which keeps its message groups in order (Lambda scales FIFO by message group).
   */
  concurrency?: number;
  log: Log;
}

export interface Poller {
  /** Resolves once the loops have ended and the batches in flight (invocations and deletes) have finished. */
  stop(): Promise<void>;
}

// Short long-polls keep stop() within about a second without aborting requests: an aborted receive
// would still make its messages invisible on the server, hiding them until the visibility timeout.
const waitTimeSeconds = 1;
const maxBackoffMs = 10_000;
// Lambda's own order of the system attributes in a record; anything else SQS returns is left out.
const recordAttributeNames = [
  'AWSTraceHeader',
  'ApproximateReceiveCount',
  'SentTimestamp',
  'SequenceNumber',
  'MessageGroupId',
  'SenderId',
  'MessageDeduplicationId',
  'ApproximateFirstReceiveTimestamp',
  'DeadLetterQueueSourceArn',
] as const;

/**
 * Lambda's SQS event source mapping, locally: long-polls the queue, invokes the function with Lambda's
 * `SQSEvent`, and deletes what Lambda would delete. Up to `concurrency` batches are in flight at once,
 * each from a poller of its own, as Lambda scales a mapping out; a batch the function's concurrency
 * limit throttles is deleted from nothing and comes back after the visibility timeout, as in Lambda.
 */
export function startSqsPoller({
  sqs,
  invoke,
  functionId,
  eventName,
  queueUrl,
  queueArn,
  region,
  batchSize = 10,
  maximumBatchingWindowInSeconds = 0,
  reportBatchItemFailures = false,
  concurrency = 1,
  log,
}: SqsPollerOptions): Poller {
  const queueName = queueArn.slice(queueArn.lastIndexOf(':') + 1);
  const say = (line: string) => log(`${functionId} ${eventName} (sqs ${queueName}): ${line}`);
  const stopping = new AbortController();

  async function receiveBatch(): Promise<Message[]> {
    const messages: Message[] = [];
    let windowEndsAt: number | undefined;
    do {
      let received: ReceiveMessageCommandOutput;
      try {
        received = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(batchSize - messages.length, 10),
            // WaitTimeSeconds is whole seconds, so a batching window may run up to a second over.
            WaitTimeSeconds: waitTimeSeconds,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
      } catch (error) {
        // A failure part-way through a window still delivers what was gathered.
        if (messages.length === 0) throw error;
        say(`${errorText(error)}; invoking with the ${messages.length} messages gathered so far`);
        break;
      }
      messages.push(...(received.Messages ?? []));
      // Locally the window opens with the first message, so an idle queue is never waited on.
      if (messages.length > 0) windowEndsAt ??= Date.now() + maximumBatchingWindowInSeconds * 1000;
    } while (
      windowEndsAt !== undefined &&
      messages.length < batchSize &&
      Date.now() < windowEndsAt &&
      !stopping.signal.aborted
    );
    return messages;
  }

  async function deleteMessages(messages: Message[]): Promise<void> {
    for (let start = 0; start < messages.length; start += 10) {
      const chunk = messages.slice(start, start + 10);
      const { Failed = [] } = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      );
      for (const failure of Failed) {
        const messageId = chunk[Number(failure.Id)]?.MessageId;
        say(
          `could not delete message ${messageId} (${failure.Code}: ${failure.Message}); it will be redelivered`,
        );
      }
    }
  }

  async function processBatch(messages: Message[]): Promise<void> {
    const event: SQSEvent = { Records: messages.map((message) => toRecord(message, queueArn, region)) };
    const outcome = await invoke(functionId, event, `sqs:${queueName}`);
    if (!outcome.ok) {
      // Lambda deletes nothing: the batch comes back after the visibility timeout, and SQS's redrive
      // policy moves messages to the DLQ once they exceed maxReceiveCount. A throttled batch is the same.
      say(
        `batch of ${messages.length} ${isThrottled(outcome) ? 'throttled' : 'failed'} (${outcome.error.errorType}); messages return after the visibility timeout`,
      );
      return;
    }
    if (!reportBatchItemFailures) return deleteMessages(messages);
    const failed = failedMessageIds(outcome.result, event.Records);
    if (typeof failed === 'string') {
      say(`invalid batchItemFailures response, treating the whole batch as failed: ${failed}`);
      return;
    }
    if (failed.size > 0) say(`${failed.size} of ${messages.length} messages reported as failed`);
    await deleteMessages(messages.filter((message) => !failed.has(message.MessageId ?? '')));
  }

  const poll = async () => {
    let consecutiveErrors = 0;
    while (!stopping.signal.aborted) {
      try {
        const messages = await receiveBatch();
        consecutiveErrors = 0;
        // Received after stop(): leave them to reappear after the visibility timeout, as a disabled
        // event source mapping would.
        if (messages.length > 0 && !stopping.signal.aborted) await processBatch(messages);
      } catch (error) {
        consecutiveErrors += 1;
        const delayMs = Math.min(500 * 2 ** (consecutiveErrors - 1), maxBackoffMs);
        say(`${errorText(error)}; retrying in ${delayMs} ms`);
        await sleep(delayMs, undefined, { signal: stopping.signal }).catch(() => undefined);
      }
    }
  };
  const pollers = queueArn.endsWith('.fifo') ? 1 : Math.max(1, concurrency);
  const loops = Array.from({ length: pollers }, poll);

  return {
    async stop() {
      stopping.abort();
      await Promise.all(loops);
    },
  };
}

/**
 * Lambda's rules for a `ReportBatchItemFailures` response: the ids of the failed messages, or why the
 * response is invalid (Lambda then treats the whole batch as failed).
 */
function failedMessageIds(result: unknown, records: SQSRecord[]): Set<string> | string {
  // A null response, or one without a list, means every message succeeded.
  if (result === null || result === undefined) return new Set();
  if (typeof result !== 'object' || Array.isArray(result))
    return `expected an object, got ${JSON.stringify(result)}`;
  const { batchItemFailures } = result as { batchItemFailures?: unknown };
  if (batchItemFailures === null || batchItemFailures === undefined) return new Set();
  if (!Array.isArray(batchItemFailures)) return 'batchItemFailures is not an array';
  const batchIds = new Set(records.map((record) => record.messageId));
  const failed = new Set<string>();
  for (const failure of batchItemFailures) {
    const itemIdentifier = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof itemIdentifier !== 'string' || itemIdentifier === '') {
      return `itemIdentifier missing or empty in ${JSON.stringify(failure)}`;
    }
    if (!batchIds.has(itemIdentifier))
      return `itemIdentifier ${itemIdentifier} is not a message of this batch`;
    failed.add(itemIdentifier);
  }
  return failed;
}

/** One received message as the record Lambda puts in an `SQSEvent`. */
function toRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes: Record<string, string> = {};
  for (const name of recordAttributeNames) {
    const value = message.Attributes?.[name];
    if (value !== undefined) attributes[name] = value;
  }
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: attributes as unknown as SQSRecordAttributes,
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        toRecordAttribute(value),
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

function toRecordAttribute(value: MessageAttributeValue): SQSMessageAttribute {
  return {
    ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
    ...(value.BinaryValue !== undefined
      ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }
      : {}),
    // Lambda always sends both lists, empty: SQS reserves them and never fills them.
    stringListValues: value.StringListValues ?? [],
    binaryListValues: (value.BinaryListValues ?? []).map((item) => Buffer.from(item).toString('base64')),
    dataType: value.DataType ?? 'String',
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
