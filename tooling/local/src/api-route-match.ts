/** The route API Gateway (REST) picks for a method and path: the most specific one, parameters decoded. */
import type { ApiRoute } from './api-routes.ts';

/** A route and its decoded path parameters, or the methods the path has when the request's is not one. */
export type RouteMatch =
  | { route: ApiRoute; pathParameters: Record<string, string> }
  | { allowedMethods: string[] };

/**
 * The route API Gateway (REST) would pick for `method` on `path` (as sent, percent-encoded, no query
 * string): the most specific resource that has the method or `ANY` (literal segment before `{param}`
 * before `{proxy+}`), and on that resource the method before `ANY`. When resources match but none has
 * the method, their methods; when none matches, undefined. API Gateway answers both with a 403.
 */
export function matchRoute(routes: ApiRoute[], method: string, path: string): RouteMatch | undefined {
  const segments = splitPath(path);
  const matches = routes.flatMap((route) => {
    const bound = bindPath(splitPath(route.path), segments);
    return bound ? [{ route, ...bound }] : [];
  });
  const [best] = matches
    .filter(({ route }) => route.method === method || route.method === 'ANY')
    .sort(
      (a, b) =>
        compareRanks(a.ranks, b.ranks) || Number(a.route.method === 'ANY') - Number(b.route.method === 'ANY'),
    );
  if (best) return { route: best.route, pathParameters: best.pathParameters };
  if (matches.length === 0) return undefined;
  return { allowedMethods: [...new Set(matches.map(({ route }) => route.method))] };
}

function splitPath(path: string): string[] {
  const trimmed = trimTrailingSlash(path);
  return trimmed === '/' ? [] : trimmed.slice(1).split('/');
}

// REST APIs route `/users/` as `/users`, and deploy a `/users/` resource as `/users`.
export function trimTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/**
 * Binds a resource template to request segments. Segments are split before decoding, so `%2F` never
 * separates segments; only a greedy `{name+}` spans several. Ranks: 0 literal, 1 `{param}`, 2 greedy.
 */
function bindPath(
  template: string[],
  segments: string[],
): { pathParameters: Record<string, string>; ranks: number[] } | undefined {
  const pathParameters: Record<string, string> = {};
  const ranks: number[] = [];
  for (const [index, part] of template.entries()) {
    const name = /^\{(.+?)(\+?)\}$/.exec(part);
    if (name?.[2]) {
      const rest = segments.slice(index).join('/');
      if (rest === '') return undefined;
      pathParameters[name[1] as string] = decode(rest);
      ranks.push(2);
      return { pathParameters, ranks };
    }
    const segment = segments[index];
    if (segment === undefined || segment === '') return undefined;
    if (name) pathParameters[name[1] as string] = decode(segment);
    else if (decode(segment) !== part) return undefined;
    ranks.push(name ? 1 : 0);
  }
  return template.length === segments.length ? { pathParameters, ranks } : undefined;
}

function compareRanks(a: number[], b: number[]): number {
  for (let index = 0; index < Math.min(a.length, b.length); index++) {
    const difference = (a[index] as number) - (b[index] as number);
    if (difference !== 0) return difference;
  }
  return b.length - a.length;
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    // Not valid percent-encoding: passed on as sent.
    return value;
  }
}
