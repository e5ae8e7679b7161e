import type { Route, RouteNotFoundResponseFn } from '@middy/http-router';
import { createError } from '@middy/util';

/**
 * http-router's `notFoundResponse` for `routes`: 405 with `Allow` when the path exists under other
 * methods, else 404. Method and path are clipped in the message: both come from the client.
 */
export function methodNotAllowedOrNotFound<Event>(routes: Route<Event, unknown>[]): RouteNotFoundResponseFn {
  const patterns = [...new Set(routes.map((route) => route.path))].map((path) => ({
    regex: new RegExp(`^${path.replace(/\{[^/]+\}/g, '[^/]+')}/?$`),
    methods: routes.filter((route) => route.path === path).map((route) => route.method),
  }));
  return ({ method, path }) => {
    const allowed = patterns.find((pattern) => pattern.regex.test(path))?.methods;
    if (!allowed) throw createError(404, `No route for ${method.slice(0, 20)} ${path.slice(0, 200)}`);
    const allow = allowed.join(', ');
    const error = createError(405, `${method.slice(0, 20)} is not allowed here; use ${allow}`);
    throw Object.assign(error, { headers: { Allow: allow } });
  };
}
