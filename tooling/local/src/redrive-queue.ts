/** The mover behind `pnpm redrive`: takes messages off a failure queue and delivers them again. */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { MalformedRecordError, parseInvocationRecord } from './redrive-record.ts';
import { describeTarget, type RedriveRoute } from './redrive-route.ts';
import type { Log } from './types.ts';

/** Where a route's messages are delivered again: the local stack or AWS. */
export interface RedriveTarget {
  /** The failure queue's URL. */
  queueUrl: string;
  /** Hands an on-failure record's event to the route's function as an asynchronous invocation. */
  invokeAsync(event: unknown): Promise<void>;
  /** Sends a DLQ message, body and attributes unchanged, back to the route's source queue. */
  sendBack(body: string, attributes: Record<string, MessageAttributeValue> | undefined): Promise<void>;
}

/** A target's sendBack: the message, body and attributes unchanged, to the source queue at `queueUrl`. */
export function sendBackTo(sqs: SQSClient, queueUrl: string | undefined): RedriveTarget['sendBack'] {
  return async (body, attributes) => {
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageAttributes: attributes }),
    );
  };
}

export interface RedriveSummary {
  /** Delivered again and deleted (or, in a dry run, would have been). */
  moved: number;
  /** Left in place because they are not an invocation record. */
  malformed: number;
  /** Left in place (or delivered but not deleted) because a call failed. */
  failed: number;
}

// Receiving hides a message this long: enough to deliver and delete it, and to finish the run, before
// it could be received again. What is left in place is made visible again at the end.
const visibilityTimeoutSeconds = 300;

/**
 * Moves up to `max` messages of the route's queue back to where they came from, one batch of up to 10
 * at a time (long poll 1 s) until the queue has none left to give. Each message is delivered first and
 * deleted only after that succeeded: at least once — a crash in between delivers it again, which the
 * functions tolerate (they are idempotent). A message that cannot be delivered, or is not an invocation
 * record, is left in place and reported. A dry run receives and reports but moves nothing.
 */
export async function redriveQueue({
  sqs,
  route,
  target,
  max = Number.POSITIVE_INFINITY,
  dryRun = false,
  log,
}: {
  sqs: SQSClient;
  route: RedriveRoute;
  target: RedriveTarget;
  max?: number;
  dryRun?: boolean;
  log: Log;
}): Promise<RedriveSummary> {
  const to = describeTarget(route);
  const summary: RedriveSummary = { moved: 0, malformed: 0, failed: 0 };
  const leftInPlace: Message[] = [];
  let taken = 0;
  while (taken < max) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: target.queueUrl,
        MaxNumberOfMessages: Math.min(10, max - taken),
        WaitTimeSeconds: 1,
        VisibilityTimeout: visibilityTimeoutSeconds,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) break;
    taken += Messages.length;
    for (const message of Messages) {
      const id = message.MessageId ?? '(no id)';
      let deliver: () => Promise<void>;
      try {
        deliver = redelivery(route, target, message);
      } catch (error) {
        if (!(error instanceof MalformedRecordError)) throw error;
        summary.malformed += 1;
        leftInPlace.push(message);
        log(`left    ${id}: not a Lambda invocation record (${error.message})`);
        continue;
      }
      if (dryRun) {
        summary.moved += 1;
        leftInPlace.push(message);
        log(`would move ${id} → ${to}`);
        continue;
      }
      try {
        await deliver();
      } catch (error) {
        summary.failed += 1;
        leftInPlace.push(message);
        log(`left    ${id}: delivering to ${to} failed (${errorText(error)})`);
        continue;
      }
      try {
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: target.queueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
      } catch (error) {
        // Delivered but still queued: it will be delivered again by the next redrive, harmlessly.
        summary.failed += 1;
        log(`moved   ${id} → ${to}, but could not delete it (${errorText(error)}); it will come back`);
        continue;
      }
      summary.moved += 1;
      log(`moved   ${id} → ${to}`);
    }
  }
  // What stays is visible again at once, for the next look or the next redrive.
  for (const message of leftInPlace) {
    await sqs
      .send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: target.queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      )
      .catch((error: unknown) =>
        log(
          `could not make ${message.MessageId} visible again (${errorText(error)}); it is in ${visibilityTimeoutSeconds} s`,
        ),
      );
  }
  const left = summary.malformed + summary.failed;
  log(
    `${route.queueId}: ${summary.moved} ${dryRun ? 'would move' : 'moved'} to ${to}` +
      (left > 0
        ? `, ${left} left in place (${summary.malformed} not invocation records, ${summary.failed} failed)`
        : ''),
  );
  return summary;
}

/** The call that delivers one message again; throws MalformedRecordError for a record it cannot read. */
function redelivery(route: RedriveRoute, target: RedriveTarget, message: Message): () => Promise<void> {
  if (route.kind === 'function') {
    const { requestPayload } = parseInvocationRecord(message.Body);
    return () => target.invokeAsync(requestPayload);
  }
  return () => target.sendBack(message.Body ?? '', sendableAttributes(message.MessageAttributes));
}

/** Message attributes as received, in the shape SendMessage takes (no empty list fields). */
function sendableAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): Record<string, MessageAttributeValue> | undefined {
  if (attributes === undefined || Object.keys(attributes).length === 0) return undefined;
  return Object.fromEntries(
    Object.entries(attributes).map(([name, { DataType, StringValue, BinaryValue }]) => [
      name,
      {
        DataType,
        ...(StringValue !== undefined ? { StringValue } : {}),
        ...(BinaryValue !== undefined ? { BinaryValue } : {}),
      },
    ]),
  );
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
