import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** What every GetItem answers: an item whose value must never reach a trace. */
export const secretItemValue = 'item-value-never-traced';

/** A local HTTP server standing in for DynamoDB, for the tracer's tests; no network beyond loopback. */
export interface DynamoDBStandIn {
  readonly endpoint: string;
  /** Requests answered since the last reset; the request id of the n-th is `REQ<n>`. */
  requests: number;
  /** When set, the first of each pair of requests is throttled (a retryable 400, request id `SLOW`). */
  throttleFirst: boolean;
  reset(): void;
  /** A client of its own: tracing a client instruments that instance. */
  newClient(options?: { region?: string; maxAttempts?: number }): DynamoDBClient;
  close(): Promise<void>;
}

/** Starts the stand-in on a fresh loopback port. */
export async function startDynamoDBStandIn(): Promise<DynamoDBStandIn> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      standIn.requests += 1;
      if (standIn.throttleFirst && standIn.requests % 2 === 1) {
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'SLOW' });
        response.end(
          JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
            message: 'slow down',
          }),
        );
        return;
      }
      response.writeHead(200, {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-requestid': `REQ${standIn.requests}`,
      });
      response.end(JSON.stringify({ Item: { id: { S: 'u1' }, secret: { S: secretItemValue } } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const standIn: DynamoDBStandIn = {
    endpoint,
    requests: 0,
    throttleFirst: false,
    reset() {
      standIn.requests = 0;
      standIn.throttleFirst = false;
    },
    newClient: ({ region = 'eu-west-1', maxAttempts = 2 } = {}) =>
      new DynamoDBClient({
        region,
        endpoint,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts,
      }),
    close: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
  return standIn;
}
