/** The HTTP response API Gateway makes of a function's Lambda proxy result, or why it answers 502 instead. */
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { isRecord } from '@repo/sam-template/template-values';
import type { HttpResponse } from './api-http.ts';

/** The function's result is not a Lambda proxy response; API Gateway answers 502 for it. */
export class MalformedProxyResponseError extends Error {
  override readonly name = 'MalformedProxyResponseError';
}

const proxyResponseKeys = new Set(['statusCode', 'headers', 'multiValueHeaders', 'body', 'isBase64Encoded']);
// REST APIs do not pass these from the integration response through; they keep them under another name.
const remappedHeaders = new Set(['connection', 'content-length', 'date', 'server']);

/**
 * The HTTP response API Gateway makes of a Lambda proxy result: `headers` and `multiValueHeaders`
 * merged, a base64 body decoded, status 200 and `Content-Type: application/json` when absent.
 * Throws a {@link MalformedProxyResponseError} naming the problem where API Gateway answers 502.
 */
export function fromProxyResult(result: unknown): HttpResponse {
  if (!isRecord(result)) throw malformed(`the result is ${kindOf(result)}, not an object`);
  const unexpected = Object.keys(result).filter((key) => !proxyResponseKeys.has(key));
  if (unexpected.length > 0) throw malformed(`unexpected field(s) ${unexpected.join(', ')}`);
  // Serializers in other runtimes write absent fields as null; API Gateway takes that as absent.
  const { statusCode = 200, headers, multiValueHeaders, body, isBase64Encoded } = withoutNulls(result);
  if (!Number.isInteger(statusCode) || (statusCode as number) < 100 || (statusCode as number) > 599) {
    throw malformed(`statusCode ${JSON.stringify(statusCode)} is not an integer from 100 to 599`);
  }
  if (body !== undefined && typeof body !== 'string')
    throw malformed(`body is ${kindOf(body)}, not a string`);
  if (isBase64Encoded !== undefined && typeof isBase64Encoded !== 'boolean') {
    throw malformed(`isBase64Encoded is ${kindOf(isBase64Encoded)}, not a boolean`);
  }
  const pairs = mergeHeaders(headers, multiValueHeaders).map(([name, value]): [string, string] => [
    remappedHeaders.has(name.toLowerCase()) ? `x-amzn-Remapped-${name}` : name,
    value,
  ]);
  for (const [name, value] of pairs) {
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    } catch (error) {
      throw malformed(`header ${JSON.stringify(name)}: ${(error as Error).message}`);
    }
  }
  if (!pairs.some(([name]) => name.toLowerCase() === 'content-type')) {
    pairs.push(['Content-Type', 'application/json']);
  }
  return {
    statusCode: statusCode as number,
    headers: pairs,
    body: Buffer.from(body ?? '', isBase64Encoded ? 'base64' : 'utf8'),
  };
}

/** Per the docs: both maps are sent; a value in both appears once. */
function mergeHeaders(headers: unknown, multiValueHeaders: unknown): [string, string][] {
  if (headers !== undefined && !isRecord(headers))
    throw malformed(`headers is ${kindOf(headers)}, not an object`);
  if (multiValueHeaders !== undefined && !isRecord(multiValueHeaders)) {
    throw malformed(`multiValueHeaders is ${kindOf(multiValueHeaders)}, not an object`);
  }
  const pairs: [string, string][] = [];
  for (const [name, values] of Object.entries(multiValueHeaders ?? {})) {
    if (!Array.isArray(values))
      throw malformed(`multiValueHeaders.${name} is ${kindOf(values)}, not an array`);
    for (const value of values) pairs.push([name, headerValue(`multiValueHeaders.${name}`, value)]);
  }
  for (const [name, value] of Object.entries(headers ?? {})) {
    const text = headerValue(`headers.${name}`, value);
    const known = pairs.some(
      ([other, otherValue]) => other.toLowerCase() === name.toLowerCase() && otherValue === text,
    );
    if (!known) pairs.push([name, text]);
  }
  return pairs;
}

function headerValue(where: string, value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  throw malformed(`${where} is ${kindOf(value)}, not a string, number or boolean`);
}

/** The 502 error for a proxy response API Gateway cannot use, saying why. */
export function malformed(reason: string): MalformedProxyResponseError {
  return new MalformedProxyResponseError(`Malformed Lambda proxy response: ${reason}`);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

function withoutNulls(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== null));
}
