import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  dynamoDbOperation,
  type LostAnswerProxy,
  type ProxiedRequest,
  startLostAnswerProxy,
} from '@repo/testing/lost-answer-proxy';
import { type MotoServer, startMoto } from '@repo/testing/moto';
import { eventually } from '@repo/testing/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevProcess, startDev } from './dev-process.ts';

// The repo's stack on a local AWS that applies some writes and loses their answers, as the issue that
// found the bug tried it: pnpm dev pointed through AWS_ENDPOINT_URL at a proxy in front of moto. The
// tests arm the proxy for the one call they mean; everything else passes through.
let moto: MotoServer;
let proxy: LostAnswerProxy;
let armed: ((request: ProxiedRequest) => boolean) | undefined;
let dev: DevProcess;
let clients: { db: DynamoDBClient; s3: S3Client; sns: SNSClient; sqs: SQSClient };

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startLostAnswerProxy({
    target: moto.endpoint,
    loseAnswer: (request) => armed?.(request) ?? false,
  });
  dev = await startDev([], undefined, { env: { AWS_ENDPOINT_URL: proxy.endpoint } });
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
  };
});

afterAll(async () => {
  for (const client of Object.values(clients ?? {})) client.destroy();
  await dev?.stop();
  await proxy?.close();
  await moto?.stop();
});

const ref = (logicalId: string) => dev.stack.resources[logicalId]?.ref as string;

describe('pnpm dev on a local AWS that loses answers', () => {
  it('announces an upload exactly once when its record write was applied and the answer lost', async () => {
    // Prepare: a subscriber on the topic; the next upload-processor put (it carries `recordedBy`) loses
    // its answer after moto applied it
    const { db, s3, sns, sqs } = clients;
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'lost-answer-subscriber' }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    await sns.send(
      new SubscribeCommand({
        TopicArn: ref('UploadsTopic'),
        Protocol: 'sqs',
        Endpoint: Attributes?.QueueArn,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );
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
    const announced = await eventually(
      async () => {
        const { Items = [] } = await db.send(new ScanCommand({ TableName: ref('UploadsTable') }));
        const versions = Items.filter(
          (item) => item.key?.S === 'uploads/answer-lost.txt' && item.version?.S !== 'latest',
        );
        return versions.some((item) => item.notifiedAt) ? versions : undefined;
      },
      undefined,
      'the upload recorded and marked announced',
    );
    expect(proxy.lost).toHaveLength(1);
    expect(announced).toHaveLength(1);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }),
    );
    expect(Messages.map((message) => JSON.parse(message.Body ?? '{}').upload.key)).toEqual([
      'uploads/answer-lost.txt',
    ]);
    expect(dev.output()).toMatch(/Upload recorded/);
    expect(dev.output()).not.toMatch(/Upload duplicate/);
  });

  it('answers 201 to a create whose write was applied and the answer lost, with one user stored', async () => {
    // Prepare: the next users-api put loses its answer
    armed = dynamoDbOperation('PutItem', { mentioning: ref('UsersTable') });
    const before = proxy.lost.length;

    // Act
    const response = await fetch(`${dev.stack.apiUrl}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
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
