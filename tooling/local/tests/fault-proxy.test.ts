import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { type MotoServer, startMoto } from '@repo/aws-local/moto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { awsFaults } from '../src/aws-faults.ts';
import type { AwsFault, AwsFaultRule } from '../src/fault-profile.ts';
import { type AwsCall, awsCall, type FaultProxy, startFaultProxy } from '../src/fault-proxy.ts';
import { startS3Gate } from '../src/s3-gate.ts';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const region = 'us-east-1';
const table = 'faulty-table';
let moto: MotoServer;
let proxy: FaultProxy;
/** The rules the proxy in front of moto applies in the current test; reported lines collect in `lines`. */
let rules: AwsFaultRule[] = [];
let faults = awsFaults(rules, 1, () => {});
let lines: string[] = [];
const clients: { destroy(): void }[] = [];
const client = <Client extends { destroy(): void }>(made: Client) => {
  clients.push(made);
  return made;
};

const useRules = (next: AwsFaultRule[]) => {
  rules = next;
  lines = [];
  faults = awsFaults(rules, 1, (line) => lines.push(line));
};

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy({ target: moto.endpoint, decide: (call) => faults.decide(call) });
  const db = client(new DynamoDBClient({ endpoint: moto.endpoint, region, credentials }));
  await db.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  const s3 = client(new S3Client({ endpoint: moto.endpoint, region, credentials, forcePathStyle: true }));
  await s3.send(new CreateBucketCommand({ Bucket: 'faulty-bucket' }));
});

afterEach(() => useRules([]));

afterAll(async () => {
  for (const made of clients) made.destroy();
  await proxy?.close();
  await moto?.stop();
});

const throughBase = { endpoint: '', region, credentials };
const dynamoDb = ({ maxAttempts }: { maxAttempts?: number } = {}) =>
  client(new DynamoDBClient({ ...throughBase, endpoint: proxy.endpoint, maxAttempts }));
const direct = () => client(new DynamoDBClient({ endpoint: moto.endpoint, region, credentials }));
const put = (pk: string) => new PutItemCommand({ TableName: table, Item: { pk: { S: pk } } });
const stored = async (pk: string) =>
  (await direct().send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk } } }))).Item;

const throttle: AwsFault = {
  kind: 'error',
  status: 400,
  code: 'ProvisionedThroughputExceededException',
  message: 'The level of configured provisioned throughput for the table was exceeded.',
  when: 'before',
};

