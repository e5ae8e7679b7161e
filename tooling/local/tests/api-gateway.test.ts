import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseTemplate, readTemplate } from '@repo/sam-template/read-template';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayResponse } from '../src/api-gateway-responses.ts';
import type { HttpRequest } from '../src/api-http.ts';
import { toProxyEvent } from '../src/api-proxy-event.ts';
import { fromProxyResult, MalformedProxyResponseError } from '../src/api-proxy-result.ts';
import { matchRoute } from '../src/api-route-match.ts';
import { type ApiRoute, apiRoutes } from '../src/api-routes.ts';
import { startApiServer } from '../src/api-server.ts';
import { FunctionHost } from '../src/function-host.ts';
import { type InvokeOptions, type InvokeOutcome, throttledError } from '../src/types.ts';
import { localRuntime } from './local-runtime.ts';

// The PNG signature and the start of an IHDR chunk: bytes that are not UTF-8.
const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');

function route(method: string, path: string, functionId = 'Fn'): ApiRoute {
  return { functionId, eventName: `${method}${path}`, method, path, restApiId: 'Api' };
}

function request(overrides: Partial<HttpRequest> = {}): HttpRequest {
  return {
    method: 'GET',
    url: '/users',
    headers: [
      ['Host', '127.0.0.1:3000'],
      ['User-Agent', 'curl/8.5.0'],
    ],
    body: Buffer.alloc(0),
    sourceIp: '127.0.0.1',
    ...overrides,
  };
}

function templateWithEvents(events: string): string {
  return `
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      Events:
${events}
`;
}

describe('apiRoutes', () => {
  it('reads every Api event of the repo template, with the API it belongs to', () => {
    // Prepare
    const template = readTemplate();

    // Act
    const { routes, unsupported } = apiRoutes(template);

    // Assess
    const users = routes.filter((candidate) => candidate.functionId === 'UsersApiFunction');
    expect(users.map(({ method, path }) => `${method} ${path}`).sort()).toEqual(
      [
        'GET /users',
        'POST /users',
        'GET /users/{id}',
        'PUT /users/{id}',
        'DELETE /users/{id}',
        'ANY /users',
        'ANY /users/{id}',
        'ANY /{proxy+}',
      ].sort(),
    );
    expect(users.every((candidate) => candidate.restApiId === 'UsersApi')).toBe(true);
    expect(users.find((candidate) => candidate.eventName === 'GetUser')?.path).toBe('/users/{id}');
    // Every route is served; what the local API does not apply is named, not ignored.
    expect(unsupported).toEqual([
      'Resources.UsersApi.Cors (not applied by the local API)',
      'Resources.UsersApi.MethodSettings (not applied by the local API)',
      'Resources.UploadsApi.Cors (not applied by the local API)',
      'Resources.UploadsApi.MethodSettings (not applied by the local API)',
    ]);
    const uploads = routes.filter((candidate) => candidate.functionId === 'UploadsApiFunction');
    expect(uploads.map(({ method, path, restApiId }) => `${restApiId} ${method} ${path}`)).toEqual([
      'UploadsApi POST /uploads',
      'UploadsApi GET /uploads/{uploadId}',
    ]);
  });

  it('upper-cases methods, drops a trailing slash and defaults to the implicit API', () => {
    // Prepare
    const template = parseTemplate(
      templateWithEvents(`
        Anything:
          Type: Api
          Properties: { Path: /things/, Method: any }
        List:
          Type: Api
          Properties: { Path: "/things/{id}", Method: get, RestApiId: MyApi }`),
    );

    // Act
    const { routes } = apiRoutes(template);

    // Assess
    expect(routes).toEqual([
      {
        functionId: 'Fn',
        eventName: 'Anything',
        method: 'ANY',
        path: '/things',
        restApiId: 'ServerlessRestApi',
      },
      { functionId: 'Fn', eventName: 'List', method: 'GET', path: '/things/{id}', restApiId: 'MyApi' },
    ]);
  });

  it('names HttpApi events as unsupported and ignores other event types', () => {
    // Prepare
    const template = parseTemplate(
      templateWithEvents(`
        X:
          Type: HttpApi
          Properties: { Path: /x, Method: GET }
        Jobs:
          Type: SQS
          Properties: { Queue: !GetAtt Queue.Arn }`),
    );

    // Act
    const { routes, unsupported } = apiRoutes(template);

    // Assess
    expect(routes).toEqual([]);
    expect(unsupported).toEqual(['Fn.Events.X: HttpApi events are not supported locally']);
  });

  it('names events it cannot serve: a bad method, a bad path, a greedy segment not last, a twin', () => {
    // Prepare
    const template = parseTemplate(
      templateWithEvents(`
        BadMethod:
          Type: Api
          Properties: { Path: /a, Method: FETCH }
        BadPath:
          Type: Api
          Properties: { Path: a, Method: GET }
        GreedyInside:
          Type: Api
          Properties: { Path: "/{proxy+}/b", Method: GET }
        First:
          Type: Api
          Properties: { Path: /c, Method: GET }
        Twin:
          Type: Api
          Properties: { Path: /c/, Method: get, RestApiId: !Ref OtherApi }`),
    );

    // Act
    const { routes, unsupported } = apiRoutes(template);

    // Assess
    expect(routes.map((candidate) => candidate.eventName)).toEqual(['First']);
    expect(unsupported).toEqual([
      expect.stringMatching(/^Fn\.Events\.BadMethod: Method "FETCH" is not one of/),
      'Fn.Events.BadPath: Path "a" does not start with /',
      'Fn.Events.GreedyInside: Path /{proxy+}/b: a greedy {name+} must be the last segment',
      'Fn.Events.Twin: GET /c is already served by Fn.Events.First',
    ]);
  });
});

