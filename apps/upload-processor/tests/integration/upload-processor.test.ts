import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { readTemplate } from '@repo/sam-template/read-template';
import { createTablesFromTemplate } from '@repo/testing/dynamodb-tables';
import { lambdaContext } from '@repo/testing/lambda-context';
import {
  dynamoDbOperation,
  type ProxiedRequest,
  snsOperation,
  startLostAnswerProxy,
} from '@repo/testing/lost-answer-proxy';
import { useMotoEnvironment } from '@repo/testing/moto-environment';
// Declares the value the moto global setup provides (inject('motoEndpoint')).
import type {} from '@repo/testing/moto-global-setup';
import { waitFor } from '@repo/testing/wait';
import type { SQSBatchResponse } from 'aws-lambda';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { deduplicationKey, type RecordOutcome, type UploadRecord } from '../../src/record-upload.ts';
import { motoObjectCreated } from '../events.ts';
import { sha256 } from '../files.ts';

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

const endpoint = inject('motoEndpoint');
const region = 'us-east-1';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const clientConfig = { endpoint, region, credentials };
const s3 = new S3Client(clientConfig);
const dynamodb = new DynamoDBClient(clientConfig);
const documents = DynamoDBDocumentClient.from(dynamodb);
const snsClient = new SNSClient(clientConfig);
const sqs = new SQSClient(clientConfig);

const bucket = 'upload-processor-it';
const versionedBucket = 'upload-processor-it-versioned';
const notifyingBucket = 'upload-processor-it-notifying';
let tableName: string;
let announcementsQueueUrl: string;
let s3EventsQueueUrl: string;
let handler: Handler;

/** Every announcement received from the topic so far (each SQS message is read once, then deleted). */
const received: { body: Envelope; subject?: string }[] = [];
interface Envelope {
  Type: string;
  MessageId: string;
  Subject?: string;
  Message: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

async function queueArn(queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  return Attributes?.QueueArn ?? '';
}

beforeAll(async () => {
  ({ UploadsTable: tableName = '' } = await createTablesFromTemplate(dynamodb, readTemplate(), [
    'UploadsTable',
  ]));
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new CreateBucketCommand({ Bucket: versionedBucket }));
  await s3.send(
    new PutBucketVersioningCommand({
      Bucket: versionedBucket,
      VersioningConfiguration: { Status: 'Enabled' },
    }),
  );
  const { TopicArn = '' } = await snsClient.send(new CreateTopicCommand({ Name: 'uploads-it' }));
  ({ QueueUrl: announcementsQueueUrl = '' } = await sqs.send(
    new CreateQueueCommand({ QueueName: 'uploads-announcements-it' }),
  ));
  await snsClient.send(
    new SubscribeCommand({
      TopicArn,
      Protocol: 'sqs',
      Endpoint: await queueArn(announcementsQueueUrl),
      Attributes: { RawMessageDelivery: 'false' },
    }),
  );

  useMotoEnvironment(endpoint, { UPLOADS_TABLE_NAME: tableName, UPLOADS_TOPIC_ARN: TopicArn });
  ({ handler } = (await import('../../src/handler.ts')) as unknown as { handler: Handler });
});

/** Reads the announcements queue until it is empty, keeping what it read in `received`. */
async function drainAnnouncements(): Promise<void> {
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: announcementsQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
      }),
    );
    if (Messages.length === 0) return;
    for (const message of Messages) received.push({ body: JSON.parse(message.Body ?? '{}') as Envelope });
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: announcementsQueueUrl,
        Entries: Messages.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle ?? '',
        })),
      }),
    );
  }
}

/** The announcements of one object, from every message the topic has delivered so far. */
async function announcementsOf(objectId: string) {
  await drainAnnouncements();
  return received
    .map(({ body }) => ({
      envelope: body,
      message: JSON.parse(body.Message) as { type: string; upload: UploadRecord },
    }))
    .filter(({ message }) => message.upload.objectId === objectId);
}

