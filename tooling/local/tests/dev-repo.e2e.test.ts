import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { subscribedQueue } from '@repo/aws-local/sqs-queues';
import { eventually } from '@repo/testing/wait';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevProcess, startDev } from './dev-process.ts';

let dev: DevProcess;
let db: DynamoDBClient;

beforeAll(async () => {
  dev = await startDev();
  db = new DynamoDBClient({
    endpoint: dev.stack.endpoint,
    region: dev.stack.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterAll(async () => {
  db?.destroy();
  await dev?.stop();
});

const usersTable = () => dev.stack.resources.UsersTable?.ref as string;
const scanUsers = async () => (await db.send(new ScanCommand({ TableName: usersTable() }))).Items ?? [];

describe('pnpm dev with the repo template', () => {
  it('writes the stack file with the endpoint, the API URL and every resource', () => {
    expect(dev.stack.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(dev.stack.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    expect(dev.stack.resources.UsersTable).toMatchObject({
      type: 'AWS::DynamoDB::Table',
      ref: expect.any(String),
    });
    // Bundled into the stack's own folder beside its stack file, never into apps/*/dist.
    expect(dev.stack.functions.UsersApiFunction?.handlerFile).toBe(
      join(dirname(dev.stackFile), 'stack.build', 'apps', 'users-api', 'index.mjs'),
    );
  });

  it('answers 401 without a valid token, as API Gateway’s Cognito authorizer does, and never runs the function', async () => {
    const api = dev.stack.apiUrl as string;
    const invocations = () => (dev.output().match(/UsersApiFunction ←/g) ?? []).length;
    const before = invocations();

    const missing = await fetch(`${api}/users`);
    const malformed = await fetch(`${api}/users`, { headers: { authorization: 'not-a-jwt' } });

    for (const response of [missing, malformed]) {
      expect(response.status).toBe(401);
      // The template's DEFAULT_4XX gateway response shapes it.
      expect(await response.json()).toEqual({ error: 'UNAUTHORIZED', message: 'Unauthorized' });
    }
    expect(invocations()).toBe(before);
  });

  it('lets a signed-in user create, read, list and delete their own record over HTTP, with the data in moto', async () => {
    const api = dev.stack.apiUrl as string;
    const katherine = await dev.signIn('katherine@example.com');
    const created = await fetch(`${api}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...katherine },
      body: JSON.stringify({ name: 'Katherine Johnson', email: 'katherine@example.com' }),
    });
    expect(created.status).toBe(201);
    const user = (await created.json()) as { id: string };
    expect(created.headers.get('location')).toMatch(new RegExp(`/users/${user.id}$`));
    expect(await scanUsers()).toEqual([
      expect.objectContaining({ id: { S: user.id }, name: { S: 'Katherine Johnson' } }),
    ]);

    const read = await fetch(`${api}/users/${user.id}`, { headers: katherine });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id: user.id, email: 'katherine@example.com' });

    const listed = await fetch(`${api}/users?limit=10`, { headers: katherine });
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { items: { id: string }[] }).items.map((item) => item.id)).toEqual([
      user.id,
    ]);

    const deleted = await fetch(`${api}/users/${user.id}`, { method: 'DELETE', headers: katherine });
    expect(deleted.status).toBe(204);
    expect(await scanUsers()).toEqual([]);
    expect((await fetch(`${api}/users/${user.id}`, { headers: katherine })).status).toBe(404);
  });

  it('routes other methods and unknown paths to the function, as the template’s ANY events do', async () => {
    const api = dev.stack.apiUrl as string;
    const headers = await dev.signIn('router@example.com');

    const patch = await fetch(`${api}/users`, { method: 'PATCH', headers });
    const unknown = await fetch(`${api}/accounts`, { headers });

    expect(patch.status).toBe(405);
    expect(patch.headers.get('allow')).toBe('GET, POST');
    expect(unknown.status).toBe(404);
  });

  it('names at start-up what the template sets that it cannot reproduce (IAM, architecture, log settings)', async () => {
    await dev.waitForOutput(
      /not supported locally, ignored: Resources\.UsersApiFunction: Architectures, LoggingConfig, Policies \(no local effect\)/,
    );
  });

  it('logs one line per invocation', async () => {
    await dev.waitForOutput(/UsersApiFunction ← POST \/users {2}201 {2}[\d.]+ ms \(cold start [\d.]+ ms\)/);
  });

  it('prints the X-Ray trace of each invocation: the handler annotated with the user id, its DynamoDB calls', async () => {
    await dev.waitForOutput(
      /UsersApiFunction {2}trace 1-[0-9a-f]{8}-[0-9a-f]{24} {2}## index\.handler {2}[\d.]+ ms {2}ColdStart=true Service=users-api userId=[0-9a-f-]{36}/,
    );
    await dev.waitForOutput(/^ +DynamoDB PutItem {2}[\d.]+ ms 200$/m);
    await dev.waitForOutput(/^ +DynamoDB DeleteItem {2}[\d.]+ ms 200$/m);
  });

  it('resizes an upload: the four outputs appear under processed/ (S3 → EventBridge → image-resizer)', async () => {
    const s3 = new S3Client({
      endpoint: dev.stack.endpoint,
      region: dev.stack.region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const bucket = dev.stack.resources.UploadsBucket?.ref as string;
    const image = await sharp({ create: { width: 1600, height: 1000, channels: 3, background: 'teal' } })
      .jpeg()
      .toBuffer();

    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'uploads/e2e.jpg', Body: image }));

    const outputs = await eventually(
      async () => {
        const { Contents = [] } = await s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: 'processed/' }),
        );
        const keys = Contents.map((object) => object.Key as string).sort();
        return keys.length === 4 ? keys : undefined;
      },
      undefined,
      'four resized outputs',
    );
    expect(outputs).toEqual([
      'processed/large/e2e.jpg',
      'processed/medium/e2e.jpg',
      'processed/small/e2e.jpg',
      'processed/thumbnail/e2e.jpg',
    ]);
    // Printed when the invocation returns and its trace arrives: after the outputs are there.
    await dev.waitForOutput(/ImageResizerFunction ← async:ImageUploaded {2}ok/);
    // One unit of work per object, annotated with its key, holding the download and the four uploads.
    await dev.waitForOutput(/^ +### resize {2}[\d.]+ ms {2}bucket=\S+ objectKey=uploads\/e2e\.jpg$/m);
    await dev.waitForOutput(/^ +S3 PutObject ×4 {2}[\d.]+–[\d.]+ ms 200$/m);
    s3.destroy();
  });

  it('records an upload once and announces it once (S3 → EventBridge → upload-processor → DynamoDB + SNS)', async () => {
    const config = {
      endpoint: dev.stack.endpoint,
      region: dev.stack.region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    };
    const [s3, sns, sqs] = [new S3Client(config), new SNSClient(config), new SQSClient(config)];
    const QueueUrl = await subscribedQueue(
      { sns, sqs },
      dev.stack.resources.UploadsTopic?.ref,
      'e2e-upload-subscriber',
    );

    await s3.send(
      new PutObjectCommand({
        Bucket: dev.stack.resources.UploadsBucket?.ref,
        Key: 'uploads/notes.txt',
        Body: 'hello from the e2e test',
        ContentType: 'text/plain',
      }),
    );

    const table = dev.stack.resources.UploadsTable?.ref as string;
    const items = await eventually(
      async () => {
        const { Items = [] } = await db.send(new ScanCommand({ TableName: table }));
        // The image uploaded above is an upload too: look at this one's versions only.
        const versions = Items.filter(
          (item) => item.key?.S === 'uploads/notes.txt' && item.version?.S !== 'latest' && item.notifiedAt,
        );
        return versions.length > 0 ? versions : undefined;
      },
      undefined,
      'the recorded upload',
    );
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      objectId: { S: `s3://${dev.stack.resources.UploadsBucket?.ref}/uploads/notes.txt` },
      size: { N: '23' },
    });
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }),
    );
    // The image uploaded above may be announced after this subscriber joined (on a loaded machine its
    // upload-processor invocation runs late): count this upload's announcements only.
    const announcements = Messages.map((message) => JSON.parse(message.Body ?? '{}')).filter(
      (body) => body.upload?.key === 'uploads/notes.txt',
    );
    expect(announcements).toHaveLength(1);
    expect(announcements[0]).toMatchObject({
      upload: { key: 'uploads/notes.txt', textPreview: 'hello from the e2e test' },
    });
    for (const client of [s3, sns, sqs]) client.destroy();
  });

  it('takes an upload through a link from the uploads API to its record, its notification and four sizes', async () => {
    // Prepare: a signed-in user, a subscriber on the uploads topic
    const api = dev.stack.apiUrl as string;
    const config = {
      endpoint: dev.stack.endpoint,
      region: dev.stack.region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    };
    const [sns, sqs] = [new SNSClient(config), new SQSClient(config)];
    const QueueUrl = await subscribedQueue(
      { sns, sqs },
      dev.stack.resources.UploadsTopic?.ref,
      'e2e-link-upload-subscriber',
    );
    const headers = await dev.signIn('photographer@example.com');
    const image = await sharp({ create: { width: 1600, height: 1000, channels: 3, background: 'navy' } })
      .jpeg()
      .toBuffer();

    // Act: ask for a link, and upload through it as a browser would
    const created = await fetch(`${api}/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ contentType: 'image/jpeg', size: image.length }),
    });
    expect(created.status).toBe(201);
    const link = (await created.json()) as { uploadId: string; url: string; headers: Record<string, string> };
    // What the link does not allow is refused, as S3 refuses it (pnpm dev's S3 gate in front of moto)
    const otherType = await fetch(link.url, {
      method: 'PUT',
      headers: { ...link.headers, 'Content-Type': 'image/svg+xml' },
      body: image,
    });
    const longer = await fetch(link.url, {
      method: 'PUT',
      headers: { 'Content-Type': 'image/jpeg' },
      body: Buffer.concat([image, image]),
    });
    expect([otherType.status, longer.status]).toEqual([403, 403]);
    const put = await fetch(link.url, { method: 'PUT', headers: link.headers, body: image });
    expect(put.status).toBe(200);

    // Assess: four links once image-resizer has written the sizes, the record announced once
    const outputs = await eventually(
      async () => {
        const response = await fetch(`${api}/uploads/${link.uploadId}`, { headers });
        const body = (await response.json()) as { outputs: Record<string, { url: string } | null> };
        return Object.values(body.outputs).every(Boolean) ? body.outputs : undefined;
      },
      undefined,
      'four sizes of the linked upload',
    );
    const small = await fetch(outputs.small?.url ?? '');
    expect((await sharp(Buffer.from(await small.arrayBuffer())).metadata()).width).toBe(300);
    const messages = await eventually(
      async () => {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        return Messages.length > 0 ? Messages : undefined;
      },
      undefined,
      'the upload announced',
    );
    expect(messages.map((message) => JSON.parse(message.Body ?? '{}').upload.key)).toEqual([
      `uploads/${JSON.parse(Buffer.from(headers.authorization.split('.')[1] ?? '', 'base64url').toString()).sub}/${link.uploadId}`,
    ]);
    for (const client of [sns, sqs]) client.destroy();
  });

  it('resizes an object named by a job on the ResizeJobsQueue (SQS → batch-worker → S3)', async () => {
    const config = {
      endpoint: dev.stack.endpoint,
      region: dev.stack.region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    };
    const [s3, sqs] = [new S3Client(config), new SQSClient(config)];
    const bucket = dev.stack.resources.UploadsBucket?.ref as string;
    const outputsOf = async (name: string) => {
      const { Contents = [] } = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: 'processed/' }),
      );
      return Contents.map((object) => object.Key as string)
        .filter((key) => key.endsWith(`/${name}`))
        .sort();
    };
    const expected = ['large', 'medium', 'small', 'thumbnail'].map((size) => `processed/${size}/batch.jpg`);
    const image = await sharp({ create: { width: 1400, height: 900, channels: 3, background: 'olive' } })
      .jpeg()
      .toBuffer();
    // The upload itself goes to image-resizer (EventBridge): let it finish, then remove its outputs so
    // that only the batch-worker can bring them back.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'uploads/batch.jpg', Body: image }));
    await eventually(
      async () => ((await outputsOf('batch.jpg')).length === 4 ? true : undefined),
      undefined,
      "image-resizer's outputs",
    );
    await s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: expected.map((Key) => ({ Key })) } }),
    );
    expect(await outputsOf('batch.jpg')).toEqual([]);
    expect(dev.output()).not.toMatch(/BatchWorkerFunction ←/);

    await sqs.send(
      new SendMessageCommand({
        QueueUrl: dev.stack.resources.ResizeJobsQueue?.ref,
        MessageBody: JSON.stringify({ key: 'uploads/batch.jpg' }),
      }),
    );

    const outputs = await eventually(
      async () => {
        const keys = await outputsOf('batch.jpg');
        return keys.length === 4 ? keys : undefined;
      },
      undefined,
      "the batch-worker's outputs",
    );
    expect(outputs).toEqual(expected);
    await dev.waitForOutput(/BatchWorkerFunction ← sqs:\S+ {2}ok/);
    for (const client of [s3, sqs]) client.destroy();
  });

  it('stops on SIGTERM cleanly: pollers before moto, no error lines, nothing left behind', async () => {
    const endpoint = dev.stack.endpoint;
    const warnedBefore = dev.errors().length;

    const code = await dev.stop();

    expect(code).toBe(0);
    expect(dev.output()).toMatch(/^SIGTERM: stopping$/m);
    // What each function's environments did: invocations, cold starts, peak environments, peak running, throttles.
    expect(dev.output()).toMatch(/^execution environments$/m);
    expect(dev.output()).toMatch(/^UsersApiFunction +[1-9]\d* +[1-9]\d* +[1-9]\d* +[1-9]\d* +0$/m);
    // Its SQS pollers and async invokers stop before moto does, so none of them meets a dead endpoint:
    // nothing at all on stderr (`ECONNREFUSED … retrying`, `while stopping: …`). Function output still
    // under way on stdout (the last invocation's logs and metrics) is no error and may come first.
    expect(dev.errors().slice(warnedBefore)).toBe('');
    expect(existsSync(dev.stackFile)).toBe(false);
    expect(existsSync(join(dirname(dev.stackFile), 'stack.build'))).toBe(false);
    await expect(fetch(endpoint, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  });
});
