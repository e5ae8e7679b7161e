import { readFileSync } from 'node:fs';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type MotoServer, startMoto } from '@repo/aws-local/moto';
import { subscribedQueue } from '@repo/aws-local/sqs-queues';
import {
  dynamoDbOperation,
  type LostAnswerProxy,
  type ProxiedRequest,
  snsOperation,
  startLostAnswerProxy,
} from '@repo/testing/lost-answer-proxy';
import { eventually } from '@repo/testing/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StackFile } from '../src/local-stack.ts';
import { type DevProcess, startDev } from './dev-process.ts';

// The repo's stack on a local AWS that applies some writes and loses their answers, or answers slowly,
// as the issue that found the bugs tried it: pnpm dev pointed through AWS_ENDPOINT_URL at a proxy in
// front of moto. The tests arm the proxy for the calls they mean; everything else passes through. The
// account concurrency leaves room for every overlapping delivery and write to run at once.
let moto: MotoServer;
let proxy: LostAnswerProxy;
let armed: ((request: ProxiedRequest) => boolean) | undefined;
let slowed: ((request: ProxiedRequest) => number) | undefined;
let dev: DevProcess;
let clients: {
  db: DynamoDBClient;
  s3: S3Client;
  sns: SNSClient;
  sqs: SQSClient;
  events: EventBridgeClient;
};

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startLostAnswerProxy({
    target: moto.endpoint,
    loseAnswer: (request) => armed?.(request) ?? false,
    delay: (request) => slowed?.(request) ?? 0,
  });
  dev = await startDev(['--concurrency', '60'], undefined, { env: { AWS_ENDPOINT_URL: proxy.endpoint } });
  // The tests themselves talk to moto directly: their own calls never lose an answer.
  const config = {
    endpoint: moto.endpoint,
    region: dev.stack.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  clients = {
    db: new DynamoDBClient(config),
    s3: new S3Client({ ...config, forcePathStyle: true }),
    sns: new SNSClient(config),
    sqs: new SQSClient(config),
    events: new EventBridgeClient(config),
  };
});

afterAll(async () => {
  for (const client of Object.values(clients ?? {})) client.destroy();
  await dev?.stop();
  await proxy?.close();
  await moto?.stop();
});

const ref = (logicalId: string) => dev.stack.resources[logicalId]?.ref as string;

/** A queue subscribed to the uploads topic: what a consumer of the announcements receives. */
const subscriber = (name: string) => subscribedQueue(clients, ref('UploadsTopic'), name);

/** The keys of the announcements on `queueUrl`, read until it stays empty for two seconds. */
async function announcedKeys(queueUrl: string): Promise<string[]> {
  const keys: string[] = [];
  for (;;) {
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }),
    );
    if (Messages.length === 0) return keys;
    for (const message of Messages) keys.push(JSON.parse(message.Body ?? '{}').upload.key);
  }
}

/** The version items of `key` in the uploads table, once one of them is marked announced. */
const announcedVersions = (key: string) =>
  eventually(
    async () => {
      const { Items = [] } = await clients.db.send(new ScanCommand({ TableName: ref('UploadsTable') }));
      const versions = Items.filter((item) => item.key?.S === key && item.version?.S !== 'latest');
      return versions.some((item) => item.notifiedAt) ? versions : undefined;
    },
    undefined,
    `${key} recorded and marked announced`,
  );

