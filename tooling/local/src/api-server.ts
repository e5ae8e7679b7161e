/** Serves the routes over HTTP as API Gateway's REST API with Lambda proxy integrations would. */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { newTraceRoot, traceRootOf } from '@repo/aws-local/xray-daemon';
import { type Authorize, authorizeRoute } from './api-authorization.ts';
import { type GatewayResponse, gatewayAnswer, internalServerError } from './api-gateway-responses.ts';
import { type HttpResponse, pairUp } from './api-http.ts';
import { toProxyEvent } from './api-proxy-event.ts';
import { fromProxyResult, MalformedProxyResponseError, malformed } from './api-proxy-result.ts';
import { matchRoute } from './api-route-match.ts';
import type { ApiRoute } from './api-routes.ts';
import { type ListeningServer, listenLocally } from './local-server.ts';
import { type Invoke, isThrottled, type Log } from './types.ts';

// API Gateway's quotas: 10 MB request payload; Lambda's: 6 MB for a synchronous request or response.
const maxRequestBytes = 10 * 1024 * 1024;
const maxInvokePayloadBytes = 6 * 1024 * 1024;

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
  authorize?: Authorize;
  log: Log;
}): Promise<ListeningServer> {
  const server = createServer((request, response) => {
    const requestId = randomUUID();
    // As API Gateway with tracing: the caller's trace when its X-Amzn-Trace-Id names one, else a new
    // one; the function's invocation joins it, and the answer says which it was.
    const caller = request.headers['x-amzn-trace-id'];
    const traceId = traceRootOf(Array.isArray(caller) ? caller[0] : caller) ?? newTraceRoot();
    const ids = { requestId, traceId };
    serveRequest(request, ids, routes, invoke, stage, gatewayResponses, authorize, log)
      .then((answer) => send(response, ids, answer))
      .catch((error: unknown) => {
        // A client that hung up mid-request gets no answer, and it was not a 502.
        if (request.socket.destroyed) return;
        log(`${request.method} ${request.url} → 502: ${(error as Error)?.message ?? error}`);
        if (response.headersSent) response.destroy();
        else send(response, ids, internalServerError);
      });
  });
  return listenLocally(server, port, host);
}

async function serveRequest(
  request: IncomingMessage,
  { requestId, traceId }: { requestId: string; traceId: string },
  routes: ApiRoute[],
  invoke: Invoke,
  stage: string,
  gatewayResponses: Record<string, Record<string, GatewayResponse>>,
  authorize: Authorize | undefined,
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
  const authorization = await authorizeRoute(route, method, headers, authorize);
  if (authorization && 'unauthorized' in authorization) {
    // API Gateway's own answer; the function never runs.
    log(`${method} ${path} → 401: ${authorization.unauthorized}`);
    return gatewayAnswer(responses, {
      type: 'UNAUTHORIZED',
      statusCode: 401,
      message: 'Unauthorized',
      requestId,
      headers,
    });
  }
  const authorized = authorization ? { claims: authorization.claims } : undefined;
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
  const outcome = await invoke(route.functionId, event, trigger, { traceHeader: `Root=${traceId}` });
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
  { requestId, traceId }: { requestId: string; traceId: string },
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
  response.setHeader('X-Amzn-Trace-Id', `Root=${traceId}`);
  response.end(body);
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
