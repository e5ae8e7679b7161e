import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isTransientAwsError } from '@repo/aws/transient-error';
import type { S3ObjectRef } from '@repo/events/s3';
import type { UploadRecorded } from '@repo/events/upload-recorded';
import { type ObjectOutcome, skipReasonOf } from '@repo/object-processing/outcome';
import { readObject } from '@repo/object-processing/read-object';
import { type ObjectScan, scanObject } from './scan-object.ts';

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
  /**
   * The announcement claim: the token of the delivery that alone may publish this version now, and when
   * that claim lapses (epoch ms: the claimant's Lambda deadline plus a clock allowance). The creating
   * put takes it; a delivery that finds the item unannounced takes it only when nobody holds it.
   */
  claimedBy?: string;
  claimExpiresAt?: number;
  /** Set once the SNS notification for this version has been published. */
  notifiedAt?: string;
  messageId?: string;
}

export type Recorded =
  | { status: 'recorded'; record: UploadRecord; messageId: string }
  /** A duplicate delivery whose notification had already gone out: nothing done. */
  | { status: 'duplicate'; record: UploadRecord }
  /** A redelivery after a failed publish: the record existed, the notification went out now. */
  | { status: 'announced'; record: UploadRecord; messageId: string };

/**
 * Recorded (or found recorded); skipped when outside the input prefix or a folder marker; rejected
 * (thrown as a PermanentError, see processObject) when the object is gone or changed since the event,
 * or too large.
 */
export type RecordOutcome = ObjectOutcome<Recorded>;

export interface RecordUploadDependencies {
  s3: S3Client;
  db: DynamoDBDocumentClient;
  sns: SNSClient;
  tableName: string;
  topicArn: string;
  settings: RecordSettings;
  now?: () => Date;
  /** Makes the delivery's `recordedBy` token (tests fix it). */
  newToken?: () => string;
  /** Waits between looks at a claim another delivery holds (tests advance a fake clock). */
  sleep?: (ms: number) => Promise<unknown>;
}

/** What one delivery has to work with: its invocation's deadline (epoch ms, from the Lambda context). */
export interface Delivery {
  deadline: number;
}

/**
 * Thrown when another delivery holds the announcement claim for longer than this one can wait: a fault
 * like any other (Lambda retries the event; an SQS message comes back), and by then the claimant has
 * announced the version or its claim has lapsed.
 */
export class AnnouncementInProgressError extends Error {
  override name = 'AnnouncementInProgressError';
}

/** Added to a claim's expiry for clocks of two execution environments that disagree a little. */
const clockAllowanceMs = 1_000;
/** Left for the publish and the mark (with the SDK's retries) when waiting for another's claim. */
const announceReserveMs = 5_000;
const firstPauseMs = 50;
const longestPauseMs = 1_000;

// SNS limits: a subject of at most 100 printable ASCII characters; 256 KB for message plus attributes.
const maxSubjectLength = 100;
const maxNotificationBytes = 256 * 1024;

/**
 * Records one uploaded object version exactly once and announces it exactly once.
 *
 * 1. The version item is created with a condition (`attribute_not_exists`): a duplicate or replayed
 *    event finds it and does not write again. The creating put also takes the announcement claim.
 * 2. The notification is published only after that write is durable, by the claim's holder only, then
 *    the item is marked (`notifiedAt`, `messageId`). A delivery that finds the item unmarked claims it
 *    when nobody holds the claim (a failed publish released it, or its holder died and it lapsed) and
 *    publishes; while another delivery holds it, it waits for that one's mark (or the claim's lapse)
 *    as long as its own time allows. One that finds the item marked does nothing.
 * 3. A `latest` item per object moves only to a newer S3 `sequencer`, so an event delivered out of order
 *    never replaces the newer version there.
 * S3, DynamoDB and SNS faults are thrown (Lambda retries); permanent problems are returned.
 */
