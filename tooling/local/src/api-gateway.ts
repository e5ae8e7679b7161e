import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
  validateHeaderName,
  validateHeaderValue,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { serverlessFunctions, type Template } from '@repo/sam-template/read-template';
import { isRecord } from '@repo/sam-template/template-values';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Authorization, CognitoRouteAuthorizer } from './cognito-authorizer.ts';
import { type Invoke, isThrottled, type Log } from './types.ts';

/** One `Type: Api` event of a function: a method on a resource of a REST API. */
export interface ApiRoute {
  functionId: string;
  /** The event's name under the function's `Events`, e.g. `ListUsers`. */
  eventName: string;
  /** Upper case; `ANY` matches every method. */
  method: string;
  /** The resource path template, e.g. `/users/{id}` or `/{proxy+}`; what the event calls `resource`. */
  path: string;
  /** Logical id of the `AWS::Serverless::Api`, or `ServerlessRestApi` for SAM's implicit API. */
  restApiId: string;
  /** The API's stage (its `StageName`; SAM's implicit API deploys `Prod`), as the event names it. */
  stage?: string;
  /** What API Gateway checks before the function runs (see routeAuthorizer); none: open. */
  authorizer?: CognitoRouteAuthorizer | { unsupported: string };
}

/**
 * One `GatewayResponses` entry of an API, intrinsics resolved: what API Gateway answers instead of its
 * own default for a response type. Header values are mapping expressions: `'static'` in single quotes,
 * or `method.request.header.<name>` for a request header.
 */
export interface GatewayResponse {
  StatusCode?: string | number;
  ResponseParameters?: { Headers?: Record<string, string> };
  ResponseTemplates?: Record<string, string>;
}

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

/** A route and its decoded path parameters, or the methods the path has when the request's is not one. */
export type RouteMatch =
  | { route: ApiRoute; pathParameters: Record<string, string> }
  | { allowedMethods: string[] };

/** The function's result is not a Lambda proxy response; API Gateway answers 502 for it. */
export class MalformedProxyResponseError extends Error {
  override readonly name = 'MalformedProxyResponseError';
}

// API Gateway's quotas: 10 MB request payload; Lambda's: 6 MB for a synchronous request or response.
const maxRequestBytes = 10 * 1024 * 1024;
const maxInvokePayloadBytes = 6 * 1024 * 1024;
const accountId = '123456789012';
const methods = new Set(['ANY', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
const proxyResponseKeys = new Set(['statusCode', 'headers', 'multiValueHeaders', 'body', 'isBase64Encoded']);
// REST APIs do not pass these from the integration response through; they keep them under another name.
const remappedHeaders = new Set(['connection', 'content-length', 'date', 'server']);
const textualMediaType =
  /^(text\/.+|application\/(json|.+\+json|xml|.+\+xml|x-www-form-urlencoded|javascript))$/;

/**
 * Every `Type: Api` event of the template's functions as a route, and a line for each event that will
 * not be served locally (`HttpApi` events, bad methods or paths, a method and path served twice).
 */
export function apiRoutes(template: Template): { routes: ApiRoute[]; unsupported: string[] } {
  const routes: ApiRoute[] = [];
  const unsupported: string[] = [];
  for (const { logicalId, properties } of serverlessFunctions(template)) {
    for (const [eventName, event] of Object.entries(asRecord(properties.Events))) {
      const where = `${logicalId}.Events.${eventName}`;
      const { Type, Properties } = asRecord(event);
      if (Type === 'HttpApi') unsupported.push(`${where}: HttpApi events are not supported locally`);
      if (Type !== 'Api') continue;
      const { Path, Method, RestApiId } = asRecord(Properties);
      const method = typeof Method === 'string' ? Method.toUpperCase() : '';
      const path = typeof Path === 'string' ? trimTrailingSlash(Path) : '';
      const problem = routeProblem(Method, Path, method, path, routes);
      if (problem) unsupported.push(`${where}: ${problem}`);
      else
        routes.push({ functionId: logicalId, eventName, method, path, restApiId: apiLogicalId(RestApiId) });
    }
  }
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Serverless::Api') continue;
    for (const property of Object.keys(resource.Properties ?? {})) {
      if (!apiPropertiesWithoutLocalEffect.has(property)) continue;
      unsupported.push(`Resources.${logicalId}.${property} (not applied by the local API)`);
    }
  }
  return { routes, unsupported };
}

// Serverless::Api settings the local server does not apply (it serves every route at the root, without
// API Gateway's own throttling); reported so nobody relies on them locally by accident.
const apiPropertiesWithoutLocalEffect = new Set([
  'BinaryMediaTypes',
  'CacheClusterEnabled',
  'Cors',
  'Domain',
  'MethodSettings',
  'Models',
  'RequestModels',
  'RequestParameters',
]);

function routeProblem(Method: unknown, Path: unknown, method: string, path: string, routes: ApiRoute[]) {
  if (!methods.has(method))
    return `Method ${JSON.stringify(Method)} is not one of ${[...methods].join(', ')}`;
  if (!path.startsWith('/')) return `Path ${JSON.stringify(Path)} does not start with /`;
  if (/\{[^}]+\+\}./.test(path)) return `Path ${path}: a greedy {name+} must be the last segment`;
  const twin = routes.find((other) => other.method === method && other.path === path);
  // One local server serves every API, so the same method and path in two APIs cannot both be served.
  if (twin) return `${method} ${path} is already served by ${twin.functionId}.Events.${twin.eventName}`;
  return undefined;
}