describe('matchRoute', () => {
  const routes = [
    route('GET', '/users'),
    route('POST', '/users'),
    // ANY before GET: the order routes come in must not decide.
    route('ANY', '/users/{id}'),
    route('GET', '/users/{id}'),
    route('PATCH', '/users/me'),
    route('GET', '/files/{proxy+}'),
    route('ANY', '/{proxy+}'),
  ];

  it('prefers a literal segment to a {param}', () => {
    // Act
    const match = matchRoute([route('GET', '/users/{id}'), route('GET', '/users/me')], 'GET', '/users/me');

    // Assess
    expect(match).toEqual({ route: route('GET', '/users/me'), pathParameters: {} });
  });

  it('prefers a {param} to a greedy {proxy+}', () => {
    // Act
    const match = matchRoute(routes, 'GET', '/users/42');

    // Assess
    expect(match).toEqual({ route: route('GET', '/users/{id}'), pathParameters: { id: '42' } });
  });

  it('prefers the method to ANY on the same resource, and takes ANY for other methods', () => {
    // Act
    const get = matchRoute(routes, 'GET', '/users/42');
    const put = matchRoute(routes, 'PUT', '/users/42');

    // Assess
    expect(get).toMatchObject({ route: { method: 'GET', path: '/users/{id}' } });
    expect(put).toMatchObject({
      route: { method: 'ANY', path: '/users/{id}' },
      pathParameters: { id: '42' },
    });
  });

  it('falls back to a less specific resource that has the method, as REST APIs do', () => {
    // Act: /users/me has only PATCH, so GET goes to /users/{id} and DELETE to ANY /users/{id}.
    const get = matchRoute(routes, 'GET', '/users/me');
    const remove = matchRoute(routes, 'DELETE', '/users');

    // Assess
    expect(get).toEqual({ route: route('GET', '/users/{id}'), pathParameters: { id: 'me' } });
    expect(remove).toEqual({ route: route('ANY', '/{proxy+}'), pathParameters: { proxy: 'users' } });
  });

  it('lets a greedy {proxy+} take several segments but not none', () => {
    // Act
    const deep = matchRoute(routes, 'GET', '/files/a/b%20c/d.png');
    const root = matchRoute(routes, 'GET', '/');

    // Assess
    expect(deep).toEqual({
      route: route('GET', '/files/{proxy+}'),
      pathParameters: { proxy: 'a/b c/d.png' },
    });
    expect(root).toBeUndefined();
  });

  it('decodes parameters, but never splits a {param} at an encoded slash', () => {
    // Prepare
    const narrow = [route('GET', '/users/{id}'), route('GET', '/users/{id}/x')];

    // Act
    const space = matchRoute(narrow, 'GET', '/users/a%20b');
    const slash = matchRoute(narrow, 'GET', '/users/a%2Fb');
    const twoSegments = matchRoute(narrow, 'GET', '/users/a/b');
    const badEncoding = matchRoute(narrow, 'GET', '/users/100%');

    // Assess
    expect(space).toMatchObject({ route: { path: '/users/{id}' }, pathParameters: { id: 'a b' } });
    expect(slash).toMatchObject({ route: { path: '/users/{id}' }, pathParameters: { id: 'a/b' } });
    expect(twoSegments).toBeUndefined();
    expect(badEncoding).toMatchObject({ pathParameters: { id: '100%' } });
  });

  it('matches a path with a trailing slash to the resource without it', () => {
    // Act
    const match = matchRoute(routes, 'GET', '/users/');

    // Assess
    expect(match).toEqual({ route: route('GET', '/users'), pathParameters: {} });
  });

  it('names the methods the path has when the request method is not one of them', () => {
    // Act
    const match = matchRoute([route('GET', '/users'), route('POST', '/users')], 'DELETE', '/users');

    // Assess
    expect(match).toEqual({ allowedMethods: ['GET', 'POST'] });
  });

  it('matches nothing when no resource fits the path', () => {
    // Act
    const match = matchRoute([route('GET', '/users')], 'GET', '/orders');

    // Assess
    expect(match).toBeUndefined();
  });
});