describe('the fault proxy, with the SDK’s own clients against moto', () => {
  it('throttles DynamoDB as DynamoDB does: the SDK names the error and retries it', async () => {
    useRules([{ service: 'dynamodb', operation: 'PutItem', count: 5, fault: throttle }]);

    const error = await dynamoDb({ maxAttempts: 2 })
      .send(put('refused'))
      .catch((caught: unknown) => caught);

    expect(error).toMatchObject({
      name: 'ProvisionedThroughputExceededException',
      message: throttle.message,
      $metadata: { httpStatusCode: 400, attempts: 2 },
    });
    expect(await stored('refused')).toBeUndefined();
    expect(lines[0]).toBe(
      `fault  dynamodb PutItem ${table} → ProvisionedThroughputExceededException 400 (before)`,
    );
  });

  it('lets the SDK’s retries through once the count is spent', async () => {
    useRules([{ service: 'dynamodb', operation: 'PutItem', count: 2, fault: throttle }]);

    const answer = await dynamoDb().send(put('retried'));

    expect(answer.$metadata.attempts).toBe(3);
    expect(await stored('retried')).toEqual({ pk: { S: 'retried' } });
    expect(faults.counts()).toEqual([
      'aws[0] dynamodb PutItem ProvisionedThroughputExceededException 400 (before): 2×',
    ]);
  });

  it('answers the error after the call was applied with when: after', async () => {
    useRules([
      {
        service: 'dynamodb',
        count: 1,
        fault: { kind: 'error', status: 500, code: 'InternalServerError', when: 'after' },
      },
    ]);

    const error = await dynamoDb({ maxAttempts: 1 })
      .send(put('applied'))
      .catch((caught: unknown) => caught);

    expect(error).toMatchObject({ name: 'InternalServerError', $metadata: { httpStatusCode: 500 } });
    expect(await stored('applied')).toEqual({ pk: { S: 'applied' } });
  });

  it('loses the answer of an applied call: the connection drops, the write is there', async () => {
    useRules([{ service: 'dynamodb', operation: 'PutItem', count: 1, fault: { kind: 'lost-answer' } }]);

    const error = await dynamoDb({ maxAttempts: 1 })
      .send(put('lost'))
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).not.toMatch(/Exception$/);
    expect(await stored('lost')).toEqual({ pk: { S: 'lost' } });
  });

  it('answers S3 SlowDown (503) in S3’s XML, which the SDK retries', async () => {
    const slowDown: AwsFault = {
      kind: 'error',
      status: 503,
      code: 'SlowDown',
      message: 'Please reduce your request rate.',
      when: 'before',
    };
    useRules([{ service: 's3', operation: 'PutObject', resource: 'uploads/', count: 1, fault: slowDown }]);
    const s3 = (maxAttempts: number) =>
      client(new S3Client({ ...throughBase, endpoint: proxy.endpoint, forcePathStyle: true, maxAttempts }));
    const upload = new PutObjectCommand({ Bucket: 'faulty-bucket', Key: 'uploads/a.jpg', Body: 'jpeg' });

    const error = await s3(1)
      .send(upload)
      .catch((caught: unknown) => caught);
    useRules([{ service: 's3', operation: 'PutObject', resource: 'uploads/', count: 1, fault: slowDown }]);
    const retried = await s3(3).send(upload);

    expect(error).toMatchObject({
      name: 'SlowDown',
      message: slowDown.message,
      $metadata: { httpStatusCode: 503 },
    });
    expect(retried.$metadata.attempts).toBe(2);
    expect(lines).toEqual(['fault  s3 PutObject faulty-bucket/uploads/a.jpg → SlowDown 503 (before)']);
    const object = await s3(1).send(new GetObjectCommand({ Bucket: 'faulty-bucket', Key: 'uploads/a.jpg' }));
    expect(await object.Body?.transformToString()).toBe('jpeg');
  });

  it('throttles SNS Publish in the query protocol’s XML, which the SDK retries', async () => {
    const sns = client(new SNSClient({ ...throughBase, endpoint: proxy.endpoint, maxAttempts: 1 }));
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'faulty-topic' }));
    useRules([
      {
        service: 'sns',
        operation: 'Publish',
        resource: 'faulty-topic',
        count: 1,
        fault: { kind: 'error', status: 400, code: 'Throttling', message: 'Rate exceeded', when: 'before' },
      },
    ]);

    const error = await sns
      .send(new PublishCommand({ TopicArn, Message: 'hi' }))
      .catch((caught: unknown) => caught);
    const retrying = client(new SNSClient({ ...throughBase, endpoint: proxy.endpoint, maxAttempts: 3 }));
    useRules(rules);
    const retried = await retrying.send(new PublishCommand({ TopicArn, Message: 'hi' }));

    expect(error).toMatchObject({
      name: 'Throttling',
      message: 'Rate exceeded',
      $metadata: { httpStatusCode: 400 },
    });
    expect(retried.$metadata.attempts).toBe(2);
  });

  it('answers SQS (JSON protocol) errors with SQS’s type', async () => {
    const sqs = client(new SQSClient({ ...throughBase, endpoint: proxy.endpoint, maxAttempts: 1 }));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'faulty-queue' }));
    useRules([
      {
        service: 'sqs',
        operation: 'SendMessage',
        resource: 'faulty-queue',
        count: 1,
        fault: { kind: 'error', status: 500, code: 'InternalFailure', when: 'before' },
      },
    ]);

    const error = await sqs
      .send(new SendMessageCommand({ QueueUrl, MessageBody: 'hi' }))
      .catch((caught: unknown) => caught);

    expect(error).toMatchObject({ name: 'InternalFailure', $metadata: { httpStatusCode: 500 } });
  });

  it('keeps the S3 gate’s presigned checks working behind it (Host forwarded as signed)', async () => {
    const gate = await startS3Gate({ target: moto.endpoint, region, credentials });
    const inFront = await startFaultProxy({ target: gate.endpoint, decide: () => undefined });
    const s3 = client(new S3Client({ ...throughBase, endpoint: inFront.endpoint, forcePathStyle: true }));
    const link = (key: string) =>
      getSignedUrl(
        s3,
        new PutObjectCommand({ Bucket: 'faulty-bucket', Key: key, ContentType: 'image/jpeg' }),
        {
          expiresIn: 60,
          signableHeaders: new Set(['content-type']),
        },
      );

    const signedAsUsed = await fetch(await link('uploads/ok.jpg'), {
      method: 'PUT',
      headers: { 'Content-Type': 'image/jpeg' },
      body: 'jpeg',
    });
    const otherType = await fetch(await link('uploads/no.jpg'), {
      method: 'PUT',
      headers: { 'Content-Type': 'text/html' },
      body: 'html',
    });
    await inFront.close();
    await gate.close();

    expect([signedAsUsed.status, otherType.status]).toEqual([200, 403]);
  });

  it('tells which invocation’s trace and which SDK attempt each call is, faulted or not', async () => {
    // Prepare: inside Lambda the SDK sends _X_AMZN_TRACE_ID as X-Amzn-Trace-Id on every call.
    const root = '1-6b0912b3-28e02368ba7444aef6f6c61a';
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'Writer');
    vi.stubEnv('_X_AMZN_TRACE_ID', `Root=${root};Parent=53995c3f42cd8ad8;Sampled=1`);
    const observed: AwsCall[] = [];
    const injected: AwsCall[] = [];
    const watching = await startFaultProxy({
      target: moto.endpoint,
      decide: (call) => faults.decide(call),
      injected: (call) => injected.push(call),
      observed: (call) => observed.push(call),
    });
    useRules([{ service: 'dynamodb', operation: 'PutItem', count: 2, fault: throttle }]);
    const db = client(new DynamoDBClient({ ...throughBase, endpoint: watching.endpoint }));

    // Act
    const answer = await db.send(put('traced')).finally(() => vi.unstubAllEnvs());
    await watching.close();

    // Assess
    expect(answer.$metadata.attempts).toBe(3);
    const putItem = { service: 'dynamodb', operation: 'PutItem', resource: table, traceId: root };
    expect(observed).toEqual([1, 2, 3].map((attempt) => ({ ...putItem, attempt })));
    expect(injected).toEqual([1, 2].map((attempt) => ({ ...putItem, attempt })));
  });

  it('adds latency before forwarding', async () => {
    useRules([{ service: 'dynamodb', operation: 'GetItem', count: 1, fault: { kind: 'latency', ms: 400 } }]);

    const started = performance.now();
    await dynamoDb().send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'none' } } }));

    expect(performance.now() - started).toBeGreaterThanOrEqual(400);
  });
});