/**
 * The route API Gateway (REST) would pick for `method` on `path` (as sent, percent-encoded, no query
 * string): the most specific resource that has the method or `ANY` (literal segment before `{param}`
 * before `{proxy+}`), and on that resource the method before `ANY`. When resources match but none has
 * the method, their methods; when none matches, undefined. API Gateway answers both with a 403.
 */
export function matchRoute(routes: ApiRoute[], method: string, path: string): RouteMatch | undefined {
  const segments = splitPath(path);
  const matches = routes.flatMap((route) => {
    const bound = bindPath(splitPath(route.path), segments);
    return bound ? [{ route, ...bound }] : [];
  });
  const [best] = matches
    .filter(({ route }) => route.method === method || route.method === 'ANY')
    .sort(
      (a, b) =>
        compareRanks(a.ranks, b.ranks) || Number(a.route.method === 'ANY') - Number(b.route.method === 'ANY'),
    );
  if (best) return { route: best.route, pathParameters: best.pathParameters };
  if (matches.length === 0) return undefined;
  return { allowedMethods: [...new Set(matches.map(({ route }) => route.method))] };
}

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

/**
 * Serves `routes` over HTTP as API Gateway's REST API with Lambda proxy integrations would, invoking
 * each route's function through `invoke`. `port: 0` picks a free port; `url` names the real one.
 */