describe('toProxyEvent', () => {
  it('builds the REST proxy event: single and multi-value headers and query strings, path parameters', () => {
    // Prepare
    const sent = request({
      method: 'POST',
      url: '/users/a%20b?tag=x&tag=y+z&q=%C3%A9t%C3%A9&empty',
      headers: [
        ['Host', '127.0.0.1:3000'],
        ['User-Agent', 'curl/8.5.0'],
        ['Content-Type', 'application/json; charset=utf-8'],
        ['Cookie', 'a=1'],
        ['cookie', 'b=2'],
      ],
      body: Buffer.from('{"name":"Ada"}'),
      requestId: 'c0ffee00-0000-4000-8000-000000000001',
    });

    // Act
    const event = toProxyEvent(sent, route('ANY', '/users/{id}'), { id: 'a b' }, 'local');

    // Assess
    expect(event).toMatchObject({
      resource: '/users/{id}',
      path: '/users/a%20b',
      httpMethod: 'POST',
      headers: { Host: '127.0.0.1:3000', 'Content-Type': 'application/json; charset=utf-8', Cookie: 'b=2' },
      multiValueHeaders: { Cookie: ['a=1', 'b=2'], 'User-Agent': ['curl/8.5.0'] },
      queryStringParameters: { tag: 'y z', q: 'été', empty: '' },
      multiValueQueryStringParameters: { tag: ['x', 'y z'], q: ['été'], empty: [''] },
      pathParameters: { id: 'a b' },
      stageVariables: null,
      body: '{"name":"Ada"}',
      isBase64Encoded: false,
    });
    expect(event.headers).toMatchObject({ 'X-Forwarded-For': '127.0.0.1', 'X-Forwarded-Port': '3000' });
    expect(event.requestContext).toMatchObject({
      accountId: '123456789012',
      apiId: expect.stringMatching(/^[0-9a-f]{10}$/),
      resourceId: expect.stringMatching(/^[0-9a-f]{6}$/),
      resourcePath: '/users/{id}',
      httpMethod: 'POST',
      path: '/users/a%20b',
      stage: 'local',
      requestId: 'c0ffee00-0000-4000-8000-000000000001',
      requestTimeEpoch: expect.any(Number),
      requestTime: expect.stringMatching(/^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/),
      protocol: 'HTTP/1.1',
      identity: { sourceIp: '127.0.0.1', userAgent: 'curl/8.5.0', accessKey: null, user: null },
      domainName: '127.0.0.1:3000',
    });
  });

  it('gives null maps and a null body when there are no query string, parameters or body', () => {
    // Act
    const event = toProxyEvent(request({ url: '/users' }), route('GET', '/users'), {}, 'local');

    // Assess
    expect(event).toMatchObject({
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
      body: null,
      isBase64Encoded: false,
    });
  });

  it('sends a binary body base64-encoded', () => {
    // Prepare
    const upload = request({
      method: 'PUT',
      headers: [['Content-Type', 'image/png']],
      body: png,
    });

    // Act
    const event = toProxyEvent(upload, route('PUT', '/users'), {}, 'local');

    // Assess
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? '', 'base64')).toEqual(png);
  });

  it.each([
    ['text/plain', false],
    ['application/problem+json', false],
    ['application/x-www-form-urlencoded', false],
    ['APPLICATION/XML; charset=utf-8', false],
    ['application/octet-stream', true],
    ['multipart/form-data; boundary=x', true],
    [undefined, true],
  ])('base64-encodes a %s body: %s', (contentType, base64) => {
    // Prepare
    const sent = request({
      method: 'POST',
      headers: contentType ? [['content-type', contentType]] : [],
      body: Buffer.from('hello'),
    });

    // Act
    const event = toProxyEvent(sent, route('POST', '/users'), {}, 'local');

    // Assess
    expect(event.isBase64Encoded).toBe(base64);
    expect(event.body).toBe(base64 ? 'aGVsbG8=' : 'hello');
  });

  it('appends the caller to an X-Forwarded-For the client sent', () => {
    // Prepare
    const sent = request({ headers: [['x-forwarded-for', '203.0.113.7']], sourceIp: '10.0.0.2' });

    // Act
    const event = toProxyEvent(sent, route('GET', '/users'), {}, 'local');

    // Assess
    expect(event.multiValueHeaders['X-Forwarded-For']).toEqual(['203.0.113.7, 10.0.0.2']);
  });
});