/** A tiny upstream that records what reaches it and answers 200 `ok`. */
async function startUpstream(): Promise<{
  server: Server;
  endpoint: string;
  seen: { headers: IncomingHttpHeaders; rawHeaders: string[]; body: string }[];
}> {
  const seen: { headers: IncomingHttpHeaders; rawHeaders: string[]; body: string }[] = [];
  const server = createServer(async (incoming, outgoing) => {
    let body = '';
    for await (const chunk of incoming) body += chunk;
    seen.push({ headers: incoming.headers, rawHeaders: incoming.rawHeaders, body });
    outgoing.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const signed = (service: string) =>
  `AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=00`;

/** One raw request through `endpoint`: the status and body, or the error the connection ended with. */
function send(
  endpoint: string,
  {
    method = 'POST',
    path = '/',
    headers = {},
    body = '',
    timeoutMs,
  }: { method?: string; path?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number },
): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const url = new URL(endpoint);
    const outgoing = request(
      { host: url.hostname, port: url.port, method, path, headers, agent: false },
      async (answer) => {
        let text = '';
        for await (const chunk of answer) text += chunk;
        resolve({ status: answer.statusCode ?? 0, body: text });
      },
    );
    if (timeoutMs) outgoing.setTimeout(timeoutMs, () => outgoing.destroy(new Error('client timeout')));
    outgoing.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    outgoing.end(body);
  });
}