/** The object's version items and its `latest` item. */
async function itemsOf(objectId: string) {
  const { Items = [] } = await documents.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'objectId = :id',
      ExpressionAttributeValues: { ':id': objectId },
      ConsistentRead: true,
    }),
  );
  return {
    versions: Items.filter((item) => item.version !== 'latest') as UploadRecord[],
    latest: Items.find((item) => item.version === 'latest'),
  };
}

/** One version item of the object, marked announced, and one announcement of it from the topic. */
async function expectRecordedAndAnnouncedOnce(objectId: string) {
  const { versions, latest } = await itemsOf(objectId);
  expect(versions).toEqual([expect.objectContaining({ notifiedAt: expect.any(String) })]);
  expect(await announcementsOf(objectId)).toHaveLength(1);
  return { versions, latest };
}

let sequence = 0x407460;
/** A fresh S3 sequencer, greater than every one before it (same length, as S3's are). */
const nextSequencer = () => `0062E99A88DC${(sequence++).toString(16).toUpperCase()}`;

/** Uploads `body` and returns the EventBridge event S3 would send for this upload (moto's shape). */
async function upload(name: string, key: string, body: string, contentType = 'text/plain') {
  const put = await s3.send(
    new PutObjectCommand({ Bucket: name, Key: key, Body: body, ContentType: contentType }),
  );
  return motoObjectCreated(name, key, {
    size: Buffer.byteLength(body),
    eTag: put.ETag ?? '',
    versionId: put.VersionId ?? 'null',
    sequencer: nextSequencer(),
  });
}

const deliver = (event: unknown) => handler(event, lambdaContext()) as Promise<RecordOutcome[]>;