export async function startApiServer({
  routes,
  invoke,
  port = 3000,
  host = '127.0.0.1',
  stage = 'local',
  gatewayResponses = {},
  authorize,
  log,
}: {
  routes: ApiRoute[];
  invoke: Invoke;
  port?: number;
  host?: string;
  stage?: string;
  /** Each API's `GatewayResponses` (by the API's logical id), applied to the answers API Gateway makes itself. */
  gatewayResponses?: Record<string, Record<string, GatewayResponse>>;
  /** Runs a route's authorizer (cognitoAuthorizer); without it, routes that have one answer 401. */
  authorize?: (authorizer: CognitoRouteAuthorizer, headers: [string, string][]) => Promise<Authorization>;
  log: Log;
}): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const requestId = randomUUID();
    serveRequest(request, requestId, routes, invoke, stage, gatewayResponses, authorize, log)
      .then((answer) => send(response, requestId, answer))
      .catch((error: unknown) => {
        // A client that hung up mid-request gets no answer, and it was not a 502.
        if (request.socket.destroyed) return;
        log(`${request.method} ${request.url} → 502: ${(error as Error)?.message ?? error}`);
        if (response.headersSent) response.destroy();
        else send(response, requestId, internalServerError);
      });
  });
  // Longer than any client keeps an idle connection (undici: 4 s, the SDK's agents: their own), so a
  // client never sends on a socket the server is closing at that moment (Node's default is 5 s, and on
  // a loaded machine a client's reuse and the server's close met: "other side closed").
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.listen(port, host);
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  const hostname = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostname}:${address.port}`,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets and requests still waiting for a function would hold `close` open.
        server.closeAllConnections();
      }),
  };
}

const internalServerError = jsonAnswer(502, '{"message": "Internal server error"}');

async function serveRequest(
  request: IncomingMessage,
  requestId: string,
  routes: ApiRoute[],
  invoke: Invoke,
  stage: string,
  gatewayResponses: Record<string, Record<string, GatewayResponse>>,
  authorize:
    | ((authorizer: CognitoRouteAuthorizer, headers: [string, string][]) => Promise<Authorization>)
    | undefined,
  log: Log,
): Promise<HttpResponse> {
  const method = request.method ?? 'GET';
  const url = request.url ?? '/';
  const body = await readBody(request, maxRequestBytes);
  // What the edge answers, before API Gateway looks at the route.
  if (!body) {
    const message = `HTTP content length exceeded ${maxRequestBytes} bytes.`;
    return {
      statusCode: 413,
      headers: [['Content-Type', 'text; charset=utf-8']],
      body: Buffer.from(message),
    };
  }
  const path = url.split('?')[0] ?? '/';
  const match = matchRoute(routes, method, path);
  const headers = pairUp(request.rawHeaders);
  if (!match || !('route' in match)) {
    // No route, so no API to take its gateway responses from — unless one API is all there is.
    const apis = Object.keys(gatewayResponses);
    return gatewayAnswer(apis.length === 1 ? gatewayResponses[apis[0] ?? ''] : undefined, {
      type: 'MISSING_AUTHENTICATION_TOKEN',
      statusCode: 403,
      message: 'Missing Authentication Token',
      errorType: 'MissingAuthenticationTokenException',
      requestId,
      headers,
    });
  }
  const { route, pathParameters } = match;
  const responses = gatewayResponses[route.restApiId];
  let authorized: { claims: Record<string, string> } | undefined;
  const { authorizer } = route;
  if (authorizer && !(method === 'OPTIONS' && 'openPreflight' in authorizer && authorizer.openPreflight)) {
    const outcome: Authorization =
      'unsupported' in authorizer
        ? { unauthorized: authorizer.unsupported }
        : authorize
          ? await authorize(authorizer, headers)
          : { unauthorized: 'no authorizer runs here' };
    if ('unauthorized' in outcome) {
      // API Gateway's own answer; the function never runs.
      log(`${method} ${path} → 401: ${outcome.unauthorized}`);
      return gatewayAnswer(responses, {
        type: 'UNAUTHORIZED',
        statusCode: 401,
        message: 'Unauthorized',
        requestId,
        headers,
      });
    }
    authorized = { claims: outcome.claims };
  }
  const sourceIp = (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  const event = toProxyEvent(
    {
      method,
      url,
      headers,
      body,
      sourceIp,
      protocol: `HTTP/${request.httpVersion}`,
      requestId,
    },
    route,
    pathParameters,
    route.stage ?? stage,
    authorized,
  );
  // Lambda refuses a larger event; base64 makes a binary body a third bigger on the way.
  if (Buffer.byteLength(JSON.stringify(event)) > maxInvokePayloadBytes) {
    return gatewayAnswer(responses, {
      type: 'REQUEST_TOO_LARGE',
      statusCode: 413,
      message: 'Request Too Long',
      errorType: 'BadRequestException',
      requestId,
      headers,
    });
  }
  const trigger = `${method} ${path}`;
  const outcome = await invoke(route.functionId, event, trigger);
  if (isThrottled(outcome)) {
    // Lambda refused the invocation (over the function's concurrency): API Gateway answers 500 for a
    // rejected invocation request, 502 only for a function that ran and failed.
    const answer = gatewayAnswer(responses, {
      type: 'INTEGRATION_FAILURE',
      statusCode: 500,
      message: 'Internal server error',
      requestId,
      headers,
    });
    log(`${trigger} → ${answer.statusCode}: ${route.functionId} throttled (TooManyRequestsException)`);
    return answer;
  }
  if (!outcome.ok) {
    log(
      `${trigger} → 502: ${route.functionId} failed with ${outcome.error.errorType}: ${outcome.error.errorMessage}`,
    );
    return internalServerError;
  }
  try {
    if (Buffer.byteLength(JSON.stringify(outcome.result) ?? '') > maxInvokePayloadBytes) {
      throw malformed(`the response is over Lambda's ${maxInvokePayloadBytes}-byte payload limit`);
    }
    return fromProxyResult(outcome.result);
  } catch (error) {
    if (!(error instanceof MalformedProxyResponseError)) throw error;
    log(`${trigger} → 502: ${error.message}`);
    return internalServerError;
  }
}