describe('the fault proxy on the wire', () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let wire: FaultProxy;
  let next: AwsFault | undefined;
  beforeAll(async () => {
    upstream = await startUpstream();
    wire = await startFaultProxy({ target: upstream.endpoint, decide: () => next });
  });
  afterEach(() => {
    next = undefined;
    upstream.seen.length = 0;
  });
  afterAll(async () => {
    await wire?.close();
    upstream?.server.close();
  });

  it('forwards a request byte for byte, Host and header case included, and relays the answer', async () => {
    const answer = await send(wire.endpoint, {
      method: 'PUT',
      path: '/bucket/a%20b.jpg?x=1',
      headers: { Host: 'gate.example:9', 'X-Amz-Meta-Owner': 'Ann', Authorization: signed('s3') },
      body: 'image bytes',
    });

    expect(answer).toEqual({ status: 200, body: 'ok' });
    expect(upstream.seen[0]?.headers.host).toBe('gate.example:9');
    expect(upstream.seen[0]?.rawHeaders).toContain('X-Amz-Meta-Owner');
    expect(upstream.seen[0]?.body).toBe('image bytes');
  });

  it('resets the connection without forwarding', async () => {
    next = { kind: 'reset' };

    const answer = await send(wire.endpoint, { headers: { Authorization: signed('dynamodb') } });

    expect(answer).toEqual({ error: 'ECONNRESET' });
    expect(upstream.seen).toEqual([]);
  });

  it('never answers a hanging request, until the client gives up', async () => {
    next = { kind: 'hang' };

    const answer = await send(wire.endpoint, { headers: { Authorization: signed('sqs') }, timeoutMs: 300 });

    expect(answer).toEqual({ error: 'client timeout' });
    expect(upstream.seen).toEqual([]);
  });

  it('applies the call upstream and drops the connection for a lost answer', async () => {
    next = { kind: 'lost-answer' };

    const answer = await send(wire.endpoint, {
      headers: { Authorization: signed('sns') },
      body: 'Action=Publish',
    });

    expect(answer).toMatchObject({ error: expect.stringMatching(/ECONNRESET|socket hang up/) });
    expect(upstream.seen.map((request) => request.body)).toEqual(['Action=Publish']);
  });

  it('answers an error before without forwarding, and after with forwarding', async () => {
    const error = (when: 'before' | 'after'): AwsFault => ({
      kind: 'error',
      status: 503,
      code: 'SlowDown',
      when,
    });
    next = error('before');
    const before = await send(wire.endpoint, {
      method: 'GET',
      path: '/b/k',
      headers: { Authorization: signed('s3') },
    });
    const reachedBefore = upstream.seen.length;
    next = error('after');
    const after = await send(wire.endpoint, {
      method: 'GET',
      path: '/b/k',
      headers: { Authorization: signed('s3') },
    });

    expect(before).toMatchObject({ status: 503, body: expect.stringContaining('<Code>SlowDown</Code>') });
    expect(after).toMatchObject({ status: 503, body: expect.stringContaining('<Code>SlowDown</Code>') });
    expect([reachedBefore, upstream.seen.length]).toEqual([0, 1]);
  });
});

