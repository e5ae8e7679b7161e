import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { eventually } from '@repo/testing/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevProcess, startDev } from './dev-process.ts';

let dev: DevProcess;
let db: DynamoDBClient;
let s3: S3Client;
let sqs: SQSClient;

beforeAll(async () => {
  dev = await startDev(['--template', 'tooling/local/tests/fixtures/dev/template.yaml']);
  const config = {
    endpoint: dev.stack.endpoint,
    region: dev.stack.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  db = new DynamoDBClient(config);
  s3 = new S3Client({ ...config, forcePathStyle: true });
  sqs = new SQSClient(config);
});

afterAll(async () => {
  for (const client of [db, s3, sqs]) client?.destroy();
  await dev?.stop();
});

const ref = (logicalId: string) => dev.stack.resources[logicalId]?.ref as string;
const api = (path: string) => `${dev.stack.apiUrl}${path}`;

/** The item the recorder function wrote for `pk`, once it is there. */
const recorded = (pk: string) =>
  eventually(
    async () =>
      (await db.send(new GetItemCommand({ TableName: ref('Records'), Key: { pk: { S: pk } } }))).Item,
    undefined,
    `record ${pk}`,
  );

/** Waits for one message on a queue and returns its body. */
const nextMessage = (queueUrl: string, timeoutMs?: number) =>
  eventually(
    async () => {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }),
      );
      return Messages?.[0]?.Body;
    },
    timeoutMs,
    `a message on ${queueUrl}`,
  );

describe('pnpm dev API Gateway', () => {
  it('passes a REST proxy event and returns the response faithfully, multi-value headers included', async () => {
    const response = await fetch(api('/items/42?x=1'));

    expect(response.status).toBe(200);
    expect(response.headers.get('set-cookie')).toBe('a=1, b=2');
    expect(await response.json()).toEqual({
      path: '/items/42',
      pathParameters: { id: '42' },
      greeting: 'hello from test',
    });
  });

  it('answers 502 for a malformed proxy response, a thrown error and a timeout, and keeps serving', async () => {
    for (const mode of ['malformed', 'throw', 'slow']) {
      const response = await fetch(api(`/items/1?mode=${mode}`));
      expect(response.status, mode).toBe(502);
      expect(await response.json()).toEqual({ message: 'Internal server error' });
    }
    expect((await fetch(api('/items/2'))).status).toBe(200);
    await dev.waitForOutput(/Sandbox\.Timedout/);
  });

  it('answers an unknown route as API Gateway does', async () => {
    const response = await fetch(api('/nowhere'));

    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ message: 'Missing Authentication Token' });
  });
});

describe('pnpm dev SQS event source', () => {
  it('delivers batches, deletes what succeeded, and lets reported failures reach the DLQ', async () => {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: ref('Jobs'),
        Entries: [
          { Id: 'a', MessageBody: JSON.stringify({ id: 'a' }) },
          { Id: 'b', MessageBody: JSON.stringify({ id: 'b' }) },
          { Id: 'poison', MessageBody: JSON.stringify({ id: 'poison', fail: true }) },
        ],
      }),
    );

    const a = await recorded('job#a');
    await recorded('job#b');
    const deadLetter = await nextMessage(ref('JobsDlq'));

    expect(JSON.parse(a.detail?.S ?? '{}')).toMatchObject({ receiveCount: '1' });
    expect(JSON.parse(deadLetter)).toEqual({ id: 'poison', fail: true });
    await dev.waitForOutput(/RecorderFunction ← sqs/);
  });
});

describe('pnpm dev S3 → EventBridge → function', () => {
  it('delivers Object Created events that match the rule, and only those', async () => {
    await s3.send(new PutObjectCommand({ Bucket: ref('Uploads'), Key: 'processed/ignored.txt', Body: 'x' }));
    await s3.send(new PutObjectCommand({ Bucket: ref('Uploads'), Key: 'uploads/report.txt', Body: 'hello' }));

    const item = await recorded('upload#uploads/report.txt');

    expect(JSON.parse(item.detail?.S ?? '{}')).toMatchObject({ bucket: ref('Uploads'), source: 'aws.s3' });
    const ignored = await db.send(
      new GetItemCommand({ TableName: ref('Records'), Key: { pk: { S: 'upload#processed/ignored.txt' } } }),
    );
    expect(ignored.Item).toBeUndefined();
  });

  it('delivers each upload with an event id of its own and a sequencer newer than the write it replaced', async () => {
    // Prepare: moto stamps every S3 event with one id and one sequencer; AWS does not
    const key = 'uploads/overwritten.txt';
    await s3.send(new PutObjectCommand({ Bucket: ref('Uploads'), Key: key, Body: 'first' }));
    const first = JSON.parse((await recorded(`upload#${key}`)).detail?.S ?? '{}');

    // Act
    await s3.send(new PutObjectCommand({ Bucket: ref('Uploads'), Key: key, Body: 'second' }));
    const second = await eventually(async () => {
      const { Item } = await db.send(
        new GetItemCommand({ TableName: ref('Records'), Key: { pk: { S: `upload#${key}` } } }),
      );
      const detail = JSON.parse(Item?.detail?.S ?? '{}');
      return detail.id !== first.id ? detail : undefined;
    });

    // Assess: S3's rule for sequencers — right-pad the shorter with zeros, then compare
    expect(first.id).not.toBe('17793124-05d4-b198-2fde-7ededc63b103');
    expect(second.id).not.toBe(first.id);
    expect(second.sequencer.padEnd(32, '0') > first.sequencer.padEnd(32, '0')).toBe(true);
  });

  it('retries a failing async invocation as configured, then sends it to the on-failure destination', async () => {
    await s3.send(new PutObjectCommand({ Bucket: ref('Uploads'), Key: 'uploads/poison.txt', Body: 'x' }));

    const failure = JSON.parse(await nextMessage(ref('FailedEvents')));

    expect(failure).toMatchObject({
      requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 2 },
      requestPayload: { 'detail-type': 'Object Created', detail: { object: { key: 'uploads/poison.txt' } } },
      responsePayload: { errorMessage: 'cannot process uploads/poison.txt' },
    });
  });
});
