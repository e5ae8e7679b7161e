import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { traceRootOf } from '@repo/aws-local/xray-daemon';
import type { AwsFault } from './fault-profile.ts';
import { listenLocally } from './local-server.ts';

/** One AWS call as the proxy reads it off the wire. */
export interface AwsCall {
  /** As the request signs it (SigV4 credential scope): `dynamodb`, `s3`, `sns`, `sqs` … ('' if unsigned). */
  service: string;
  /** `PutItem`, `Publish`, `GetObject` … ('' when it cannot be told). */
  operation: string;
  /** The table, `bucket/key`, topic ARN or queue URL the call names ('' when none). */
  resource: string;
  /** The X-Ray trace of the invocation that made it (the SDK sends `X-Amzn-Trace-Id` from Lambda's). */
  traceId?: string;
  /** Which attempt of the SDK's this is (`amz-sdk-request: attempt=N`): 2 and up are retries. */
  attempt?: number;
}

export interface FaultProxy {
  /** What the functions' SDK clients use as their endpoint instead of `target`. */
  endpoint: string;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of a local AWS endpoint that fails calls as AWS fails them: per request it
 * reads the service, operation and resource, asks `decide`, and either forwards the request untouched
 * (byte for byte, Host included, so signature checks behind it still hold) or injects the fault —
 * AWS's error in the protocol's own wire shape (before the call is applied, or after it was applied
 * upstream), a lost answer, added latency, a connection reset or a request that never answers. Placed on
 * the wire, so the SDK's own retries and the functions' error paths meet the faults for real.
 *
 * Only JSON and query-protocol bodies are buffered (small, and their operation and resource are in
 * them); S3's come from the method and URL, so an upload streams on.
 */
export async function startFaultProxy({
  target,
  decide,
  injected = () => {},
  observed = () => {},
}: {
  target: string;
  decide: (call: AwsCall) => AwsFault | undefined;
  /** Called as each fault is injected. */
  injected?: (call: AwsCall, fault: AwsFault) => void;
  /** Called for every call, before its fault is decided. */
  observed?: (call: AwsCall) => void;
}): Promise<FaultProxy> {
  const upstream = new URL(target);

  const server = createServer(async (incoming, outgoing) => {
    const body = bufferable(incoming) ? await readBody(incoming) : undefined;
    const call = awsCall(incoming, body);
    observed(call);
    const fault = decide(call);
    if (fault) injected(call, fault);

    /** Forwards the request; resolves with the upstream answer, or undefined when upstream is gone. */
    const forward = async (): Promise<IncomingMessage | undefined> => {
      const forwarded = httpRequest({
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.rawHeaders,
      });
      forwarded.on('error', () => {});
      if (body === undefined) incoming.pipe(forwarded);
      else forwarded.end(body);
      try {
        const [answer] = (await once(forwarded, 'response')) as [IncomingMessage];
        return answer;
      } catch {
        incoming.socket.destroy(); // the service is unreachable: so is the proxy, to its client
        return undefined;
      }
    };
    const relay = (answer: IncomingMessage) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    };
    /** Lets upstream finish its answer, so the call is applied, and throws the answer away. */
    const applied = async (answer: IncomingMessage) => {
      answer.resume();
      if (!answer.readableEnded) await once(answer, 'end').catch(() => {});
    };

    switch (fault?.kind) {
      case undefined: {
        const answer = await forward();
        if (answer) relay(answer);
        return;
      }
      case 'latency': {
        await sleep(fault.ms);
        const answer = await forward();
        if (answer) relay(answer);
        return;
      }
      case 'reset':
        incoming.socket.resetAndDestroy();
        return;
      case 'hang':
        // Never answered: the client's own timeout decides, and its going away closes the socket.
        incoming.resume();
        return;
      case 'lost-answer': {
        const answer = await forward();
        if (!answer) return;
        await applied(answer);
        incoming.socket.destroy();
        return;
      }
      case 'error': {
        if (fault.when === 'after') {
          const answer = await forward();
          if (!answer) return;
          await applied(answer);
        } else {
          incoming.resume();
        }
        answerError(outgoing, incoming, call, fault);
      }
    }
  });
  const { url, close } = await listenLocally(server);
  return { endpoint: url, close };
}

/** JSON (`x-amz-json-*`) and query (form) bodies: small, and what the match reads. */
function bufferable(incoming: IncomingMessage): boolean {
  const type = incoming.headers['content-type'] ?? '';
  return (
    incoming.headers['x-amz-target'] !== undefined ||
    type.startsWith('application/x-amz-json') ||
    type.startsWith('application/x-www-form-urlencoded')
  );
}

