/** The Lambda proxy event (REST, v1) API Gateway builds for a request on a route. */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { type HttpRequest, lastValue } from './api-http.ts';
import type { ApiRoute } from './api-routes.ts';

const accountId = '123456789012';

const textualMediaType =
  /^(text\/.+|application\/(json|.+\+json|xml|.+\+xml|x-www-form-urlencoded|javascript))$/;

/** The API Gateway REST (v1) Lambda proxy event for `request` on `route`, as API Gateway builds it. */
export function toProxyEvent(
  request: HttpRequest,
  route: ApiRoute,
  pathParameters: Record<string, string>,
  stage: string,
  authorizer?: { claims: Record<string, string> },
): APIGatewayProxyEvent {
  const queryStart = request.url.indexOf('?');
  const path = queryStart === -1 ? request.url : request.url.slice(0, queryStart);
  const query = queryStart === -1 ? '' : request.url.slice(queryStart + 1);
  const host = lastValue(request.headers, 'host') ?? 'localhost';
  const [headers, multiValueHeaders] = groupValues(withForwardedHeaders(request, host), true);
  const [queryStringParameters, multiValueQueryStringParameters] = groupValues([
    ...new URLSearchParams(query),
  ]);
  const contentType = lastValue(request.headers, 'content-type') ?? '';
  const textual = textualMediaType.test(contentType.split(';')[0]?.trim().toLowerCase() ?? '');
  const hasBody = request.body.length > 0;
  const now = new Date();
  const userAgent = lastValue(request.headers, 'user-agent') ?? null;
  return {
    resource: route.path,
    path,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters: nullWhenEmpty(queryStringParameters),
    multiValueQueryStringParameters: nullWhenEmpty(multiValueQueryStringParameters),
    pathParameters: nullWhenEmpty(pathParameters),
    stageVariables: null,
    requestContext: {
      resourceId: shortHash(`${route.restApiId} ${route.path}`, 6),
      resourcePath: route.path,
      httpMethod: request.method,
      extendedRequestId: randomBytes(11).toString('base64'),
      requestTime: formatRequestTime(now),
      // The path the client sent. Served from the root, like a custom domain mapped to the stage, so
      // URLs built from it (a `Location`) work locally; on the execute-api host it starts with the stage.
      path,
      accountId,
      protocol: request.protocol ?? 'HTTP/1.1',
      stage,
      domainPrefix: host.split(/[.:]/)[0] ?? host,
      requestTimeEpoch: now.getTime(),
      requestId: request.requestId ?? randomUUID(),
      identity: {
        cognitoIdentityPoolId: null,
        accountId: null,
        cognitoIdentityId: null,
        caller: null,
        sourceIp: request.sourceIp,
        principalOrgId: null,
        accessKey: null,
        cognitoAuthenticationType: null,
        cognitoAuthenticationProvider: null,
        userArn: null,
        userAgent,
        user: null,
        apiKey: null,
        apiKeyId: null,
        clientCert: null,
      },
      domainName: host,
      apiId: shortHash(route.restApiId, 10),
      // Absent without an authorizer, as in the real event; the type wants the key.
      authorizer,
    },
    body: hasBody ? request.body.toString(textual ? 'utf8' : 'base64') : null,
    isBase64Encoded: hasBody && !textual,
  };
}

/** API Gateway adds what a load balancer would; it appends the caller to `X-Forwarded-For`. */
function withForwardedHeaders(request: HttpRequest, host: string): [string, string][] {
  const forwardedFor = lastValue(request.headers, 'x-forwarded-for');
  const headers = request.headers.filter(([name]) => name.toLowerCase() !== 'x-forwarded-for');
  headers.push(['X-Forwarded-For', forwardedFor ? `${forwardedFor}, ${request.sourceIp}` : request.sourceIp]);
  if (!lastValue(headers, 'x-forwarded-port'))
    headers.push(['X-Forwarded-Port', /:(\d+)$/.exec(host)?.[1] ?? '80']);
  if (!lastValue(headers, 'x-forwarded-proto')) headers.push(['X-Forwarded-Proto', 'http']);
  return headers;
}

/**
 * The single-value map (last value wins, as in API Gateway) and the multi-value map. Header names are
 * grouped regardless of case, under the case first sent; query string names are case-sensitive.
 */
function groupValues(
  pairs: [string, string][],
  ignoreCase = false,
): [Record<string, string>, Record<string, string[]>] {
  const names = new Map<string, string>();
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of pairs) {
    const key = ignoreCase ? name.toLowerCase() : name;
    const shown = names.get(key) ?? name;
    names.set(key, shown);
    single[shown] = value;
    multi[shown] = [...(multi[shown] ?? []), value];
  }
  return [single, multi];
}

function nullWhenEmpty<T extends object>(map: T): T | null {
  return Object.keys(map).length > 0 ? map : null;
}

function shortHash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

// API Gateway's `$context.requestTime`: 27/Nov/2026:10:15:42 +0000.
function formatRequestTime(date: Date): string {
  const [, day, month, year, time] = date.toUTCString().split(' ');
  return `${day}/${month}/${year}:${time} +0000`;
}