describe('fromProxyResult', () => {
  it('merges headers and multiValueHeaders, sending a value found in both once', () => {
    // Act
    const response = fromProxyResult({
      statusCode: 201,
      headers: { 'Content-Type': 'text/plain', 'Set-Cookie': 'b=2', 'X-Count': 3, 'X-Flag': true },
      multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'], Vary: ['Origin', 'Accept'] },
      body: 'created',
    });

    // Assess
    expect(response.statusCode).toBe(201);
    expect(response.headers).toEqual([
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
      ['Vary', 'Origin'],
      ['Vary', 'Accept'],
      ['Content-Type', 'text/plain'],
      ['X-Count', '3'],
      ['X-Flag', 'true'],
    ]);
    expect(response.body.toString()).toBe('created');
  });

  it('decodes a base64 body', () => {
    // Act
    const response = fromProxyResult({
      statusCode: 200,
      headers: { 'Content-Type': 'image/png' },
      body: png.toString('base64'),
      isBase64Encoded: true,
    });

    // Assess
    expect(response.body).toEqual(png);
  });

  it('defaults to 200, an empty body and Content-Type application/json, taking nulls as absent', () => {
    // Act
    const response = fromProxyResult({ statusCode: null, headers: null, body: null, isBase64Encoded: null });

    // Assess
    expect(response).toEqual({
      statusCode: 200,
      headers: [['Content-Type', 'application/json']],
      body: Buffer.alloc(0),
    });
  });

  it('renames headers that API Gateway keeps for itself', () => {
    // Act
    const response = fromProxyResult({ statusCode: 200, headers: { 'Content-Length': '999', Server: 'me' } });

    // Assess
    expect(response.headers).toEqual([
      ['x-amzn-Remapped-Content-Length', '999'],
      ['x-amzn-Remapped-Server', 'me'],
      ['Content-Type', 'application/json'],
    ]);
  });

  it.each([
    ['no result', undefined, /the result is undefined/],
    ['a string', 'hello', /the result is string "hello", not an object/],
    ['an array', [], /the result is an array/],
    ['statusCode as a string', { statusCode: '200' }, /statusCode "200" is not an integer/],
    ['statusCode below 100', { statusCode: 99 }, /statusCode 99/],
    ['statusCode above 599', { statusCode: 600 }, /statusCode 600/],
    ['statusCode not whole', { statusCode: 200.5 }, /statusCode 200.5/],
    ['body as an object', { statusCode: 200, body: { ok: true } }, /body is an object, not a string/],
    ['a header value object', { statusCode: 200, headers: { 'X-A': {} } }, /headers.X-A is an object/],
    ['headers as an array', { statusCode: 200, headers: [] }, /headers is an array/],
    [
      'a multi-value header not an array',
      { multiValueHeaders: { 'X-A': 'b' } },
      /multiValueHeaders.X-A is string/,
    ],
    [
      'a multi-value header item null',
      { multiValueHeaders: { 'X-A': [null] } },
      /multiValueHeaders.X-A is null/,
    ],
    ['a header value with a newline', { headers: { 'X-A': 'a\nb' } }, /header "X-A"/],
    ['a header name with a space', { headers: { 'X A': 'b' } }, /header "X A"/],
    ['isBase64Encoded as a string', { body: '', isBase64Encoded: 'true' }, /isBase64Encoded is string/],
    ['an unknown field', { statusCode: 200, cookies: ['a=1'] }, /unexpected field\(s\) cookies/],
  ])('rejects %s as a malformed proxy response', (_case, result, reason) => {
    // Act
    const act = () => fromProxyResult(result);

    // Assess
    expect(act).toThrow(MalformedProxyResponseError);
    expect(act).toThrow(reason);
  });
});