export async function recordUpload(
  object: S3ObjectRef,
  deps: RecordUploadDependencies,
  { deadline }: Delivery,
): Promise<RecordOutcome> {
  const { settings, db, tableName } = deps;
  // Folder markers ("uploads/2026/", zero bytes) are not uploads and are skipped; zero-byte files are
  // uploads like any other and are recorded.
  const skipped = skipReasonOf(object.key, settings);
  if (skipped) return skipped;

  const objectId = `s3://${object.bucket}/${object.key}`;
  const versionId = object.versionId && object.versionId !== 'null' ? object.versionId : undefined;
  const version = versionId ?? object.etag ?? object.sequencer;
  if (!version) throw new Error(`The event for ${objectId} names no version id, ETag or sequencer`);

  let record = await readItem(deps, objectId, version);
  const token = (deps.newToken ?? randomUUID)();
  let created = false;
  if (!record) {
    const read = await readVersion(object, deps);
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
      processedAt: now(deps).toISOString(),
      recordedBy: token,
      claimedBy: token,
      claimExpiresAt: deadline + clockAllowanceMs,
    };
    created = await putOnce(db, tableName, record);
    // A concurrent delivery created the item first: go on from its item, like a redelivery.
    if (!created) record = await readExisting(deps, objectId, version);
  }
  // On every path, with this event's sequencer: a retry after a failed update needs it, and so does a
  // re-upload of earlier bytes to an unversioned bucket (same ETag, so the same item). It only moves forward.
  await moveLatest(db, tableName, record, object.sequencer);
  if (!created) {
    const claim = await claimAnnouncement(deps, record, token, deadline);
    if ('announced' in claim) return { status: 'duplicate', record: claim.announced };
    record = claim.claimed;
  }

  let messageId: string;
  try {
    messageId = await announce(deps, record);
  } catch (error) {
    // Let a retry (or an overlapping delivery) publish at once rather than after the claim lapses; if
    // this fails too, the claim lapses at this invocation's deadline anyway.
    await releaseClaim(deps, record, token).catch(() => undefined);
    throw error;
  }
  const notifiedAt = now(deps).toISOString();
  await markAnnounced(deps, record, { notifiedAt, messageId }, deadline);
  const announced = { ...record, notifiedAt, messageId };
  return created
    ? { status: 'recorded', record: announced, messageId }
    : { status: 'announced', record: announced, messageId };
}

const now = (deps: RecordUploadDependencies) => deps.now?.() ?? new Date();

async function readItem(
  { db, tableName }: RecordUploadDependencies,
  objectId: string,
  version: string,
): Promise<UploadRecord | undefined> {
  const { Item } = await db.send(
    new GetCommand({ TableName: tableName, Key: { objectId, version }, ConsistentRead: true }),
  );
  return Item as UploadRecord | undefined;
}

async function readExisting(
  deps: RecordUploadDependencies,
  objectId: string,
  version: string,
): Promise<UploadRecord> {
  const item = await readItem(deps, objectId, version);
  // Only a manual delete between two of this delivery's calls gets here: a fault, so Lambda retries.
  if (!item) throw new Error(`The item for ${objectId} (${version}) vanished while it was being announced`);
  return item;
}

/**
 * Makes this delivery the one that announces `record`, or learns that another one did. The claim is
 * taken with a condition — not announced, and unclaimed, claimed by this very delivery (an earlier
 * attempt whose answer was lost), or lapsed — so of overlapping deliveries exactly one holds it. While
 * another holds it, this one looks again with growing pauses until the holder marks the item, the claim
 * is released or lapses (then it claims), or its own time runs short (then it throws, to be retried).
 */
