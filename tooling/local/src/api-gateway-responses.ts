/** API Gateway's own answers (403, 401, 413, 500, 502), as an API's `GatewayResponses` shape them. */
import { type HttpResponse, lastValue } from './api-http.ts';

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

/** API Gateway's answer when the function failed or its response is malformed. */
export const internalServerError = jsonAnswer(502, '{"message": "Internal server error"}');

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
export function gatewayAnswer(
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
