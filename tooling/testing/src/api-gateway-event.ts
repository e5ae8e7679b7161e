import { randomUUID } from 'node:crypto';
import { asApiGatewayPasses } from '@repo/aws-local/api-gateway-claims';
import type { APIGatewayProxyEvent } from 'aws-lambda';

export interface RestApiRequest {
  method: string;
  /** The request path without the stage, e.g. `/users/42`. */
  path: string;
  /** The API Gateway resource that matched, e.g. `/users/{id}`; defaults to `path`. */
  resource?: string;
  pathParameters?: Record<string, string> | null;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string | string[]>;
  body?: string | null;
  isBase64Encoded?: boolean;
  stage?: string;
  /** The signed-in caller, as API Gateway's Cognito authorizer passes it; none: no authorizer ran. */
  caller?: { sub: string; groups?: string[] };
}

/**
 * The claims of a Cognito ID token as a REST API's Cognito authorizer puts them in
 * `requestContext.authorizer.claims` (see asApiGatewayPasses in @repo/aws-local/api-gateway-claims).
 */
export function cognitoClaims(
  { sub, groups = [] }: { sub: string; groups?: string[] },
  { userPoolId = 'us-east-1_Example', clientId = 'exampleclientid', now = new Date() } = {},
): Record<string, string> {
  const seconds = Math.floor(now.getTime() / 1000);
  return asApiGatewayPasses({
    sub,
    ...(groups.length === 0 ? {} : { 'cognito:groups': groups }),
    email_verified: true,
    iss: `https://cognito-idp.us-east-1.amazonaws.com/${userPoolId}`,
    'cognito:username': sub,
    aud: clientId,
    token_use: 'id',
    auth_time: seconds,
    exp: seconds + 3600,
    iat: seconds,
  });
}

/**
 * An API Gateway REST (v1) proxy event shaped like the real one: single- and multi-value headers and
 * query strings (API Gateway keeps the last value in the single-value maps), `null` for absent maps,
 * and a request context with request id, stage and the client's full path.
 */
export function restApiEvent(request: RestApiRequest): APIGatewayProxyEvent {
  const stage = request.stage ?? 'dev';
  const headers = {
    Host: 'abc123.execute-api.us-east-1.amazonaws.com',
    'User-Agent': 'vitest',
    ...request.headers,
  };
  const [singleHeaders, multiHeaders] = splitValues(headers);
  const [singleQuery, multiQuery] = splitValues(request.query ?? {});
  const requestId = randomUUID();
  return {
    resource: request.resource ?? request.path,
    path: request.path,
    httpMethod: request.method,
    headers: singleHeaders,
    multiValueHeaders: multiHeaders,
    queryStringParameters: Object.keys(singleQuery).length > 0 ? singleQuery : null,
    multiValueQueryStringParameters: Object.keys(multiQuery).length > 0 ? multiQuery : null,
    pathParameters: request.pathParameters ?? null,
    stageVariables: null,
    body: request.body ?? null,
    isBase64Encoded: request.isBase64Encoded ?? false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer: request.caller ? { claims: cognitoClaims(request.caller) } : null,
      protocol: 'HTTP/1.1',
      httpMethod: request.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '127.0.0.1',
        user: null,
        userAgent: 'vitest',
        userArn: null,
      },
      path: `/${stage}${request.path}`,
      stage,
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'res123',
      resourcePath: request.resource ?? request.path,
    },
  };
}

function splitValues(
  values: Record<string, string | string[]>,
): [Record<string, string>, Record<string, string[]>] {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(values)) {
    const list = Array.isArray(value) ? value : [value];
    multi[name] = list;
    const last = list.at(-1);
    if (last !== undefined) single[name] = last;
  }
  return [single, multi];
}
