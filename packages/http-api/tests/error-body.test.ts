import { describe, expect, it } from 'vitest';
import { httpError, internalErrorBody } from '../src/error-body.ts';

describe('httpError', () => {
  it('carries the status, the body as JSON and the headers, exposed to the client', () => {
    const error = httpError(503, { error: 'ServiceUnavailable', message: 'busy' }, { 'Retry-After': '1' });

    expect(error.statusCode).toBe(503);
    expect(error.expose).toBe(true);
    expect(JSON.parse(error.message)).toEqual({ error: 'ServiceUnavailable', message: 'busy' });
    expect((error as unknown as { headers: unknown }).headers).toEqual({ 'Retry-After': '1' });
  });

  it('has no headers unless given some', () => {
    expect(httpError(404, { error: 'NotFound', message: 'no' })).not.toHaveProperty('headers');
  });
});

describe('internalErrorBody', () => {
  it('is the error body of every 500: a code and a message, nothing else', () => {
    expect(JSON.parse(internalErrorBody)).toEqual({
      error: 'InternalError',
      message: 'An unexpected error occurred',
    });
  });
});
