import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  dynamoDbOperation,
  type LostAnswerProxy,
  snsOperation,
  startLostAnswerProxy,
} from '../src/lost-answer-proxy.ts';

let upstream: ReturnType<typeof createServer> | undefined;
let proxy: LostAnswerProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  upstream?.closeAllConnections();
  upstream?.close();
});

/** A stand-in service that records what reached it (so "applied") and answers 200 with the body. */
async function startUpstream(applied: string[]): Promise<string> {
  upstream = createServer(async (request: IncomingMessage, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    applied.push(`${request.headers['x-amz-target']} ${body}`);
    response.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  const address = upstream.address() as { port: number };
  return `http://127.0.0.1:${address.port}`;
}

const send = (endpoint: string, operation: string, body: string) =>
  fetch(endpoint, {
    method: 'POST',
    headers: { 'x-amz-target': `DynamoDB_20120810.${operation}` },
    body,
  });

describe('startLostAnswerProxy', () => {
  it('applies a picked request upstream, then drops its answer; passes everything else through', async () => {
    // Prepare
    const applied: string[] = [];
    const target = await startUpstream(applied);
    proxy = await startLostAnswerProxy({ target, loseAnswer: dynamoDbOperation('PutItem') });

    // Act
    const lost = send(proxy.endpoint, 'PutItem', 'first');
    await expect(lost).rejects.toThrow();
    const retried = await send(proxy.endpoint, 'PutItem', 'again');
    const other = await send(proxy.endpoint, 'GetItem', 'read');

    // Assess: the first put reached the service although its caller saw a dropped connection
    expect(applied).toEqual([
      'DynamoDB_20120810.PutItem first',
      'DynamoDB_20120810.PutItem again',
      'DynamoDB_20120810.GetItem read',
    ]);
    expect(proxy.lost.map((request) => request.body)).toEqual(['first']);
    expect([retried.status, await retried.text()]).toEqual([200, 'again']);
    expect([other.status, await other.text()]).toEqual([200, 'read']);
  });

  it('holds the requests `delay` picks for that long before they go on; the rest pass at once', async () => {
    // Prepare
    const applied: string[] = [];
    const target = await startUpstream(applied);
    proxy = await startLostAnswerProxy({
      target,
      delay: (request) => (snsOperation('Publish')(request) ? 300 : 0),
    });
    const post = (body: string) =>
      fetch(proxy?.endpoint ?? '', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });

    // Act: the slow publish first, the other call right behind it
    const publish = post('Action=Publish&TopicArn=arn');
    const list = post('Action=ListTopics');
    const [published, listed] = await Promise.all([publish, list]);

    // Assess: both answered, and the publish reached the service after the call sent behind it
    expect([published.status, listed.status]).toEqual([200, 200]);
    expect(applied).toEqual(['undefined Action=ListTopics', 'undefined Action=Publish&TopicArn=arn']);
    expect(proxy.lost).toEqual([]);
  });
});