async function claimAnnouncement(
  deps: RecordUploadDependencies,
  record: UploadRecord,
  token: string,
  deadline: number,
): Promise<{ claimed: UploadRecord } | { announced: UploadRecord }> {
  const { db, tableName } = deps;
  const claimExpiresAt = deadline + clockAllowanceMs;
  let current = record;
  let pause = firstPauseMs;
  for (;;) {
    if (current.notifiedAt) return { announced: current };
    const at = now(deps).getTime();
    const heldByAnother =
      current.claimedBy !== undefined &&
      current.claimedBy !== token &&
      current.claimExpiresAt !== undefined &&
      current.claimExpiresAt >= at;
    if (!heldByAnother) {
      try {
        await db.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { objectId: current.objectId, version: current.version },
            UpdateExpression: 'SET claimedBy = :token, claimExpiresAt = :expires',
            ConditionExpression:
              'attribute_exists(objectId) AND attribute_not_exists(notifiedAt) AND ' +
              '(attribute_not_exists(claimedBy) OR claimedBy = :token OR claimExpiresAt < :now)',
            ExpressionAttributeValues: { ':token': token, ':expires': claimExpiresAt, ':now': at },
          }),
        );
        return { claimed: { ...current, claimedBy: token, claimExpiresAt } };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Another delivery claimed or announced it since this one looked: look again.
      }
    } else {
      const giveUpAt = deadline - announceReserveMs;
      if (at >= giveUpAt) {
        throw new AnnouncementInProgressError(
          `Another delivery is announcing ${current.objectId} (${current.version}); retry later`,
        );
      }
      const until = Math.min(giveUpAt, (current.claimExpiresAt ?? at) + 1);
      await (deps.sleep ?? sleep)(Math.max(1, Math.min(pause, until - at)));
      pause = Math.min(pause * 2, longestPauseMs);
    }
    current = await readExisting(deps, current.objectId, current.version);
  }
}

/**
 * Marks the version announced once the notification went out. The publish cannot be taken back, so a
 * transient fault on this one write (throttling, a 5xx, a reset — after the SDK's own attempts) is
 * retried here, with growing pauses, for as long as this invocation's time allows, keeping the claim:
 * giving up at the first fault would leave the item claimed and unmarked until the claim lapses at this
 * invocation's deadline, and Lambda's retry would wait for that lapse and then publish a second time.
 * The write is idempotent (the same values). Only when time runs short is the fault thrown.
 */
async function markAnnounced(
  deps: RecordUploadDependencies,
  record: UploadRecord,
  { notifiedAt, messageId }: { notifiedAt: string; messageId: string },
  deadline: number,
): Promise<void> {
  let pause = firstPauseMs;
  for (;;) {
    try {
      await deps.db.send(
        new UpdateCommand({
          TableName: deps.tableName,
          Key: { objectId: record.objectId, version: record.version },
          UpdateExpression: 'SET notifiedAt = :at, messageId = :id',
          ConditionExpression: 'attribute_exists(objectId)',
          ExpressionAttributeValues: { ':at': notifiedAt, ':id': messageId },
        }),
      );
      return;
    } catch (error) {
      const giveUpAt = deadline - announceReserveMs;
      if (!isTransientAwsError(error) || now(deps).getTime() + pause >= giveUpAt) throw error;
      await (deps.sleep ?? sleep)(pause);
      pause = Math.min(pause * 2, longestPauseMs);
    }
  }
}

/** Gives the claim up after a failed publish, if this delivery still holds it. */
async function releaseClaim(
  { db, tableName }: RecordUploadDependencies,
  record: UploadRecord,
  token: string,
) {
  await db.send(
    new UpdateCommand({
      TableName: tableName,
      Key: { objectId: record.objectId, version: record.version },
      UpdateExpression: 'REMOVE claimedBy, claimExpiresAt',
      ConditionExpression: 'claimedBy = :token AND attribute_not_exists(notifiedAt)',
      ExpressionAttributeValues: { ':token': token },
    }),
  );
}

/** Scans the bytes the event announced (readObject pins the version or ETag and bounds the size). */
async function readVersion(
  object: S3ObjectRef,
  { s3, settings }: RecordUploadDependencies,
): Promise<{ scan: ObjectScan; s3ContentType?: string }> {
  const { body, contentType } = await readObject(s3, object, { maxBytes: settings.maxObjectBytes });
  return {
    scan: await scanObject(body, { previewBytes: settings.previewBytes }),
    s3ContentType: contentType,
  };
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

async function announce({ sns, topicArn }: RecordUploadDependencies, record: UploadRecord): Promise<string> {
  const {
    notifiedAt: _notifiedAt,
    messageId: _messageId,
    recordedBy: _recordedBy,
    claimedBy: _claimedBy,
    claimExpiresAt: _claimExpiresAt,
    ...announced
  } = record;
  const dedupKey = deduplicationKey(record);
  // The contract subscribers code against: @repo/events/upload-recorded.
  let message = JSON.stringify({
    type: 'UploadRecorded',
    deduplicationKey: dedupKey,
    upload: announced,
  } satisfies UploadRecorded);
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
    } satisfies UploadRecorded);
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