describe('startApiServer', () => {
  const events: APIGatewayProxyEvent[] = [];
  const logged: string[] = [];
  const invokeOptions: (InvokeOptions | undefined)[] = [];
  let answer: (event: APIGatewayProxyEvent) => Promise<InvokeOutcome>;
  let server: { url: string; close(): Promise<void> };

  const ok = (result: unknown): InvokeOutcome => ({ ok: true, result, requestId: 'r', durationMs: 1 });

  beforeAll(async () => {
    server = await startApiServer({
      routes: [route('GET', '/users'), route('POST', '/users'), route('ANY', '/files/{proxy+}')],
      invoke: async (_functionId, event, _trigger, options) => {
        events.push(event as APIGatewayProxyEvent);
        invokeOptions.push(options);
        return answer(event as APIGatewayProxyEvent);
      },
      port: 0,
      log: (line) => logged.push(line),
    });
  });

  afterAll(() => server.close());

  beforeEach(() => {
    events.length = 0;
    invokeOptions.length = 0;
    logged.length = 0;
    answer = async () => ok({ statusCode: 200, body: '[]' });
  });

  /** After any failure the server must still serve the next request. */
  async function expectStillServing() {
    answer = async () => ok({ statusCode: 200, body: 'still here' });
    const response = await fetch(`${server.url}/users`);
    expect(await response.text()).toBe('still here');
  }

  it('listens on the free port it picked', () => {
    // Assess
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.url).not.toMatch(/:0$/);
  });

  it('round-trips JSON through the function, tagging the response with the request id', async () => {
    // Prepare
    answer = async (event) =>
      ok({
        statusCode: 201,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ got: event.body }),
      });

    // Act
    const response = await fetch(`${server.url}/users?limit=5`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"name":"Ada"}',
    });

    // Assess
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ got: '{"name":"Ada"}' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      resource: '/users',
      path: '/users',
      httpMethod: 'POST',
      queryStringParameters: { limit: '5' },
      requestContext: { stage: 'local', identity: { sourceIp: '127.0.0.1' } },
    });
    expect(response.headers.get('x-amzn-requestid')).toBe(events[0]?.requestContext.requestId);
  });

  it('invokes in the caller’s trace when its X-Amzn-Trace-Id names a root, and answers with that root', async () => {
    // Prepare
    const root = '1-6b0912b3-28e02368ba7444aef6f6c61a';

    // Act
    const response = await fetch(`${server.url}/users`, {
      headers: { 'X-Amzn-Trace-Id': `Root=${root};Parent=53995c3f42cd8ad8;Sampled=1` },
    });

    // Assess
    expect(response.headers.get('x-amzn-trace-id')).toBe(`Root=${root}`);
    expect(invokeOptions).toEqual([{ traceHeader: `Root=${root}` }]);
  });

  it('invokes in a new trace, and answers with its root, when the caller sends no valid trace header', async () => {
    // Act
    const without = await fetch(`${server.url}/users`);
    const invalid = await fetch(`${server.url}/users`, {
      headers: { 'X-Amzn-Trace-Id': 'Root=1-nope;Sampled=1' },
    });

    // Assess
    const roots = [without, invalid].map((response) => response.headers.get('x-amzn-trace-id'));
    for (const root of roots) expect(root).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(roots[0]).not.toBe(roots[1]);
    expect(invokeOptions).toEqual(roots.map((root) => ({ traceHeader: root })));
  });

  it('passes a binary request body base64-encoded and path parameters decoded', async () => {
    // Act
    await fetch(`${server.url}/files/a%20b/c.png`, {
      method: 'PUT',
      headers: { 'Content-Type': 'image/png' },
      body: png,
    });

    // Assess
    expect(events[0]).toMatchObject({ resource: '/files/{proxy+}', pathParameters: { proxy: 'a b/c.png' } });
    expect(Buffer.from(events[0]?.body ?? '', 'base64')).toEqual(png);
  });

  it('sends a binary response body byte for byte', async () => {
    // Prepare
    answer = async () =>
      ok({
        statusCode: 200,
        headers: { 'Content-Type': 'image/png' },
        body: png.toString('base64'),
        isBase64Encoded: true,
      });

    // Act
    const response = await fetch(`${server.url}/files/pixel.png`);

    // Assess
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await response.arrayBuffer())).toEqual(png);
  });

  it('sends every value of a multi-value header, Set-Cookie included', async () => {
    // Prepare
    answer = async () =>
      ok({
        statusCode: 200,
        headers: { 'Set-Cookie': 'c=3' },
        multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'], 'X-Tag': ['x', 'y'] },
      });

    // Act
    const response = await fetch(`${server.url}/users`);

    // Assess
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2', 'c=3']);
    expect(response.headers.get('x-tag')).toBe('x, y');
  });

  it.each([
    ['an unknown path', 'GET', '/orders'],
    ['the parent of a {proxy+}, which it does not cover', 'GET', '/files'],
    ['a method the path does not have', 'DELETE', '/users'],
  ])('answers 403 Missing Authentication Token for %s, without invoking', async (_case, method, path) => {
    // Act
    const response = await fetch(`${server.url}${path}`, { method });

    // Assess
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect(response.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.text()).toBe('{"message":"Missing Authentication Token"}');
    expect(events).toEqual([]);
    await expectStillServing();
  });

  it('answers 502 when the function fails, and logs why', async () => {
    // Prepare
    answer = async () => ({
      ok: false,
      error: { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 10.00 seconds' },
      requestId: 'r',
      durationMs: 10_000,
    });

    // Act
    const response = await fetch(`${server.url}/users`);

    // Assess
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.text()).toBe('{"message": "Internal server error"}');
    expect(logged).toEqual([
      'GET /users → 502: Fn failed with Sandbox.Timedout: Task timed out after 10.00 seconds',
    ]);
    await expectStillServing();
  });

  it('answers 502 for a malformed proxy response, and logs the reason', async () => {
    // Prepare
    answer = async () => ok({ statusCode: 200, body: { not: 'a string' } });

    // Act
    const response = await fetch(`${server.url}/users`);

    // Assess
    expect(response.status).toBe(502);
    expect(await response.text()).toBe('{"message": "Internal server error"}');
    expect(logged).toEqual([
      'GET /users → 502: Malformed Lambda proxy response: body is an object, not a string',
    ]);
    await expectStillServing();
  });

  it('answers 502 when invoke itself throws', async () => {
    // Prepare
    answer = async () => {
      throw new Error('host crashed');
    };

    // Act
    const response = await fetch(`${server.url}/users`);

    // Assess
    expect(response.status).toBe(502);
    expect(logged).toEqual(['GET /users → 502: host crashed']);
    await expectStillServing();
  });

  it('answers 413 for a body over 10 MB, without invoking', async () => {
    // Act
    const response = await fetch(`${server.url}/users`, {
      method: 'POST',
      body: Buffer.alloc(11 * 1024 * 1024),
    });

    // Assess
    expect(response.status).toBe(413);
    expect(await response.text()).toBe('HTTP content length exceeded 10485760 bytes.');
    expect(events).toEqual([]);
    await expectStillServing();
  });

  it("answers 413 when the event would be over Lambda's 6 MB payload limit, without invoking", async () => {
    // Prepare: 5 MB of binary is about 6.7 MB once base64-encoded into the event.
    const body = Buffer.alloc(5 * 1024 * 1024, 0xff);

    // Act
    const response = await fetch(`${server.url}/users`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body,
    });

    // Assess
    expect(response.status).toBe(413);
    // API Gateway's default gateway response template: {"message":$context.error.messageString}
    expect(await response.text()).toBe('{"message":"Request Too Long"}');
    expect(events).toEqual([]);
    await expectStillServing();
  });

  it('closes connections still waiting for a function', async () => {
    // Prepare
    let invoked: () => void = () => {};
    const waiting = new Promise<void>((resolve) => {
      invoked = resolve;
    });
    const own = await startApiServer({
      routes: [route('GET', '/users')],
      invoke: () => {
        invoked();
        return new Promise(() => {});
      },
      port: 0,
      log: () => {},
    });
    const pending = fetch(`${own.url}/users`);
    await waiting;

    // Act
    await own.close();

    // Assess
    await expect(pending).rejects.toThrow();
  });
});