function send(
  response: ServerResponse,
  requestId: string,
  { statusCode, headers, body }: HttpResponse,
): void {
  const grouped = new Map<string, { name: string; values: string[] }>();
  for (const [name, value] of headers) {
    const entry = grouped.get(name.toLowerCase()) ?? { name, values: [] };
    entry.values.push(value);
    grouped.set(name.toLowerCase(), entry);
  }
  response.statusCode = statusCode;
  for (const { name, values } of grouped.values()) response.setHeader(name, values);
  response.setHeader('x-amzn-RequestId', requestId);
  response.end(body);
}

/**
 * One of API Gateway's own answers of response `type`, as the API's `GatewayResponses` shape it: the
 * type's own entry, else `DEFAULT_4XX`/`DEFAULT_5XX` (whose status code, when set, replaces that of
 * every type of its family), else API Gateway's default `{"message": …}`. Templates see
 * `$context.error.responseType`, `$context.error.message`, `$context.error.messageString` (quoted) and
 * `$context.requestId`.
 *
 * A throttled Lambda is the `INTEGRATION_FAILURE` type: AWS documents a rejected invocation request as
 * a 500 `{"message": "Internal server error"}` (not the type's nominal 504), and that is what this
 * answers unless the template says otherwise.
 */
function gatewayAnswer(
  responses: Record<string, GatewayResponse> | undefined,
  options: {
    type: string;
    statusCode: number;
    message: string;
    errorType?: string;
    requestId: string;
    headers: [string, string][];
  },
): HttpResponse {
  const { type, message, requestId } = options;
  const family = options.statusCode >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX';
  const own = responses?.[type];
  const chosen = own ?? responses?.[family];
  const statusCode = Number(own?.StatusCode ?? responses?.[family]?.StatusCode ?? options.statusCode);
  const template = chosen?.ResponseTemplates?.['application/json'];
  const body = template
    ? template
        .replaceAll('$context.error.responseType', type)
        .replaceAll('$context.error.messageString', JSON.stringify(message))
        .replaceAll('$context.error.message', message)
        .replaceAll('$context.requestId', requestId)
    : JSON.stringify({ message });
  const answer = jsonAnswer(statusCode, body, options.errorType);
  for (const [name, expression] of Object.entries(chosen?.ResponseParameters?.Headers ?? {})) {
    const value = mappedValue(expression, options.headers);
    if (value !== undefined) answer.headers.push([name, value]);
  }
  return answer;
}

