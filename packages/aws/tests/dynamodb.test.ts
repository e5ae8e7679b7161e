import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../src/dynamodb.ts';

// A stand-in for DynamoDB on loopback that answers each request with the next scripted status.
let server: Server;
let endpoint: string;
let requests: { target: string | undefined }[];
let script: number[];

beforeEach(async () => {
  requests = [];
  script = [];
  server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    request.on('end', () => {
      requests.push({ target: request.headers['x-amz-target'] as string | undefined });
      const status = script.shift() ?? 200;
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(
        status === 200
          ? JSON.stringify({ Item: { id: { S: 'u-1' } } })
          : JSON.stringify({
              __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
              message: 'boom',
            }),
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
});

afterEach(async () => {
  delete process.env.AWS_ENDPOINT_URL;
  server.close();
  await once(server, 'close');
});

describe('createDocumentClient', () => {
  it('finds the endpoint through the SDK’s standard AWS_ENDPOINT_URL, as LocalStack and moto need', async () => {
    process.env.AWS_ENDPOINT_URL = endpoint;
    const db = createDocumentClient({ maxAttempts: 3 });

    const output = await db.send(new GetCommand({ TableName: 'users', Key: { id: 'u-1' } }));

    expect(output.Item).toEqual({ id: 'u-1' });
    expect(requests).toEqual([{ target: 'DynamoDB_20120810.GetItem' }]);
  });

  it('retries a 5xx within maxAttempts and succeeds', async () => {
    script = [500, 500];
    const db = createDocumentClient({ maxAttempts: 3, endpoint });

    const output = await db.send(new GetCommand({ TableName: 'users', Key: { id: 'u-1' } }));

    expect(output.Item).toEqual({ id: 'u-1' });
    expect(requests).toHaveLength(3);
  });

  it('gives up after maxAttempts attempts and surfaces the fault', async () => {
    script = [500, 500, 500];
    const db = createDocumentClient({ maxAttempts: 2, endpoint });

    await expect(db.send(new GetCommand({ TableName: 'users', Key: { id: 'u-1' } }))).rejects.toMatchObject({
      name: 'InternalServerError',
      $metadata: { httpStatusCode: 500, attempts: 2 },
    });
    expect(requests).toHaveLength(2);
  });
});
