import { describe, expect, it } from 'vitest';
import { restApiEvent } from '../src/api-gateway-event.ts';

describe('restApiEvent', () => {
  it('builds a REST v1 proxy event with stage-prefixed request context path', () => {
    const event = restApiEvent({
      method: 'GET',
      path: '/users/42',
      resource: '/users/{id}',
      pathParameters: { id: '42' },
    });

    expect(event).toMatchObject({
      httpMethod: 'GET',
      path: '/users/42',
      resource: '/users/{id}',
      pathParameters: { id: '42' },
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      body: null,
      isBase64Encoded: false,
      requestContext: { path: '/dev/users/42', stage: 'dev', resourcePath: '/users/{id}', httpMethod: 'GET' },
    });
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps every value in the multi-value maps and the last one in the single-value maps, as API Gateway does', () => {
    const event = restApiEvent({
      method: 'GET',
      path: '/users',
      query: { limit: ['5', '10'], nextToken: 'abc' },
      headers: { Accept: ['text/html', 'application/json'] },
    });

    expect(event.queryStringParameters).toEqual({ limit: '10', nextToken: 'abc' });
    expect(event.multiValueQueryStringParameters).toEqual({ limit: ['5', '10'], nextToken: ['abc'] });
    expect(event.headers.Accept).toBe('application/json');
    expect(event.multiValueHeaders.Accept).toEqual(['text/html', 'application/json']);
  });
});