/** A gateway response's header mapping: `'static'`, or `method.request.header.<name>` from the request. */
function mappedValue(expression: string, headers: [string, string][]): string | undefined {
  const quoted = /^'(.*)'$/s.exec(expression);
  if (quoted) return quoted[1];
  const fromHeader = /^method\.request\.header\.(.+)$/.exec(expression);
  if (fromHeader) return lastValue(headers, fromHeader[1]?.toLowerCase() ?? '');
  return undefined;
}

/** One of API Gateway's own answers, with the error type it names in a header where it does. */
function jsonAnswer(statusCode: number, body: string, errorType?: string): HttpResponse {
  const headers: [string, string][] = [['Content-Type', 'application/json']];
  if (errorType) headers.push(['x-amzn-ErrorType', errorType]);
  return { statusCode, headers, body: Buffer.from(body) };
}

/** The whole body, or undefined when it is over `limit` bytes (the rest is read and dropped). */
async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  return size > limit ? undefined : Buffer.concat(chunks);
}

function splitPath(path: string): string[] {
  const trimmed = trimTrailingSlash(path);
  return trimmed === '/' ? [] : trimmed.slice(1).split('/');
}

// REST APIs route `/users/` as `/users`, and deploy a `/users/` resource as `/users`.
function trimTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/**
 * Binds a resource template to request segments. Segments are split before decoding, so `%2F` never
 * separates segments; only a greedy `{name+}` spans several. Ranks: 0 literal, 1 `{param}`, 2 greedy.
 */
function bindPath(
  template: string[],
  segments: string[],
): { pathParameters: Record<string, string>; ranks: number[] } | undefined {
  const pathParameters: Record<string, string> = {};
  const ranks: number[] = [];
  for (const [index, part] of template.entries()) {
    const name = /^\{(.+?)(\+?)\}$/.exec(part);
    if (name?.[2]) {
      const rest = segments.slice(index).join('/');
      if (rest === '') return undefined;
      pathParameters[name[1] as string] = decode(rest);
      ranks.push(2);
      return { pathParameters, ranks };
    }
    const segment = segments[index];
    if (segment === undefined || segment === '') return undefined;
    if (name) pathParameters[name[1] as string] = decode(segment);
    else if (decode(segment) !== part) return undefined;
    ranks.push(name ? 1 : 0);
  }
  return template.length === segments.length ? { pathParameters, ranks } : undefined;
}

function compareRanks(a: number[], b: number[]): number {
  for (let index = 0; index < Math.min(a.length, b.length); index++) {
    const difference = (a[index] as number) - (b[index] as number);
    if (difference !== 0) return difference;
  }
  return b.length - a.length;
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    // Not valid percent-encoding: passed on as sent.
    return value;
  }
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

function lastValue(pairs: [string, string][], name: string): string | undefined {
  return pairs.findLast(([candidate]) => candidate.toLowerCase() === name)?.[1];
}

function pairUp(raw: string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let index = 0; index + 1 < raw.length; index += 2)
    pairs.push([raw[index] as string, raw[index + 1] as string]);
  return pairs;
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

function malformed(reason: string): MalformedProxyResponseError {
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

function nullWhenEmpty<T extends object>(map: T): T | null {
  return Object.keys(map).length > 0 ? map : null;
}

function apiLogicalId(restApiId: unknown): string {
  if (typeof restApiId === 'string') return restApiId;
  const ref = asRecord(restApiId).Ref;
  return typeof ref === 'string' ? ref : 'ServerlessRestApi';
}

function shortHash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

// API Gateway's `$context.requestTime`: 27/Nov/2026:10:15:42 +0000.
function formatRequestTime(date: Date): string {
  const [, day, month, year, time] = date.toUTCString().split(' ');
  return `${day}/${month}/${year}:${time} +0000`;
}

function asRecord(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}