describe('pnpm dev on a local AWS that loses answers', () => {
  it('announces an upload exactly once when its record write was applied and the answer lost', async () => {
    // Prepare: a subscriber on the topic; the next upload-processor put (it carries `recordedBy`) loses
    // its answer after moto applied it
    const { s3 } = clients;
    const QueueUrl = await subscriber('lost-answer-subscriber');
    armed = dynamoDbOperation('PutItem', { mentioning: 'recordedBy' });

    // Act
    await s3.send(
      new PutObjectCommand({
        Bucket: ref('UploadsBucket'),
        Key: 'uploads/answer-lost.txt',
        Body: 'recorded, and the answer was lost',
        ContentType: 'text/plain',
      }),
    );

    // Assess: the put's answer was lost, and still one record, marked, and one notification
    const announced = await announcedVersions('uploads/answer-lost.txt');
    expect(proxy.lost).toHaveLength(1);
    expect(announced).toHaveLength(1);
    expect(await announcedKeys(QueueUrl)).toEqual(['uploads/answer-lost.txt']);
    expect(dev.output()).toMatch(/Upload recorded/);
    expect(dev.output()).not.toMatch(/Upload duplicate/);
  });

  it('answers 201 to a create whose write was applied and the answer lost, with one user stored', async () => {
    // Prepare: the next users-api put loses its answer
    const ada = await dev.signIn('ada.lost@example.com');
    armed = dynamoDbOperation('PutItem', { mentioning: ref('UsersTable') });
    const before = proxy.lost.length;

    // Act
    const response = await fetch(`${dev.stack.apiUrl}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...ada },
      body: JSON.stringify({ name: 'Ada Lovelace', email: 'ada.lost@example.com' }),
    });

    // Assess
    expect(proxy.lost.length - before).toBe(1);
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: string };
    const { Items = [] } = await clients.db.send(new ScanCommand({ TableName: ref('UsersTable') }));
    const stored = Items.filter((item) => item.email?.S === 'ada.lost@example.com');
    expect(stored.map((item) => item.id?.S)).toEqual([id]);
  });
});

describe('pnpm dev with overlapping deliveries and concurrent writes', () => {
  it('announces an upload once when 20 deliveries of it overlap, each in its own environment, the publish slowed', async () => {
    // Prepare: every publish takes 1.5 s more, so that deliveries arriving meanwhile find the record
    // created and not yet announced; a consumer on the topic
    const { s3, events } = clients;
    const queueUrl = await subscriber('overlapping-deliveries-subscriber');
    slowed = (request) => (snsOperation('Publish')(request) ? 1_500 : 0);
    const bucket = ref('UploadsBucket');
    const key = 'uploads/delivered-many-times.txt';
    const body = 'delivered twenty-one times at once';
    const { ETag = '', VersionId } = await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }),
    );

    // Act: S3's own event, and twenty duplicates of it, as EventBridge may deliver one event again
    const duplicate = {
      Source: 'aws.s3',
      DetailType: 'Object Created',
      Detail: JSON.stringify({
        version: '0',
        bucket: { name: bucket },
        object: {
          key,
          size: Buffer.byteLength(body),
          etag: ETag.replaceAll('"', ''),
          // The bucket is versioned: S3's event names the version, and so does every duplicate of it.
          'version-id': VersionId,
          sequencer: '0062E99A88DC407460',
        },
        reason: 'PutObject',
      }),
    };
    await Promise.all(
      [0, 1].map(() =>
        events.send(new PutEventsCommand({ Entries: Array.from({ length: 10 }, () => duplicate) })),
      ),
    );

    // Assess: one record, one notification — and the deliveries did overlap
    const versions = await announcedVersions(key);
    expect(versions).toHaveLength(1);
    await eventually(async () => {
      const stats = (JSON.parse(readFileSync(dev.stackFile, 'utf8')) as StackFile).concurrency
        ?.UploadProcessorFunction;
      return stats && stats.invocations >= 21 && stats.running === 0 ? stats : undefined;
    });
    slowed = undefined;
    expect(await announcedKeys(queueUrl)).toEqual([key]);
    const stats = (JSON.parse(readFileSync(dev.stackFile, 'utf8')) as StackFile).concurrency
      ?.UploadProcessorFunction;
    expect(stats?.peakRunning).toBeGreaterThan(1);
  });

  it('stores every one of 50 concurrent user writes', async () => {
    // Prepare: fifty signed-in users, each about to create their own record
    const emails = Array.from({ length: 50 }, (_, index) => `writer-${index}@example.com`);
    const signedIn: { authorization: string }[] = [];
    for (const email of emails) signedIn.push(await dev.signIn(email));

    // Act
    const responses = await Promise.all(
      emails.map((email, index) =>
        fetch(`${dev.stack.apiUrl}/users`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...signedIn[index] },
          body: JSON.stringify({ name: 'Concurrent Writer', email }),
        }),
      ),
    );

    // Assess
    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(201));
    const ids = await Promise.all(
      responses.map(async (response) => ((await response.json()) as { id: string }).id),
    );
    const { Items = [] } = await clients.db.send(new ScanCommand({ TableName: ref('UsersTable') }));
    const stored = Items.filter((item) => item.email?.S?.startsWith('writer-'));
    expect(new Set(stored.map((item) => item.id?.S))).toEqual(new Set(ids));
  });
});
