/** The local API's view of HTTP: a request and a response, headers as pairs in the order and case sent. */

/** A request as the local server received it. */
export interface HttpRequest {
  method: string;
  /** Path and query string as sent, still percent-encoded, e.g. `/users/a%20b?limit=5`. */
  url: string;
  /** Name/value pairs in the order and case sent (`IncomingMessage.rawHeaders`, paired). */
  headers: [string, string][];
  body: Buffer;
  sourceIp: string;
  /** Defaults to `HTTP/1.1`. */
  protocol?: string;
  /** Defaults to a fresh UUID; the server passes its own so that every response can carry it. */
  requestId?: string;
}

/** What the server writes back: status, header pairs (a name may repeat) and the raw body. */
export interface HttpResponse {
  statusCode: number;
  headers: [string, string][];
  body: Buffer;
}

/** The last value of header `name` (lower case), as API Gateway's single-value maps keep it. */
export function lastValue(pairs: [string, string][], name: string): string | undefined {
  return pairs.findLast(([candidate]) => candidate.toLowerCase() === name)?.[1];
}

/** `IncomingMessage.rawHeaders` as name/value pairs. */
export function pairUp(raw: string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let index = 0; index + 1 < raw.length; index += 2)
    pairs.push([raw[index] as string, raw[index + 1] as string]);
  return pairs;
}