describe('awsCall', () => {
  const s3 = (method: string, url: string, headers: Record<string, string> = {}) =>
    awsCall({ method, url, headers: { authorization: signed('s3'), ...headers } });

  it('tells S3’s operations apart by method, path and query', () => {
    expect([
      s3('GET', '/b/uploads/a.jpg'),
      s3('PUT', '/b/uploads/a.jpg'),
      s3('HEAD', '/b/k'),
      s3('DELETE', '/b/k'),
      s3('GET', '/b?list-type=2&prefix=x'),
      s3('PUT', '/b/copy', { 'x-amz-copy-source': '/b/k' }),
    ]).toEqual<AwsCall[]>([
      { service: 's3', operation: 'GetObject', resource: 'b/uploads/a.jpg' },
      { service: 's3', operation: 'PutObject', resource: 'b/uploads/a.jpg' },
      { service: 's3', operation: 'HeadObject', resource: 'b/k' },
      { service: 's3', operation: 'DeleteObject', resource: 'b/k' },
      { service: 's3', operation: 'ListObjectsV2', resource: 'b' },
      { service: 's3', operation: 'CopyObject', resource: 'b/copy' },
    ]);
  });

  it('reads a presigned URL’s service from X-Amz-Credential', () => {
    expect(
      awsCall({
        method: 'PUT',
        url: '/b/k?X-Amz-Credential=test%2F20260101%2Fus-east-1%2Fs3%2Faws4_request',
        headers: {},
      }),
    ).toEqual({ service: 's3', operation: 'PutObject', resource: 'b/k' });
  });

  it('reads the trace root and the SDK attempt off the headers, and ignores a malformed trace header', () => {
    const call = (headers: Record<string, string>) =>
      awsCall({ method: 'GET', url: '/b/k', headers: { authorization: signed('s3'), ...headers } });

    const traced = call({
      'x-amzn-trace-id': 'Root=1-6B0912B3-28E02368BA7444AEF6F6C61A;Parent=53995c3f42cd8ad8;Sampled=0',
      'amz-sdk-request': 'attempt=2; max=3',
    });
    const malformed = call({ 'x-amzn-trace-id': 'Root=not-a-trace', 'amz-sdk-request': 'max=3' });

    expect(traced).toEqual({
      service: 's3',
      operation: 'GetObject',
      resource: 'b/k',
      traceId: '1-6b0912b3-28e02368ba7444aef6f6c61a',
      attempt: 2,
    });
    expect(malformed).toEqual({ service: 's3', operation: 'GetObject', resource: 'b/k' });
  });

  it('reads JSON protocols’ target and resource, and query protocols’ Action', () => {
    const json = awsCall(
      {
        method: 'POST',
        url: '/',
        headers: { authorization: signed('sqs'), 'x-amz-target': 'AmazonSQS.SendMessage' },
      },
      Buffer.from('{"QueueUrl":"http://q/000/jobs","MessageBody":"x"}'),
    );
    const query = awsCall(
      { method: 'POST', url: '/', headers: { authorization: signed('sns') } },
      Buffer.from('Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000%3Atopic&Message=x'),
    );

    expect([json, query]).toEqual([
      { service: 'sqs', operation: 'SendMessage', resource: 'http://q/000/jobs' },
      { service: 'sns', operation: 'Publish', resource: 'arn:aws:sns:us-east-1:000:topic' },
    ]);
  });
});

describe('awsFaults', () => {
  it('matches service and operation exactly and resource as a substring, counting per rule', () => {
    const reported: string[] = [];
    const decided = awsFaults(
      [
        { service: 's3', operation: 'PutObject', resource: 'uploads/', count: 1, fault: { kind: 'reset' } },
        { service: 'dynamodb', count: 2, fault: { kind: 'hang' } },
      ],
      7,
      (line) => reported.push(line),
    );
    const call = (service: string, operation: string, resource: string) =>
      decided.decide({ service, operation, resource })?.kind;

    expect([
      call('s3', 'PutObject', 'b/other/a.jpg'),
      call('s3', 'GetObject', 'b/uploads/a.jpg'),
      call('s3', 'PutObject', 'b/uploads/a.jpg'),
      call('s3', 'PutObject', 'b/uploads/a.jpg'),
      call('dynamodb', 'GetItem', 't'),
      call('dynamodb', 'PutItem', 't'),
      call('dynamodb', 'PutItem', 't'),
    ]).toEqual([undefined, undefined, 'reset', undefined, 'hang', 'hang', undefined]);
    expect(reported[0]).toBe('fault  s3 PutObject b/uploads/a.jpg → reset');
    expect(decided.counts()).toEqual(['aws[0] s3 PutObject uploads/ reset: 1×', 'aws[1] dynamodb hang: 2×']);
  });
});