describe('startApiServer: API Gateway’s own answers', () => {
  const throttled: InvokeOutcome = {
    ok: false,
    error: throttledError,
    requestId: 'r',
    durationMs: 0,
  };
  const servers: { url: string; close(): Promise<void> }[] = [];
  afterAll(() => Promise.all(servers.map((server) => server.close())));

  /** A server whose one function is always throttled, for an API with `responses` as its GatewayResponses. */
  async function serve(responses?: Record<string, GatewayResponse>) {
    const server = await startApiServer({
      routes: [route('GET', '/users')],
      invoke: async () => throttled,
      port: 0,
      gatewayResponses: responses ? { Api: responses } : {},
      log: () => undefined,
    });
    servers.push(server);
    return server.url;
  }

  const cors = { Headers: { 'Access-Control-Allow-Origin': "'https://app.example'" } };
  const template = {
    'application/json': '{"error":"$context.error.responseType","message":$context.error.messageString}',
  };

  it('answers a throttled function 500 {"message": "Internal server error"}, as API Gateway does', async () => {
    const response = await fetch(`${await serve()}/users`);

    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ message: 'Internal server error' });
  });

  it('shapes the answer with DEFAULT_5XX when the API customises it (the repo template’s CORS and body)', async () => {
    const url = await serve({ DEFAULT_5XX: { ResponseParameters: cors, ResponseTemplates: template } });

    const response = await fetch(`${url}/users`);

    expect(response.status).toBe(500);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(await response.json()).toEqual({ error: 'INTEGRATION_FAILURE', message: 'Internal server error' });
  });

  it('takes INTEGRATION_FAILURE over DEFAULT_5XX, with its status code and a header mapped from the request', async () => {
    const url = await serve({
      DEFAULT_5XX: { ResponseParameters: cors },
      INTEGRATION_FAILURE: {
        StatusCode: '429',
        ResponseParameters: { Headers: { 'Access-Control-Allow-Origin': 'method.request.header.Origin' } },
      },
    });

    const response = await fetch(`${url}/users`, { headers: { Origin: 'https://other.example' } });

    expect(response.status).toBe(429);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://other.example');
    expect(await response.json()).toEqual({ message: 'Internal server error' });
  });

  it('tags its own answers with a trace root too: the caller’s, else a new one', async () => {
    // Prepare
    const url = await serve();
    const root = '1-6b0912b3-28e02368ba7444aef6f6c61a';

    // Act
    const noRoute = await fetch(`${url}/nowhere`, { headers: { 'X-Amzn-Trace-Id': `Root=${root}` } });
    const throttledAnswer = await fetch(`${url}/users`);

    // Assess
    expect([noRoute.status, throttledAnswer.status]).toEqual([403, 500]);
    expect(noRoute.headers.get('x-amzn-trace-id')).toBe(`Root=${root}`);
    expect(throttledAnswer.headers.get('x-amzn-trace-id')).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
  });

  it('shapes an unknown route’s 403 with DEFAULT_4XX', async () => {
    const url = await serve({ DEFAULT_4XX: { ResponseParameters: cors, ResponseTemplates: template } });

    const response = await fetch(`${url}/nowhere`);

    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(await response.json()).toEqual({
      error: 'MISSING_AUTHENTICATION_TOKEN',
      message: 'Missing Authentication Token',
    });
  });
});