async function readBody(incoming: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The service, operation and resource of a request, from its headers, URL and (small) body. */
export function awsCall(
  incoming: Pick<IncomingMessage, 'method' | 'url' | 'headers'>,
  body?: Buffer,
): AwsCall {
  const url = new URL(incoming.url ?? '/', 'http://proxy');
  const credential =
    /Credential=([^,\s]+)/.exec(incoming.headers.authorization ?? '')?.[1] ??
    url.searchParams.get('X-Amz-Credential') ??
    '';
  const service = credential.split('/')[3] ?? '';
  const traceId = traceRootOf(header(incoming.headers['x-amzn-trace-id']));
  const attempt = Number(/attempt=(\d+)/.exec(header(incoming.headers['amz-sdk-request']) ?? '')?.[1]);
  const origin = { ...(traceId ? { traceId } : {}), ...(attempt > 0 ? { attempt } : {}) };
  const target = incoming.headers['x-amz-target'];
  if (typeof target === 'string') {
    const json = parseJson(body);
    const resource =
      json.TableName ?? json.QueueUrl ?? json.TopicArn ?? Object.keys(json.RequestItems ?? {})[0];
    return {
      service,
      operation: target.slice(target.indexOf('.') + 1),
      resource: String(resource ?? ''),
      ...origin,
    };
  }
  if (service === 's3') return { ...s3Call(incoming.method ?? 'GET', url, incoming.headers), ...origin };
  const form = new URLSearchParams(body?.toString('utf8') ?? '');
  const parameter = (name: string) => form.get(name) ?? url.searchParams.get(name);
  return {
    service,
    operation: parameter('Action') ?? '',
    resource: parameter('TopicArn') ?? parameter('TargetArn') ?? parameter('QueueUrl') ?? '',
    ...origin,
  };
}

const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

function parseJson(body: Buffer | undefined): Record<string, unknown> & { RequestItems?: object } {
  try {
    const value = JSON.parse(body?.toString('utf8') || '{}');
    return typeof value === 'object' && value !== null ? value : {};
  } catch {
    return {};
  }
}

/** S3's REST operations, told apart by method, path (path-style `/bucket/key`) and query. */
function s3Call(method: string, url: URL, headers: IncomingMessage['headers']): AwsCall {
  const [, bucket = '', ...keyParts] = url.pathname.split('/');
  const key = decodeURIComponent(keyParts.join('/'));
  const has = (name: string) => url.searchParams.has(name);
  const resource = key ? `${decodeURIComponent(bucket)}/${key}` : decodeURIComponent(bucket);
  const operation = (() => {
    if (!bucket) return method === 'GET' ? 'ListBuckets' : '';
    if (!key) {
      if (method === 'GET')
        return has('list-type') ? 'ListObjectsV2' : has('location') ? 'GetBucketLocation' : 'ListObjects';
      if (method === 'POST' && has('delete')) return 'DeleteObjects';
      return { PUT: 'CreateBucket', HEAD: 'HeadBucket', DELETE: 'DeleteBucket' }[method] ?? '';
    }
    if (method === 'POST')
      return has('uploads') ? 'CreateMultipartUpload' : has('uploadId') ? 'CompleteMultipartUpload' : '';
    if (has('tagging'))
      return (
        { GET: 'GetObjectTagging', PUT: 'PutObjectTagging', DELETE: 'DeleteObjectTagging' }[method] ?? ''
      );
    if (method === 'PUT') {
      if (has('uploadId')) return headers['x-amz-copy-source'] ? 'UploadPartCopy' : 'UploadPart';
      return headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
    }
    if (method === 'DELETE') return has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    return { GET: 'GetObject', HEAD: 'HeadObject' }[method] ?? '';
  })();
  return { service: 's3', operation, resource };
}

/** The JSON protocols' error namespaces (the SDK reads the code after the '#'). */
const jsonNamespaces: Record<string, string> = {
  dynamodb: 'com.amazonaws.dynamodb.v20120810',
  sqs: 'com.amazonaws.sqs',
};

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (character) => `&#${character.charCodeAt(0)};`);

/** AWS's error answer, shaped as the call's protocol shapes it, so the SDK classifies it as the real one. */
function answerError(
  outgoing: ServerResponse,
  incoming: IncomingMessage,
  call: AwsCall,
  fault: Extract<AwsFault, { kind: 'error' }>,
): void {
  const requestId = randomUUID();
  const message = fault.message ?? fault.code;
  let headers: Record<string, string>;
  let body: string;
  if (incoming.headers['x-amz-target'] !== undefined) {
    headers = {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-errortype': fault.code,
      'x-amzn-requestid': requestId,
    };
    const namespace = jsonNamespaces[call.service] ?? `com.amazonaws.${call.service}`;
    body = JSON.stringify({ __type: `${namespace}#${fault.code}`, message });
  } else if (call.service === 's3') {
    headers = { 'content-type': 'application/xml', 'x-amz-request-id': requestId };
    // A HEAD answer has no body: the SDK names the error after the status, as it does for S3's.
    body =
      incoming.method === 'HEAD'
        ? ''
        : '<?xml version="1.0" encoding="UTF-8"?>\n' +
          `<Error><Code>${escapeXml(fault.code)}</Code><Message>${escapeXml(message)}</Message>` +
          `<RequestId>${requestId}</RequestId><HostId>${requestId}</HostId></Error>`;
  } else {
    headers = { 'content-type': 'text/xml', 'x-amzn-requestid': requestId };
    const type = fault.status < 500 ? 'Sender' : 'Receiver';
    body =
      '<ErrorResponse><Error>' +
      `<Type>${type}</Type><Code>${escapeXml(fault.code)}</Code><Message>${escapeXml(message)}</Message>` +
      `</Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  }
  outgoing.writeHead(fault.status, { ...headers, 'content-length': Buffer.byteLength(body) });
  outgoing.end(incoming.method === 'HEAD' ? undefined : body);
}
