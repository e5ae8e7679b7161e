import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { listenLocally } from './local-server.ts';

export interface S3Gate {
  /** What the functions' S3 clients use (AWS_ENDPOINT_URL_S3): their presigned links point here. */
  endpoint: string;
  close(): Promise<void>;
}

/** The query parameters of a presigned (query-string signed) request that the signature does not cover. */
const authParameters = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
];

/**
 * S3's own checks of a presigned request, in front of the local AWS. moto accepts any request, so a
 * link uploads-api hands out would allow anything locally; behind the gate it allows what it allows in
 * S3: the gate recomputes the SigV4 query signature with the stack's credentials over the method, the
 * path, the query and the signed headers — a changed key, content type or length no longer matches —
 * and checks `X-Amz-Date` + `X-Amz-Expires`, answering a failure as S3 does (403 and an XML error).
 * Requests without a query signature (the SDK's own, signed in headers) pass through untouched, as do
 * the answers.
 *
 * The signature comes from the SDK's own signer (@smithy/signature-v4), configured as S3's presigner
 * configures it; written here because neither moto nor any library checks presigned requests locally.
 */
export async function startS3Gate({
  target,
  region,
  credentials,
  now = () => new Date(),
}: {
  target: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  now?: () => Date;
}): Promise<S3Gate> {
  const upstream = new URL(target);
  const signer = new SignatureV4({
    service: 's3',
    region,
    credentials,
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false,
    applyChecksum: false,
  });

  // The check reads the URL and the headers only: a body (an upload) streams on, or is drained.
  const server = createServer(async (incoming, outgoing) => {
    const refusal = await check(incoming);
    if (refusal) {
      incoming.resume();
      answer(outgoing, refusal);
      return;
    }
    const forwarded = httpRequest({
      host: upstream.hostname,
      port: upstream.port,
      method: incoming.method,
      path: incoming.url,
      headers: incoming.headers,
    });
    forwarded.on('error', () => incoming.socket.destroy());
    forwarded.on('response', (response) => {
      outgoing.writeHead(response.statusCode ?? 502, response.headers);
      response.pipe(outgoing);
    });
    incoming.pipe(forwarded);
  });

  /** Why S3 would refuse `incoming`, or undefined when it is no presigned request or a valid one. */
  async function check(incoming: IncomingMessage): Promise<Refusal | undefined> {
    const url = new URL(incoming.url ?? '/', 'http://gate');
    const query = url.searchParams;
    const signature = query.get('X-Amz-Signature');
    if (signature === null) return undefined;
    const [accessKeyId] = (query.get('X-Amz-Credential') ?? '').split('/');
    if (query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' || accessKeyId !== credentials.accessKeyId) {
      return {
        code: 'InvalidAccessKeyId',
        message: 'The AWS Access Key Id you provided does not exist in our records.',
      };
    }
    const signedAt = parseAmzDate(query.get('X-Amz-Date') ?? '');
    const expiresIn = Number(query.get('X-Amz-Expires'));
    if (!signedAt || !Number.isInteger(expiresIn)) {
      return {
        code: 'AuthorizationQueryParametersError',
        message: 'X-Amz-Date and X-Amz-Expires are required.',
      };
    }
    if (now().getTime() > signedAt.getTime() + expiresIn * 1000) {
      return { code: 'AccessDenied', message: 'Request has expired' };
    }
    const signedHeaders = (query.get('X-Amz-SignedHeaders') ?? '').split(';');
    const headers: Record<string, string> = { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
    for (const name of signedHeaders) {
      const value = incoming.headers[name];
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
    }
    const unsignedQuery: Record<string, string> = {};
    for (const [name, value] of query) if (!authParameters.includes(name)) unsignedQuery[name] = value;
    const expected = await signer.presign(
      new HttpRequest({
        method: incoming.method ?? 'GET',
        protocol: 'http:',
        hostname: (incoming.headers.host ?? '').split(':')[0] ?? '',
        port: Number((incoming.headers.host ?? '').split(':')[1]) || undefined,
        path: url.pathname,
        query: unsignedQuery,
        headers,
      }),
      {
        signingDate: signedAt,
        expiresIn,
        signableHeaders: new Set(signedHeaders),
        // The payload hash only: the URL's own X-Amz-Content-Sha256 stays in the query, as signed.
        unsignableHeaders: new Set(['x-amz-content-sha256']),
        unhoistableHeaders: new Set(['x-amz-content-sha256']),
      },
    );
    if (expected.query?.['X-Amz-Signature'] !== signature) {
      return {
        code: 'SignatureDoesNotMatch',
        message: 'The request signature we calculated does not match the signature you provided.',
      };
    }
    return undefined;
  }

  const { url, close } = await listenLocally(server);
  return { endpoint: url, close };
}

interface Refusal {
  code: string;
  message: string;
}

function answer(outgoing: ServerResponse, { code, message }: Refusal): void {
  outgoing.writeHead(403, { 'Content-Type': 'application/xml' });
  outgoing.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
  );
}

/** `20261206T081500Z` → a Date; undefined for anything else. */
function parseAmzDate(text: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  return new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day, hour, minute, second));
}
