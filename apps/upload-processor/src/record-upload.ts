import { createHash, randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, type S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { S3ObjectRef } from '@repo/events/s3';
import { type ObjectScan, ObjectTooLargeError, scanObject } from './scan-object.ts';

export interface RecordSettings {
  inputPrefix: string;
  maxObjectBytes: number;
  previewBytes: number;
}

export interface UploadRecord extends Omit<ObjectScan, 'size'> {
  /** `s3://<bucket>/<key>`: the partition key. */
  objectId: string;
  /** The S3 version id, or the ETag for unversioned buckets: the sort key (one item per object version). */
  version: string;
  bucket: string;
  key: string;
  size: number;
  etag?: string;
  versionId?: string;
  sequencer?: string;
  /** The Content-Type the uploader gave S3, kept beside the one detected from the bytes. */
  s3ContentType?: string;
  processedAt: string;
  /**
   * A token unique to the delivery that created the item: when DynamoDB applied the put but its answer
   * was lost, the SDK's retry meets this item, and the token tells that delivery it is its own.
   */
  recordedBy?: string;
  /** Set once the SNS notification for this version has been published. */
  notifiedAt?: string;
  messageId?: string;
}

export type RecordOutcome =
  | { status: 'recorded'; record: UploadRecord; messageId: string }
  /** A duplicate delivery whose notification had already gone out: nothing done. */
  | { status: 'duplicate'; record: UploadRecord }
  /** A redelivery after a failed publish: the record existed, the notification went out now. */
  | { status: 'announced'; record: UploadRecord; messageId: string }
  | { status: 'skipped'; reason: 'outside-input-prefix' | 'folder-marker' }
  /** Permanent: the object is gone or changed since the event, or too large; logged, not retried. */
  | { status: 'rejected'; reason: 'object-gone' | 'object-changed' | 'too-large'; message: string };

export interface Dependencies {
  s3: S3Client;
  db: DynamoDBDocumentClient;
  sns: SNSClient;
  tableName: string;
  topicArn: string;
  settings: RecordSettings;
  now?: () => Date;
  /** Makes the delivery's `recordedBy` token (tests fix it). */
  newToken?: () => string;
}

// SNS limits: a subject of at most 100 printable ASCII characters; 256 KB for message plus attributes.
const maxSubjectLength = 100;
const maxNotificationBytes = 256 * 1024;

/**
 * Records one uploaded object version exactly once and announces it exactly once.
 *
 * 1. The version item is created with a condition (`attribute_not_exists`): a duplicate or replayed
 *    event finds it and does not write again.
 * 2. The notification is published only after that write is durable, then the item is marked
 *    (`notifiedAt`, `messageId`). A redelivery after a failed publish finds an unmarked item and
 *    publishes then; one after a successful publish finds it marked and does nothing.
 * 3. A `latest` item per object moves only to a newer S3 `sequencer`, so an event delivered out of order
 *    never replaces the newer version there.
 * S3, DynamoDB and SNS faults are thrown (Lambda retries); permanent problems are returned.
 */
export async function recordUpload(object: S3ObjectRef, deps: Dependencies): Promise<RecordOutcome> {
  const { settings, db, tableName } = deps;
  if (!object.key.startsWith(settings.inputPrefix))
    return { status: 'skipped', reason: 'outside-input-prefix' };
  // Rule: folder markers ("uploads/2026/", zero bytes) are not uploads and are skipped; zero-byte files
  // are uploads like any other and are recorded.
  if (object.key.endsWith('/')) return { status: 'skipped', reason: 'folder-marker' };

  const objectId = `s3://${object.bucket}/${object.key}`;
  const versionId = object.versionId && object.versionId !== 'null' ? object.versionId : undefined;
  const version = versionId ?? object.etag ?? object.sequencer;
  if (!version) throw new Error(`The event for ${objectId} names no version id, ETag or sequencer`);

  const existing = await db.send(
    new GetCommand({ TableName: tableName, Key: { objectId, version }, ConsistentRead: true }),
  );
  let record = existing.Item as UploadRecord | undefined;
  let created = false;
  if (!record) {
    const read = await readVersion(object, versionId, deps);
    if ('rejected' in read) return read.rejected;
    record = {
      objectId,
      version,
      bucket: object.bucket,
      key: object.key,
      etag: object.etag,
      versionId,
      sequencer: object.sequencer,
      s3ContentType: read.s3ContentType,
      ...read.scan,
      processedAt: (deps.now?.() ?? new Date()).toISOString(),
      recordedBy: (deps.newToken ?? randomUUID)(),
    };
    created = await putOnce(db, tableName, record);
    if (!created) {
      // A concurrent delivery of this version created the item first: announcing it is that
      // delivery's job (a failure there is retried by Lambda), so this one stops here.
      const winner = (
        await db.send(
          new GetCommand({ TableName: tableName, Key: { objectId, version }, ConsistentRead: true }),
        )
      ).Item as UploadRecord;
      await moveLatest(db, tableName, winner, object.sequencer);
      return { status: 'duplicate', record: winner };
    }
  }
  // On every path, with this event's sequencer: a retry after a failed update needs it, and so does a
  // re-upload of earlier bytes to an unversioned bucket (same ETag, so the same item). It only moves forward.
  await moveLatest(db, tableName, record, object.sequencer);
  if (record.notifiedAt) return { status: 'duplicate', record };

  const messageId = await announce(deps, record);
  const notifiedAt = (deps.now?.() ?? new Date()).toISOString();
  await db.send(
    new UpdateCommand({
      TableName: tableName,
      Key: { objectId, version },
      UpdateExpression: 'SET notifiedAt = :at, messageId = :id',
      ConditionExpression: 'attribute_exists(objectId)',
      ExpressionAttributeValues: { ':at': notifiedAt, ':id': messageId },
    }),
  );
  const announced = { ...record, notifiedAt, messageId };
  return created
    ? { status: 'recorded', record: announced, messageId }
    : { status: 'announced', record: announced, messageId };
}

async function readVersion(
  object: S3ObjectRef,
  versionId: string | undefined,
  { s3, settings }: Dependencies,
): Promise<{ scan: ObjectScan; s3ContentType?: string } | { rejected: RecordOutcome }> {
  try {
    const response = await s3.send(
      new GetObjectCommand({
        Bucket: object.bucket,
        Key: object.key,
        VersionId: versionId,
        // Unversioned buckets: read the bytes this event announced, not a later overwrite.
        IfMatch: versionId ? undefined : object.etag && `"${object.etag.replaceAll('"', '')}"`,
      }),
    );
    if (response.ContentLength !== undefined && response.ContentLength > settings.maxObjectBytes) {
      (response.Body as { destroy?: () => void } | undefined)?.destroy?.();
      throw new ObjectTooLargeError(settings.maxObjectBytes);
    }
    const scan = await scanObject(response.Body as AsyncIterable<Uint8Array>, {
      maxBytes: settings.maxObjectBytes,
      previewBytes: settings.previewBytes,
    });
    return { scan, s3ContentType: response.ContentType };
  } catch (error) {
    if (error instanceof ObjectTooLargeError)
      return { rejected: { status: 'rejected', reason: 'too-large', message: error.message } };
    if (error instanceof S3ServiceException) {
      const status = error.$metadata.httpStatusCode;
      if (
        ['NoSuchKey', 'NoSuchVersion', 'NoSuchBucket', 'AccessDenied'].includes(error.name) ||
        status === 404 ||
        status === 403
      ) {
        return { rejected: { status: 'rejected', reason: 'object-gone', message: error.message } };
      }
      if (error.name === 'PreconditionFailed' || status === 412) {
        return {
          rejected: {
            status: 'rejected',
            reason: 'object-changed',
            message: 'overwritten since this event; the newer upload has its own event',
          },
        };
      }
    }
    throw error;
  }
}

/**
 * Creates the version item unless it exists; false when another delivery created it first. True also
 * when the item the condition met is this delivery's own (its `recordedBy` token): DynamoDB applied an
 * earlier attempt of this put and lost the answer, and the SDK's retry met it — without this, that
 * delivery would take its own item for a rival's and never announce it.
 */
async function putOnce(
  db: DynamoDBDocumentClient,
  tableName: string,
  record: UploadRecord,
): Promise<boolean> {
  try {
    await db.send(
      new PutCommand({
        TableName: tableName,
        Item: record,
        ConditionExpression: 'attribute_not_exists(objectId)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return true;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    // Returned raw: lib-dynamodb does not unmarshall the item of a failed condition.
    return record.recordedBy !== undefined && error.Item?.recordedBy?.S === record.recordedBy;
  }
}

/** Points the object's `latest` item at this version unless a newer sequencer got there first. */
async function moveLatest(
  db: DynamoDBDocumentClient,
  tableName: string,
  record: UploadRecord,
  eventSequencer: string | undefined,
): Promise<void> {
  const sequencer = eventSequencer ?? record.sequencer;
  if (!sequencer) return;
  try {
    await db.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { objectId: record.objectId, version: 'latest' },
        UpdateExpression:
          'SET latestVersion = :version, #sequencer = :sequencer, #size = :size, sha256 = :sha256',
        ConditionExpression: 'attribute_not_exists(#sequencer) OR #sequencer < :sequencer',
        ExpressionAttributeNames: { '#sequencer': 'sequencer', '#size': 'size' },
        ExpressionAttributeValues: {
          ':version': record.version,
          ':sequencer': comparableSequencer(sequencer),
          ':size': record.size,
          ':sha256': record.sha256,
        },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    // An older event arrived after a newer one: its version is recorded, the latest pointer stays.
  }
}

/** S3 sequencers are hex strings of varying length: S3 says to right-pad the shorter with zeros, then compare. */
export function comparableSequencer(sequencer: string): string {
  return sequencer.toUpperCase().padEnd(32, '0');
}

/**
 * The notification's deduplication key: the same for every publish of one object version (a retried
 * publish whose answer was lost, a redelivery after a crash, SNS's own at-least-once delivery), different
 * for any other. A digest of bucket, key and version, so that no key or version text can make two of
 * them collide, and short enough for a message attribute.
 */
export function deduplicationKey({ bucket, key, version }: Pick<UploadRecord, 'bucket' | 'key' | 'version'>) {
  return createHash('sha256')
    .update(JSON.stringify([bucket, key, version]))
    .digest('hex');
}

async function announce({ sns, topicArn }: Dependencies, record: UploadRecord): Promise<string> {
  const { notifiedAt: _notifiedAt, messageId: _messageId, recordedBy: _recordedBy, ...announced } = record;
  const dedupKey = deduplicationKey(record);
  let message = JSON.stringify({ type: 'UploadRecorded', deduplicationKey: dedupKey, upload: announced });
  const attributes = {
    deduplicationKey: { DataType: 'String', StringValue: dedupKey },
    contentType: { DataType: 'String', StringValue: record.detectedContentType },
    s3ContentType: { DataType: 'String', StringValue: record.s3ContentType ?? 'unknown' },
    size: { DataType: 'Number', StringValue: String(record.size) },
    bucket: { DataType: 'String', StringValue: record.bucket },
  };
  const attributeBytes = Buffer.byteLength(JSON.stringify(attributes));
  if (Buffer.byteLength(message) + attributeBytes > maxNotificationBytes) {
    const { textPreview: _preview, ...withoutPreview } = announced;
    message = JSON.stringify({
      type: 'UploadRecorded',
      deduplicationKey: dedupKey,
      upload: { ...withoutPreview, previewOmitted: true },
    });
  }
  const { MessageId } = await sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      Subject: subjectFor(record.key),
      Message: message,
      MessageAttributes: attributes,
    }),
  );
  return MessageId ?? '';
}

/** SNS subjects: printable ASCII, no line breaks, at most 100 characters. */
export function subjectFor(key: string): string {
  const safe = `Upload recorded: ${key}`.replace(/[^\x20-\x7e]/g, '?');
  return safe.length <= maxSubjectLength ? safe : `${safe.slice(0, maxSubjectLength - 1)}~`;
}
