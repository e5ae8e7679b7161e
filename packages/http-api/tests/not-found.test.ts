import type { Route } from '@middy/http-router';
import { describe, expect, it } from 'vitest';
import { methodNotAllowedOrNotFound } from '../src/not-found.ts';

const handler = async () => ({ statusCode: 200, body: '' });
const routes: Route<unknown, unknown>[] = [
  { method: 'GET', path: '/users', handler },
  { method: 'POST', path: '/users', handler },
  { method: 'GET', path: '/users/{id}', handler },
  { method: 'DELETE', path: '/users/{id}', handler },
];
const notFound = methodNotAllowedOrNotFound(routes);

/** What the not-found response throws for `method` `path`. */
function thrownFor(method: string, path: string) {
  try {
    notFound({ method, path });
  } catch (error) {
    return error as Error & { statusCode: number; headers?: Record<string, string> };
  }
  throw new Error('methodNotAllowedOrNotFound returned');
}

describe('methodNotAllowedOrNotFound', () => {
  it.each([
    ['PUT', '/users', 'GET, POST'],
    ['PATCH', '/users/', 'GET, POST'],
    ['POST', '/users/42', 'GET, DELETE'],
  ])('throws 405 for %s %s with Allow: %s', (method, path, allow) => {
    const error = thrownFor(method, path);

    expect(error.statusCode).toBe(405);
    expect(error.headers).toEqual({ Allow: allow });
    expect(error.message).toBe(`${method} is not allowed here; use ${allow}`);
  });

  it.each([['/accounts'], ['/users/42/photos'], ['/userss']])(
    'throws 404 for %s, a path no route has',
    (path) => {
      const error = thrownFor('GET', path);

      expect(error.statusCode).toBe(404);
      expect(error.headers).toBeUndefined();
      expect(error.message).toBe(`No route for GET ${path}`);
    },
  );

  it('clips the method and path it repeats from the client', () => {
    const error = thrownFor('X'.repeat(50), `/${'a'.repeat(500)}`);

    expect(error.message).toBe(`No route for ${'X'.repeat(20)} /${'a'.repeat(199)}`);
  });
});
