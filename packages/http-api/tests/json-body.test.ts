import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { parsedBody, requireJsonBody, withJsonBody } from '../src/json-body.ts';

/** The parts of an event the JSON-body checks read, with header names as http-header-normalizer leaves them. */
const event = (body: string | null, contentType?: string, isBase64Encoded = false) =>
  ({
    body,
    isBase64Encoded,
    headers: contentType === undefined ? {} : { 'content-type': contentType },
  }) as unknown as APIGatewayProxyEvent;

/** What requireJsonBody(maxBytes) throws for `input`, or undefined when it lets it through. */
function checked(input: APIGatewayProxyEvent, maxBytes = 100) {
  const before = requireJsonBody(maxBytes).before as (request: { event: APIGatewayProxyEvent }) => void;
  try {
    before({ event: input });
    return undefined;
  } catch (error) {
    return error as Error & { statusCode: number };
  }
}

describe('requireJsonBody', () => {
  it.each([
    ['application/json'],
    ['application/json; charset=utf-8'],
    ['application/merge-patch+json'],
    ['APPLICATION/JSON'],
  ])('lets a body of %s through', (contentType) => {
    expect(checked(event('{}', contentType))).toBeUndefined();
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['form data', 'application/x-www-form-urlencoded'],
    ['json without a subtype boundary', 'application/jsonp'],
    ['a suffix type the parser refuses', 'application/a b+json'],
    ['no content type', undefined],
  ])('refuses %s with 415', (_, contentType) => {
    const error = checked(event('{}', contentType));

    expect(error?.statusCode).toBe(415);
    expect(error?.message).toBe('Content-Type must be application/json');
  });

  it.each([
    ['null', null],
    ['empty', ''],
  ])('refuses a %s body with 400', (_, body) => {
    const error = checked(event(body, 'application/json'));

    expect(error?.statusCode).toBe(400);
    expect(error?.message).toBe('A JSON request body is required');
  });

  it('refuses more than maxBytes with 413, counting UTF-8 bytes and decoded base64 bytes', () => {
    const atLimit = `"${'é'.repeat(49)}"`; // 2 + 49 × 2 = 100 bytes in 51 characters
    const overLimit = `"${'é'.repeat(50)}"`;

    expect(checked(event(atLimit, 'application/json'))).toBeUndefined();
    expect(checked(event(overLimit, 'application/json'))?.statusCode).toBe(413);
    expect(checked(event(overLimit, 'application/json'))?.message).toBe('The request body exceeds 100 bytes');
    // 136 base64 characters, 102 bytes once decoded
    const encoded = Buffer.from(overLimit).toString('base64');
    expect(checked(event(encoded, 'application/json', true))?.statusCode).toBe(413);
    expect(checked(event(Buffer.from(atLimit).toString('base64'), 'application/json', true))).toBeUndefined();
  });
});

describe('withJsonBody', () => {
  it('hands the route the parsed body, from plain or base64 text', async () => {
    const route = withJsonBody(1_000)(async (request) => ({
      statusCode: 200,
      body: JSON.stringify({ seen: parsedBody(request) }),
    }));

    for (const input of [
      event('{"name":"Ada"}', 'application/json'),
      event(Buffer.from('{"name":"Ada"}').toString('base64'), 'application/json', true),
    ]) {
      const response = await route(input, {} as never);
      expect(JSON.parse(response.body)).toEqual({ seen: { name: 'Ada' } });
    }
  });

  it('checks before parsing: the route never runs for a refused body', async () => {
    let ran = false;
    const route = withJsonBody(10)(async () => {
      ran = true;
      return { statusCode: 200, body: '' };
    });

    await expect(
      route(event('{"name":"Ada Lovelace"}', 'application/json'), {} as never),
    ).rejects.toMatchObject({
      statusCode: 413,
    });
    expect(ran).toBe(false);
  });

  it('lets the parser’s failure through as its own error, for mapErrorsToHttp to name MalformedJson', async () => {
    const route = withJsonBody(1_000)(async () => ({ statusCode: 200, body: '' }));

    await expect(route(event('{"name":', 'application/json'), {} as never)).rejects.toMatchObject({
      cause: { package: '@middy/http-json-body-parser' },
    });
  });
});
