import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { messagesLeft } from '@repo/aws-local/sqs-queues';
import sharp from 'sharp';

/** An upload version's item in the uploads table. */
export interface RecordItem {
  key: string;
  version: string;
  notifiedAt?: string;
}

/** Every version item of the uploads table (not the per-key `latest` pointers). */
export async function readRecords(db: DynamoDBClient, tableName: string): Promise<RecordItem[]> {
  const items: RecordItem[] = [];
  let ExclusiveStartKey: Record<string, never> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey }));
    for (const item of page.Items ?? []) {
      if (item.version?.S === 'latest') continue;
      items.push({ key: item.key?.S ?? '', version: item.version?.S ?? '', notifiedAt: item.notifiedAt?.S });
    }
    ExclusiveStartKey = page.LastEvaluatedKey as typeof ExclusiveStartKey;
  } while (ExclusiveStartKey);
  return items;
}

/** An announcement as a subscriber of the uploads topic receives it. */
export interface Announcement {
  deduplicationKey: string;
  key: string;
  version?: string;
}

/** Takes every message off `queueUrl` (a queue subscribed to the uploads topic) until it stays empty. */
export async function drainAnnouncements(sqs: SQSClient, queueUrl: string): Promise<Announcement[]> {
  const announcements: Announcement[] = [];
  for (let empty = 0; empty < 2; ) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    if (Messages.length === 0) {
      empty++;
      continue;
    }
    empty = 0;
    for (const message of Messages) {
      const body = JSON.parse(message.Body ?? '{}') as {
        deduplicationKey?: string;
        upload?: { key?: string; version?: string };
      };
      announcements.push({
        deduplicationKey: body.deduplicationKey ?? '',
        key: body.upload?.key ?? '',
        version: body.upload?.version,
      });
    }
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle,
        })),
      }),
    );
  }
  return announcements;
}

/** An output as found: its dimensions, or why it could not be read as an image. */
export type FoundOutput = { width: number; height: number } | { undecodable: string };

/** The outputs of `name` (the key below `uploads/`) that exist, each decoded. */
export async function readOutputs(
  s3: S3Client,
  bucket: string,
  name: string,
  sizes: readonly string[],
): Promise<Record<string, FoundOutput>> {
  const found: Record<string, FoundOutput> = {};
  await Promise.all(
    sizes.map(async (size) => {
      try {
        const object = await s3.send(
          new GetObjectCommand({ Bucket: bucket, Key: `processed/${size}/${name}` }),
        );
        const bytes = await object.Body?.transformToByteArray();
        try {
          const { width = 0, height = 0 } = await sharp(bytes).metadata();
          found[size] = { width, height };
        } catch (error) {
          found[size] = { undecodable: (error as Error).message };
        }
      } catch (error) {
        if (!(error instanceof NoSuchKey)) throw error;
      }
    }),
  );
  return found;
}

/** A failure-queue message, by what it concerns: an upload's key (on-failure records) or a soak job. */
export interface ParkedEntry {
  messageId: string;
  key?: string;
  soakJob?: string;
}

/**
 * Reads what a failure queue holds without taking it: each message is received with a one-second
 * visibility and left, so it is back before `pnpm redrive` runs.
 */
export async function peekQueue(sqs: SQSClient, queueUrl: string): Promise<ParkedEntry[]> {
  const seen = new Map<string, ParkedEntry>();
  const depth = await messagesLeft(sqs, queueUrl);
  for (let round = 0; seen.size < depth && round < depth + 5; round++) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) break;
    for (const message of Messages) seen.set(message.MessageId ?? '', parked(message));
  }
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  return [...seen.values()];
}

function parked(message: {
  MessageId?: string;
  Body?: string;
  MessageAttributes?: Record<string, { StringValue?: string }>;
}): ParkedEntry {
  const entry: ParkedEntry = { messageId: message.MessageId ?? '' };
  const soakJob = message.MessageAttributes?.soakJob?.StringValue;
  if (soakJob) return { ...entry, soakJob };
  try {
    const body = JSON.parse(message.Body ?? '') as {
      requestPayload?: { detail?: { object?: { key?: string } } };
    };
    return { ...entry, key: body.requestPayload?.detail?.object?.key };
  } catch {
    return entry;
  }
}
