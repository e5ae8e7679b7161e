import { setTimeout as delay } from 'node:timers/promises';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { subscribedQueue } from '@repo/aws-local/sqs-queues';
import { photo } from '@repo/testing/photos';
import { eventually } from '@repo/testing/wait';
import { afterEach, describe, expect, it } from 'vitest';
import { type DevProcess, startDev } from './dev-process.ts';
import { payloadOf } from './forged-token.ts';

// The repo's stack under each shipped fault profile, with a fixed seed so that a run replays: the
// promises the functions make (acknowledged writes readable, an upload recorded once, announced with one
// deduplication key, resized) hold despite the faults. One pnpm dev per profile, one after another.
// Each rule draws from its own stream of the seed, so a rule's n-th matching call is decided the same way
// in every run however the environments interleave: with seed 7, throttling's PutItem rule fires on the
// first PutItem (the users API's create, upload-processor's first record) and dying-environments' first
// two inits fail and its timeouts fall on the upload functions' invocations.
const seed = '7';

let dev: DevProcess | undefined;
let clients: { db: DynamoDBClient; s3: S3Client; sns: SNSClient; sqs: SQSClient } | undefined;

afterEach(async () => {
  for (const client of Object.values(clients ?? {})) client.destroy();
  clients = undefined;
  await dev?.stop();
  dev = undefined;
});

async function startProfile(profile: string) {
  dev = await startDev(['--faults', profile, '--faults-seed', seed]);
  const config = {
    endpoint: dev.stack.endpoint,
    region: dev.stack.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  clients = {
    db: new DynamoDBClient(config),
    s3: new S3Client({ ...config, forcePathStyle: true }),
    sns: new SNSClient(config),
    sqs: new SQSClient(config),
  };
  return { dev, clients };
}

/**
 * A client as the API's callers are told to be: a 5xx (a throttle the function answered with 503 +
 * Retry-After, a failed environment API Gateway answered with 502) is retried after Retry-After, a few
 * times. The wait is the client's contract with the API, not a test waiting for its assertion.
 */
async function call(url: string, init: RequestInit = {}, attempts = 5): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(url, init);
    if (response.status < 500 || attempt === attempts) return response;
    await response.arrayBuffer();
    await delay(Number(response.headers.get('retry-after') ?? '0.2') * 1_000);
  }
}

/**
 * Uploads `count` photos through links from the uploads API — every link first, then every upload — and
 * resolves with what each was stored as.
 */
