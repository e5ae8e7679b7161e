import { once } from 'node:events';
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** One request as the proxy saw it: enough to pick the calls whose answer to lose. */
export interface ProxiedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface LostAnswerProxy {
  /** Hand this to the SDK as its endpoint (AWS_ENDPOINT_URL) instead of the real one. */
  endpoint: string;
  /** The requests that were applied upstream and whose answers were then dropped. */
  lost: ProxiedRequest[];
  close(): Promise<void>;
}

/**
 * A local AWS that sometimes applies a request and loses the answer, as AWS does: every request goes on
 * to `target` (moto); for those `loseAnswer` picks, the proxy waits for the upstream answer — so the
 * write has taken effect — and then resets the client's connection instead of answering. The SDK sees a
 * dropped connection and retries the same request, which then meets its own earlier write.
 *
 * `delay` holds the requests it picks for that many milliseconds before they go on: a slow call, to
 * widen the window in which overlapping deliveries meet.
 *
 * Written here because it is a dozen lines over node:http and the fault must sit after the write is
 * applied: SDK middleware and mocks can only fail a call before it reaches the service, or fake both.
 */
export async function startLostAnswerProxy({
  target,
  loseAnswer = () => false,
  delay = () => 0,
}: {
  target: string;
  loseAnswer?: (request: ProxiedRequest) => boolean;
  delay?: (request: ProxiedRequest) => number;
}): Promise<LostAnswerProxy> {
  const upstream = new URL(target);
  const lost: ProxiedRequest[] = [];
  const server = createServer(async (incoming, outgoing) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const seen: ProxiedRequest = {
      method: incoming.method ?? 'GET',
      path: incoming.url ?? '/',
      headers: incoming.headers,
      body: body.toString('utf8'),
    };
    const held = delay(seen);
    if (held > 0) await sleep(held);
    const forwarded = httpRequest({
      host: upstream.hostname,
      port: upstream.port,
      method: seen.method,
      path: seen.path,
      headers: incoming.headers,
    });
    forwarded.end(body);
    let answer: IncomingMessage;
    try {
      [answer] = (await once(forwarded, 'response')) as [IncomingMessage];
    } catch {
      incoming.socket.destroy(); // the service is unreachable: so is the proxy, to its client
      return;
    }
    if (loseAnswer(seen)) {
      answer.resume();
      await once(answer, 'end');
      lost.push(seen);
      incoming.socket.destroy();
      return;
    }
    outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(outgoing);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    lost,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Loses the answer to the first `times` DynamoDB calls of `operation` (e.g. 'PutItem'), or only those
 * whose request body mentions `mentioning` (an attribute the write sets, to tell two updates apart).
 */
export function dynamoDbOperation(
  operation: string,
  { times = 1, mentioning }: { times?: number; mentioning?: string } = {},
): (request: ProxiedRequest) => boolean {
  let left = times;
  return ({ headers, body }) => {
    if (left === 0 || headers['x-amz-target'] !== `DynamoDB_20120810.${operation}`) return false;
    if (mentioning !== undefined && !body.includes(mentioning)) return false;
    left -= 1;
    return true;
  };
}

/** Picks SNS calls of `operation` (e.g. 'Publish'): the SDK speaks SNS's query protocol (`Action=…` in the form body). */
export function snsOperation(operation: string): (request: ProxiedRequest) => boolean {
  return ({ body }) => new URLSearchParams(body).get('Action') === operation;
}