describe('upload-processor against moto (S3, DynamoDB, SNS → SQS)', () => {
  it('records a real upload once and announces it once, with its attributes', async () => {
    const key = 'uploads/notes/first draft — größer.txt';
    const body = 'First draft — größer als gedacht.\n';
    const event = await upload(bucket, key, body, 'text/markdown');

    const outcomes = await deliver(event);

    const objectId = `s3://${bucket}/${key}`;
    expect(outcomes).toEqual([expect.objectContaining({ status: 'recorded' })]);
    const { versions } = await itemsOf(objectId);
    expect(versions).toEqual([
      expect.objectContaining({
        objectId,
        version: event.detail.object.eTag,
        key,
        size: Buffer.byteLength(body),
        sha256: sha256(body),
        detectedContentType: 'text/plain; charset=utf-8',
        s3ContentType: 'text/markdown',
        textPreview: body,
        previewTruncated: false,
        notifiedAt: expect.any(String),
        messageId: expect.any(String),
      }),
    ]);
    const announcements = await announcementsOf(objectId);
    expect(announcements).toHaveLength(1);
    const [{ envelope, message }] = announcements as [(typeof announcements)[number]];
    expect(message).toMatchObject({
      type: 'UploadRecorded',
      deduplicationKey: deduplicationKey(message.upload),
      upload: { sha256: sha256(body), textPreview: body },
    });
    expect(envelope.MessageAttributes?.deduplicationKey).toEqual({
      Type: 'String',
      Value: deduplicationKey(message.upload),
    });
    expect(envelope.Subject).toBe('Upload recorded: uploads/notes/first draft ? gr??er.txt');
    expect(envelope.MessageAttributes).toMatchObject({
      contentType: { Type: 'String', Value: 'text/plain; charset=utf-8' },
      s3ContentType: { Type: 'String', Value: 'text/markdown' },
      size: { Type: 'Number', Value: String(Buffer.byteLength(body)) },
      bucket: { Type: 'String', Value: bucket },
    });
    // The item is marked with the id SNS gave the announcement.
    expect(versions[0]?.messageId).toBe(envelope.MessageId);
  });

  /**
   * Runs `deliveries` with AWS calls that pass a faulty proxy (answers lost, calls slowed); each
   * `container()` is a fresh handler module, as a new execution environment has: its own clients, its
   * own module state. A client keeps the endpoint it first resolved, hence fresh modules, loaded with
   * the proxy's endpoint in place.
   */
  async function throughProxy<T>(
    faults: Omit<Parameters<typeof startLostAnswerProxy>[0], 'target'>,
    deliveries: (container: () => Promise<Handler>) => Promise<T>,
  ) {
    const proxy = await startLostAnswerProxy({ target: endpoint, ...faults });
    try {
      process.env.AWS_ENDPOINT_URL = proxy.endpoint;
      const source = fileURLToPath(new URL('../../src/handler.ts', import.meta.url));
      const container = async () =>
        ((await import(/* @vite-ignore */ `${source}?${randomUUID()}`)) as { handler: Handler }).handler;
      return { result: await deliveries(container), lost: proxy.lost };
    } finally {
      process.env.AWS_ENDPOINT_URL = endpoint;
      await proxy.close();
    }
  }

  /** Delivers `event` once, in a container of its own, losing the answers `loseAnswer` picks. */
  async function deliverLosing(event: unknown, loseAnswer: (request: ProxiedRequest) => boolean) {
    const { result: outcomes, lost } = await throughProxy({ loseAnswer }, async (container) =>
      (await container())(event, lambdaContext({ timeoutMs: 30_000 })),
    );
    return { outcomes, lost };
  }

  it.each([
    ['the record (PutItem)', 'answer-lost-put.txt', dynamoDbOperation('PutItem')],
    [
      'the latest pointer (UpdateItem)',
      'answer-lost-latest.txt',
      dynamoDbOperation('UpdateItem', { mentioning: 'latestVersion' }),
    ],
    [
      'the announced mark (UpdateItem)',
      'answer-lost-mark.txt',
      dynamoDbOperation('UpdateItem', { mentioning: 'notifiedAt' }),
    ],
  ])(
    'records and announces once when DynamoDB applied %s and lost its answer',
    async (_, name, loseAnswer) => {
      // Prepare: the proxy applies the write and drops its answer; the SDK's retry meets its own write
      const key = `uploads/${name}`;
      const event = await upload(bucket, key, 'written, then the answer was lost');

      // Act
      const { outcomes, lost } = await deliverLosing(event, loseAnswer);

      // Assess: one record, marked, latest on it, one announcement
      const objectId = `s3://${bucket}/${key}`;
      expect(lost).toHaveLength(1);
      expect(outcomes).toEqual([expect.objectContaining({ status: 'recorded' })]);
      const { versions, latest } = await expectRecordedAndAnnouncedOnce(objectId);
      expect(latest).toMatchObject({ latestVersion: versions[0]?.version });
    },
  );

  it('marks once, with the published message id, when every SDK attempt of the mark was applied and its answer lost, and its own retry meets the mark', async () => {
    // Prepare: DynamoDB applies each of the SDK's three attempts (AWS_MAX_ATTEMPTS) at the mark and the
    // proxy drops every answer, so the SDK gives up with a reset connection after the publish; the
    // delivery's own retry of the mark (a transient fault) then meets the mark already written
    const key = 'uploads/answer-lost-every-mark-attempt.txt';
    const event = await upload(bucket, key, 'marked three times over, never told');
    const isMark = ({ headers, body }: ProxiedRequest) =>
      headers['x-amz-target'] === 'DynamoDB_20120810.UpdateItem' && body.includes('SET notifiedAt');
    const loseMark = dynamoDbOperation('UpdateItem', { times: 3, mentioning: 'SET notifiedAt' });
    const marksSent: ProxiedRequest[] = [];
    const loseAnswer = (request: ProxiedRequest) => {
      if (isMark(request)) marksSent.push(request);
      return loseMark(request);
    };

    // Act
    const { outcomes, lost } = await deliverLosing(event, loseAnswer);

    // Assess: the three SDK attempts lost, then one more attempt of the very same write, answered
    const objectId = `s3://${bucket}/${key}`;
    expect(lost).toHaveLength(3);
    expect(lost.every(isMark)).toBe(true);
    expect(marksSent).toHaveLength(4);
    const valuesSent = marksSent.map(({ body }) => JSON.parse(body).ExpressionAttributeValues);
    expect(valuesSent).toEqual(Array.from({ length: 4 }, () => valuesSent[0]));
    // One record, one announcement; the item and the outcome carry the id SNS gave that announcement,
    // and the notifiedAt every attempt wrote
    const { versions, latest } = await expectRecordedAndAnnouncedOnce(objectId);
    const [{ envelope }] = (await announcementsOf(objectId)) as [
      Awaited<ReturnType<typeof announcementsOf>>[number],
    ];
    const [item] = versions as [UploadRecord];
    expect(item).toMatchObject({ messageId: envelope.MessageId });
    expect(valuesSent[0]).toEqual({ ':at': { S: item.notifiedAt }, ':id': { S: envelope.MessageId } });
    expect(outcomes).toEqual([
      expect.objectContaining({
        status: 'recorded',
        messageId: envelope.MessageId,
        record: expect.objectContaining({ notifiedAt: item.notifiedAt, messageId: envelope.MessageId }),
      }),
    ]);
    expect(latest).toMatchObject({ latestVersion: item.version });
  });

  /** Writes the version item as a delivery leaves it when it died after the put: recorded, unannounced. */
  async function recordedNotAnnounced(event: Awaited<ReturnType<typeof upload>>, claim?: object) {
    const {
      bucket: { name },
      object,
    } = event.detail;
    await documents.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          objectId: `s3://${name}/${object.key}`,
          version: object.eTag,
          bucket: name,
          key: object.key,
          etag: object.eTag,
          size: object.size,
          sha256: 'recorded-by-a-delivery-that-died',
          detectedContentType: 'text/plain; charset=utf-8',
          processedAt: new Date().toISOString(),
          recordedBy: 'a-delivery-that-died',
          ...claim,
        },
      }),
    );
  }

  it('claims and announces an unannounced record once when DynamoDB applied the claim and lost its answer', async () => {
    // Prepare: a record nobody announced and nobody holds; the claim's answer will be lost
    const key = 'uploads/answer-lost-claim.txt';
    const event = await upload(bucket, key, 'recorded, then its delivery died');
    await recordedNotAnnounced(event);

    // Act: the SDK's retry of the claim meets the claim it already took
    const { outcomes, lost } = await deliverLosing(
      event,
      dynamoDbOperation('UpdateItem', { mentioning: ':expires' }),
    );

    // Assess
    const objectId = `s3://${bucket}/${key}`;
    expect(lost).toHaveLength(1);
    expect(outcomes).toEqual([expect.objectContaining({ status: 'announced' })]);
    await expectRecordedAndAnnouncedOnce(objectId);
  });

  it('waits out the claim of a delivery that died holding it, then announces the record once', async () => {
    // Prepare: the dead delivery's claim lapses in 1.5 s
    const key = 'uploads/claimed-by-a-dead-delivery.txt';
    const event = await upload(bucket, key, 'claimed, then its delivery died');
    await recordedNotAnnounced(event, {
      claimedBy: 'a-delivery-that-died',
      claimExpiresAt: Date.now() + 1_500,
    });

    // Act
    const started = Date.now();
    const outcomes = await handler(event, lambdaContext({ timeoutMs: 30_000 }));

    // Assess: not before the lapse, and once
    const objectId = `s3://${bucket}/${key}`;
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    expect(outcomes).toEqual([expect.objectContaining({ status: 'announced' })]);
    expect(await announcementsOf(objectId)).toHaveLength(1);
  });

  it('announces a fresh upload once when ten deliveries overlap, each in its own container, the publish slowed', async () => {
    // Prepare: every publish takes 1.5 s more, so that deliveries arriving meanwhile find the record
    // created and not yet announced — the window in which each of them used to publish too
    const key = 'uploads/overlapping-deliveries.txt';
    const event = await upload(bucket, key, 'delivered ten times at once');
    const objectId = `s3://${bucket}/${key}`;

    // Act: three deliveries race to create the record; seven more arrive once it exists
    const { result: outcomes } = await throughProxy(
      { delay: (request) => (snsOperation('Publish')(request) ? 1_500 : 0) },
      async (container) => {
        const containers = await Promise.all(Array.from({ length: 10 }, container));
        const deliver = (handler: Handler) =>
          handler(event, lambdaContext({ timeoutMs: 30_000 })) as Promise<RecordOutcome[]>;
        const racing = containers.slice(0, 3).map(deliver);
        await waitFor(async () => (await itemsOf(objectId)).versions.length === 1);
        const late = containers.slice(3).map(deliver);
        return Promise.all([...racing, ...late]);
      },
    );

    // Assess: one record, announced by one delivery, the other nine duplicates
    const statuses = outcomes.flat().map((outcome) => outcome.status);
    expect(statuses.filter((status) => status === 'recorded')).toHaveLength(1);
    expect(statuses.filter((status) => status === 'duplicate')).toHaveLength(9);
    await expectRecordedAndAnnouncedOnce(objectId);
  });

  it('changes nothing when the same event is delivered again', async () => {
    const key = 'uploads/twice.txt';
    const event = await upload(bucket, key, 'delivered twice');
    const objectId = `s3://${bucket}/${key}`;
    await deliver(event);

    const outcomes = await deliver(event);

    expect(outcomes).toEqual([expect.objectContaining({ status: 'duplicate' })]);
    expect((await itemsOf(objectId)).versions).toHaveLength(1);
    expect(await announcementsOf(objectId)).toHaveLength(1);
  });

  it('records an overwrite as a second version, points latest at it, and ignores the old event replayed', async () => {
    const key = 'uploads/evolving.txt';
    const objectId = `s3://${bucket}/${key}`;
    const first = await upload(bucket, key, 'version one');
    await deliver(first);
    const second = await upload(bucket, key, 'version two, longer');

    const outcomes = await deliver(second);

    expect(outcomes).toEqual([expect.objectContaining({ status: 'recorded' })]);
    const afterSecond = await itemsOf(objectId);
    expect(afterSecond.versions.map((item) => item.version).sort()).toEqual(
      [first.detail.object.eTag, second.detail.object.eTag].sort(),
    );
    expect(afterSecond.latest).toMatchObject({
      latestVersion: second.detail.object.eTag,
      sha256: sha256('version two, longer'),
      size: Buffer.byteLength('version two, longer'),
    });

    const replayed = await deliver(first);

    expect(replayed).toEqual([expect.objectContaining({ status: 'duplicate' })]);
    expect(await itemsOf(objectId)).toEqual(afterSecond);
    expect(await announcementsOf(objectId)).toHaveLength(2);
  });

  it('points latest back at earlier bytes uploaded again (unversioned: same ETag, newer sequencer)', async () => {
    // The third event finds A's announced item (a duplicate), yet the object holds A's bytes again:
    // latest must follow the newest sequencer, not the newest item.
    const key = 'uploads/reverted.txt';
    const objectId = `s3://${bucket}/${key}`;
    const a = await upload(bucket, key, 'contents A');
    await deliver(a);
    const b = await upload(bucket, key, 'contents B');
    await deliver(b);
    const aAgain = await upload(bucket, key, 'contents A');
    expect(aAgain.detail.object.eTag).toBe(a.detail.object.eTag);

    await deliver(aAgain);

    const { versions, latest } = await itemsOf(objectId);
    expect(versions).toHaveLength(2);
    expect(latest).toMatchObject({ latestVersion: a.detail.object.eTag, sha256: sha256('contents A') });
  });

  it('records an older version delivered after a newer one, and latest stays on the newer (versioned bucket)', async () => {
    const key = 'uploads/out-of-order.txt';
    const objectId = `s3://${versionedBucket}/${key}`;
    const older = await upload(versionedBucket, key, 'older bytes');
    const newer = await upload(versionedBucket, key, 'newer bytes!');
    expect(newer.detail.object.sequencer > older.detail.object.sequencer).toBe(true);

    const [newerOutcome] = await deliver(newer);
    const [olderOutcome] = await deliver(older);

    expect(newerOutcome).toMatchObject({ status: 'recorded' });
    expect(olderOutcome).toMatchObject({ status: 'recorded' });
    const { versions, latest } = await itemsOf(objectId);
    expect(versions.map((item) => item.version).sort()).toEqual(
      [older.detail.object['version-id'], newer.detail.object['version-id']].sort(),
    );
    expect(versions.find((item) => item.version === older.detail.object['version-id'])?.sha256).toBe(
      sha256('older bytes'),
    );
    expect(latest).toMatchObject({
      latestVersion: newer.detail.object['version-id'],
      sha256: sha256('newer bytes!'),
    });
    expect(await announcementsOf(objectId)).toHaveLength(2);
  });

  it('rejects the old event of an unversioned object overwritten before it was read: nothing written', async () => {
    const key = 'uploads/overwritten.txt';
    const objectId = `s3://${bucket}/${key}`;
    const stale = await upload(bucket, key, 'soon replaced');
    await upload(bucket, key, 'the replacement');

    const outcomes = await deliver(stale);

    expect(outcomes).toEqual([expect.objectContaining({ status: 'rejected', reason: 'object-changed' })]);
    expect(await itemsOf(objectId)).toEqual({ versions: [], latest: undefined });
    expect(await announcementsOf(objectId)).toHaveLength(0);
  });

  it('rejects an event for a deleted object: nothing written, nothing announced', async () => {
    const key = 'uploads/deleted.txt';
    const objectId = `s3://${bucket}/${key}`;
    const event = await upload(bucket, key, 'here briefly');
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));

    const outcomes = await deliver(event);

    expect(outcomes).toEqual([expect.objectContaining({ status: 'rejected', reason: 'object-gone' })]);
    expect(await itemsOf(objectId)).toEqual({ versions: [], latest: undefined });
    expect(await announcementsOf(objectId)).toHaveLength(0);
  });

  it("records what moto's own S3 notifications to SQS name, keys decoded, test event acknowledged", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: notifyingBucket }));
    ({ QueueUrl: s3EventsQueueUrl = '' } = await sqs.send(
      new CreateQueueCommand({ QueueName: 's3-events-it' }),
    ));
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: notifyingBucket,
        NotificationConfiguration: {
          QueueConfigurations: [
            { QueueArn: await queueArn(s3EventsQueueUrl), Events: ['s3:ObjectCreated:*'] },
          ],
        },
      }),
    );
    const key = 'uploads/my report+final (2) 100%.txt';
    await s3.send(
      new PutObjectCommand({ Bucket: notifyingBucket, Key: key, Body: 'from a real notification' }),
    );
    const messages: Message[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: s3EventsQueueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
        }),
      );
      if (Messages.length === 0) break;
      messages.push(...Messages);
    }
    const batch = {
      Records: messages.map((message) => ({
        messageId: message.MessageId ?? '',
        receiptHandle: message.ReceiptHandle ?? '',
        body: message.Body ?? '',
        attributes: {},
        messageAttributes: {},
        md5OfBody: message.MD5OfBody ?? '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:s3-events-it',
        awsRegion: region,
      })),
    };
    // The s3:TestEvent S3 sends when notifications are configured, and the upload's event.
    expect(messages.map((message) => message.Body ?? '').some((body) => body.includes('s3:TestEvent'))).toBe(
      true,
    );
    expect(messages.length).toBe(2);

    const response = (await handler(batch, lambdaContext())) as SQSBatchResponse;

    expect(response).toEqual({ batchItemFailures: [] });
    const objectId = `s3://${notifyingBucket}/${key}`;
    expect((await itemsOf(objectId)).versions).toEqual([
      expect.objectContaining({ key, sha256: sha256('from a real notification') }),
    ]);
    expect(await announcementsOf(objectId)).toHaveLength(1);
  });
});