async function uploadThroughLinks(running: DevProcess, email: string, count: number) {
  const api = running.stack.apiUrl as string;
  const headers = await running.signIn(email);
  const image = await photo(400, 300);
  const links: { uploadId: string; url: string; headers: Record<string, string> }[] = [];
  for (let index = 0; index < count; index++) {
    const created = await call(`${api}/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ contentType: 'image/jpeg', size: image.length }),
    });
    expect(created.status).toBe(201);
    links.push((await created.json()) as (typeof links)[number]);
  }
  const puts = await Promise.all(
    links.map((link) => call(link.url, { method: 'PUT', headers: link.headers, body: image })),
  );
  expect(puts.map((put) => put.status)).toEqual(links.map(() => 200));
  const owner = payloadOf(headers.authorization).sub as string;
  return links.map(({ uploadId }) => ({ uploadId, key: `uploads/${owner}/${uploadId}` }));
}

/**
 * Each upload recorded once (one version record, announced), resized to four sizes, and announced on
 * `queueUrl` at least once — SNS delivers at least once, so any further announcement of an upload carries
 * the same deduplication key.
 */
async function assessUploads(
  running: DevProcess,
  { db, s3, sqs }: NonNullable<typeof clients>,
  queueUrl: string,
  uploads: { uploadId: string; key: string }[],
) {
  const ref = (logicalId: string) => running.stack.resources[logicalId]?.ref as string;
  const versionsOf = await eventually(
    async () => {
      const { Items = [] } = await db.send(new ScanCommand({ TableName: ref('UploadsTable') }));
      const versions = uploads.map(({ key }) =>
        Items.filter((item) => item.key?.S === key && item.version?.S !== 'latest'),
      );
      return versions.every((found) => found.some((item) => item.notifiedAt)) ? versions : undefined;
    },
    60_000,
    () => `${uploads.length} uploads recorded and announced:\n${running.output()}`,
  );
  expect(versionsOf.map((versions) => versions.length)).toEqual(uploads.map(() => 1));

  const sizesOf = await eventually(
    async () => {
      const { Contents = [] } = await s3.send(
        new ListObjectsV2Command({ Bucket: ref('UploadsBucket'), Prefix: 'processed/' }),
      );
      const names = Contents.map((object) => object.Key as string);
      const sizes = uploads.map(({ uploadId }) =>
        names
          .filter((name) => name.endsWith(`/${uploadId}`))
          .map((name) => name.split('/')[1])
          .sort(),
      );
      return sizes.every((found) => found.length === 4) ? sizes : undefined;
    },
    60_000,
    () => `four sizes of each of ${uploads.length} uploads:\n${running.output()}`,
  );
  expect(sizesOf).toEqual(uploads.map(() => ['large', 'medium', 'small', 'thumbnail']));

  const announcements: { deduplicationKey: string; upload: { key: string } }[] = [];
  const announced = () => new Set(announcements.map((announcement) => announcement.upload.key));
  await eventually(
    async () => {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      announcements.push(...Messages.map((message) => JSON.parse(message.Body ?? '{}')));
      return announced().size === uploads.length && Messages.length === 0 ? true : undefined;
    },
    30_000,
    () => `every upload announced (${announced().size} of ${uploads.length})`,
  );
  expect([...announced()].sort()).toEqual(uploads.map(({ key }) => key).sort());
  for (const { key } of uploads) {
    const keys = announcements.filter((announcement) => announcement.upload.key === key);
    expect(new Set(keys.map((announcement) => announcement.deduplicationKey)).size).toBe(1);
  }
}

const faultLines = (output: string) => output.split('\n').filter((line) => /(^|\s)fault {2}/.test(line));

describe('pnpm dev under the shipped fault profiles (fixed seed)', () => {
  it('throttling: the users API’s create, get, replace and delete are answered, the acknowledged writes readable', async () => {
    // Prepare
    const { dev: running } = await startProfile('throttling');
    expect(running.output()).toContain(`(seed ${seed})`);
    const api = running.stack.apiUrl as string;
    const grace = await running.signIn('grace@example.com');

    // Act: create → get → replace → delete, each retried as a client does on a 503
    const created = await call(`${api}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...grace },
      body: JSON.stringify({ name: 'Grace Hopper', email: 'grace@example.com' }),
    });
    const id = payloadOf(grace.authorization).sub as string;
    const read = await call(`${api}/users/${id}`, { headers: grace });
    const replaced = await call(`${api}/users/${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...grace },
      body: JSON.stringify({ name: 'Rear Admiral Hopper', email: 'grace@example.com' }),
    });
    const readAfterReplace = await call(`${api}/users/${id}`, { headers: grace });
    const deleted = await call(`${api}/users/${id}`, { method: 'DELETE', headers: grace });
    const readAfterDelete = await call(`${api}/users/${id}`, { headers: grace });

    // Assess
    expect(created.status).toBe(201);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id, name: 'Grace Hopper' });
    expect(replaced.status).toBe(200);
    expect(await readAfterReplace.json()).toMatchObject({ id, name: 'Rear Admiral Hopper' });
    expect(deleted.status).toBe(204);
    expect(readAfterDelete.status).toBe(404);
    // …and the throttles did meet the users API's writes (each answered 201/200 through the SDK's retries
    // or the client's).
    const faults = faultLines(running.output()).join('\n');
    expect(faults).toContain(
      `dynamodb PutItem ${running.stack.resources.UsersTable?.ref} → ProvisionedThroughputExceededException`,
    );
  });

  it('throttling: each upload is recorded once, announced and resized though S3, DynamoDB and SNS throttle', async () => {
    // Prepare
    const { dev: running, clients: aws } = await startProfile('throttling');
    const queueUrl = await subscribedQueue(aws, running.stack.resources.UploadsTopic?.ref, 'throttled');

    // Act
    const uploads = await uploadThroughLinks(running, 'grace@example.com', 4);

    // Assess: the promises held (this found upload-processor giving up its mark after a published
    // announcement, so that the retry waited for the claim to lapse and published again)…
    await assessUploads(running, aws, queueUrl, uploads);
    // …and the throttles did meet the upload's calls
    const faults = faultLines(running.output()).join('\n');
    expect(faults).toMatch(
      /dynamodb (PutItem|UpdateItem) \S*UploadsTable\S* → (ProvisionedThroughputExceededException|ThrottlingException)/,
    );
    expect(faults).toMatch(/(s3 (GetObject|PutObject) \S+ → SlowDown 503|sns Publish \S+ → Throttling 400)/);
  });

  it('dying-environments: each upload is recorded once, announced and resized though environments die', async () => {
    // Prepare
    const { dev: running, clients: aws } = await startProfile('dying-environments');
    const queueUrl = await subscribedQueue(aws, running.stack.resources.UploadsTopic?.ref, 'dying');

    // Act
    const uploads = await uploadThroughLinks(running, 'dies@example.com', 10);

    // Assess
    await assessUploads(running, aws, queueUrl, uploads);
    // …though environments failed to init, and died or timed out while processing the uploads
    const faults = faultLines(running.output()).join('\n');
    expect(faults).toContain('environment’s init fails (Runtime.InitError)');
    expect(faults).toMatch(
      /(UploadProcessorFunction|ImageResizerFunction) (environment dies mid-invocation|invocation runs into its timeout)/,
    );
  });
});