describe('startApiServer in front of the function host', () => {
  it('runs the function in the caller’s trace: its _X_AMZN_TRACE_ID has the root, and so does the answer', async () => {
    // Prepare
    const host = new FunctionHost(
      [
        {
          logicalId: 'Fn',
          ...localRuntime(),
          handlerFile: fileURLToPath(new URL('./fixtures/functions/trace-header.mjs', import.meta.url)),
          exportName: 'handler',
          timeoutSeconds: 30,
          memoryMb: 256,
          functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:Fn',
          environment: {},
        },
      ],
      { logs: new PassThrough(), log: () => undefined },
    );
    const server = await startApiServer({
      routes: [route('GET', '/users')],
      invoke: host.invoke,
      port: 0,
      log: () => undefined,
    });
    const root = '1-6b0912b3-28e02368ba7444aef6f6c61a';

    try {
      // Act
      const response = await fetch(`${server.url}/users`, {
        headers: { 'X-Amzn-Trace-Id': `Root=${root};Parent=53995c3f42cd8ad8;Sampled=1` },
      });

      // Assess
      const { traceHeader } = (await response.json()) as { traceHeader: string };
      expect(traceHeader).toMatch(new RegExp(`^Root=${root};Parent=[0-9a-f]{16};Sampled=0$`));
      expect(response.headers.get('x-amzn-trace-id')).toBe(`Root=${root}`);
    } finally {
      await server.close();
      await host.close();
    }
  });
});
