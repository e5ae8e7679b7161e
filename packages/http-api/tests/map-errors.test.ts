import type { Logger } from '@aws-lambda-powertools/logger';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import { createError } from '@middy/util';
import { UnauthenticatedError } from '@repo/events/cognito-caller';
import { describe, expect, it, vi } from 'vitest';
import * as z from 'zod/mini';
import { httpError } from '../src/error-body.ts';
import { type DomainErrorMapping, mapErrorsToHttp, toHttpError } from '../src/map-errors.ts';
import { RequestValidationError } from '../src/validation.ts';

class ThingNotFoundError extends Error {
  override readonly name = 'ThingNotFoundError';
}
class ThingStoreUnavailableError extends Error {
  override readonly name = 'ThingStoreUnavailableError';
}

const mapThingErrors: DomainErrorMapping = (error) => {
  if (error instanceof ThingNotFoundError) return httpError(404, { error: 'ThingNotFound', message: 'gone' });
  if (error instanceof ThingStoreUnavailableError) {
    return httpError(503, { error: 'ServiceUnavailable', message: 'busy' }, { 'Retry-After': '1' });
  }
  return undefined;
};

/** The status, body and headers `error` is answered with, or undefined when it is left for the 500. */
function answer(error: unknown) {
  const mapped = toHttpError(error, mapThingErrors);
  if (!mapped) return undefined;
  return {
    statusCode: mapped.statusCode,
    body: JSON.parse(mapped.message) as unknown,
    headers: (mapped as { headers?: Record<string, string> }).headers,
  };
}

/** What http-json-body-parser itself throws for `body`. */
function parserError(body: string): unknown {
  const before = httpJsonBodyParser().before as (request: { event: unknown }) => void;
  try {
    before({ event: { headers: { 'content-type': 'application/json' }, body } });
  } catch (error) {
    return error;
  }
  throw new Error(`expected the parser to refuse ${body}`);
}

const validationError = () => {
  const result = z.strictObject({ limit: z.number() }).safeParse({ limit: 'x', extra: 1 });
  if (result.success) throw new Error('expected the schema to fail');
  return new RequestValidationError('query', result.error);
};

describe('toHttpError', () => {
  it('answers a validation error 400 with every issue’s path (dotted) and message', () => {
    const error = validationError();

    expect(answer(error)).toEqual({
      statusCode: 400,
      body: {
        error: 'ValidationError',
        message: 'The request query is invalid',
        details: [
          { path: 'limit', message: error.zodError.issues[0]?.message },
          { path: '', message: error.zodError.issues[1]?.message },
        ],
      },
      headers: undefined,
    });
    expect(error.zodError.issues.map((issue) => issue.code)).toEqual(['invalid_type', 'unrecognized_keys']);
  });

  it('joins a nested issue’s path with dots', () => {
    const result = z.object({ owner: z.object({ emails: z.array(z.email()) }) }).safeParse({
      owner: { emails: ['a@example.com', 'nope'] },
    });
    if (result.success) throw new Error('expected the schema to fail');

    expect(answer(new RequestValidationError('body', result.error))).toMatchObject({
      body: { details: [{ path: 'owner.emails.1' }] },
    });
  });

  it('answers a request without an identity 401', () => {
    expect(answer(new UnauthenticatedError())).toEqual({
      statusCode: 401,
      body: { error: 'Unauthorized', message: 'Sign in: the request carries no identity' },
      headers: undefined,
    });
  });

  it('answers the app’s own errors as its mapping says, headers included', () => {
    expect(answer(new ThingNotFoundError())).toMatchObject({
      statusCode: 404,
      body: { error: 'ThingNotFound', message: 'gone' },
    });
    expect(answer(new ThingStoreUnavailableError())).toEqual({
      statusCode: 503,
      body: { error: 'ServiceUnavailable', message: 'busy' },
      headers: { 'Retry-After': '1' },
    });
  });

  it('keeps a middy HTTP error’s status and headers, its name without "Error" as the code', () => {
    const notAllowed = Object.assign(createError(405, 'PUT is not allowed here; use GET'), {
      headers: { Allow: 'GET' },
    });

    expect(answer(notAllowed)).toEqual({
      statusCode: 405,
      body: { error: 'MethodNotAllowed', message: 'PUT is not allowed here; use GET' },
      headers: { Allow: 'GET' },
    });
    expect(answer(createError(413, 'too big'))).toMatchObject({
      statusCode: 413,
      body: { error: 'PayloadTooLarge', message: 'too big' },
    });
  });

  it('answers the JSON body parser’s failure 400 MalformedJson, not its 422', () => {
    const parserFailure = parserError('{');

    expect(parserFailure).toMatchObject({ statusCode: 422 });
    expect(answer(parserFailure)).toEqual({
      statusCode: 400,
      body: { error: 'MalformedJson', message: 'The request body is not valid JSON' },
      headers: undefined,
    });
  });

  it.each([
    ['__proto__', '{"name":"Ada","__proto__":{"polluted":true}}'],
    ['constructor', '{"user":{"constructor":{"prototype":{"polluted":true}}}}'],
  ])('answers a %s key the parser refuses 400 ValidationError naming it, as a schema would', (key, body) => {
    expect(answer(parserError(body))).toEqual({
      statusCode: 400,
      body: {
        error: 'ValidationError',
        message: 'The request body is invalid',
        details: [{ path: '', message: `Key "${key}" is not allowed anywhere in the body` }],
      },
      headers: undefined,
    });
  });

  it.each([
    ['a plain Error', new Error('boom')],
    ['an SDK error with a status code', Object.assign(new Error('denied'), { statusCode: 403 })],
    ['a string', 'boom'],
  ])('leaves %s for the generic 500', (_, error) => {
    expect(answer(error)).toBeUndefined();
  });
});

describe('mapErrorsToHttp', () => {
  const fakeLogger = () => ({ info: vi.fn(), error: vi.fn() });
  const onError = (logger: ReturnType<typeof fakeLogger>, error: unknown) => {
    const request = { error } as { error: unknown };
    const middleware = mapErrorsToHttp(logger as unknown as Logger, mapThingErrors);
    (middleware.onError as (request: unknown) => void)(request);
    return request.error;
  };

  it('replaces a client mistake with its answer and names it in one INFO line, no stack', () => {
    const logger = fakeLogger();

    const mapped = onError(logger, new ThingNotFoundError('gone'));

    expect(mapped).toMatchObject({ statusCode: 404, expose: true });
    expect(logger.info).toHaveBeenCalledExactlyOnceWith('Request rejected', {
      statusCode: 404,
      reason: 'ThingNotFoundError',
    });
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('logs a mapped 5xx once as an ERROR with the error', () => {
    const logger = fakeLogger();
    const error = new ThingStoreUnavailableError('throttled');

    const mapped = onError(logger, error);

    expect(mapped).toMatchObject({ statusCode: 503 });
    expect(logger.error).toHaveBeenCalledExactlyOnceWith('Request failed', { statusCode: 503, error });
    expect(logger.info).not.toHaveBeenCalled();
  });

  it('logs an unknown error once as an ERROR and leaves it for http-error-handler’s 500', () => {
    const logger = fakeLogger();
    const error = new Error('boom');

    const mapped = onError(logger, error);

    expect(mapped).toBe(error);
    expect(logger.error).toHaveBeenCalledExactlyOnceWith('Unhandled error', error);
    expect(logger.info).not.toHaveBeenCalled();
  });
});
