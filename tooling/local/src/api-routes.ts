/** The template's `Type: Api` events as routes, and a line for each one that is not served locally. */
import { serverlessFunctions, type Template } from '@repo/sam-template/read-template';
import { isRecord } from '@repo/sam-template/template-values';
import { trimTrailingSlash } from './api-route-match.ts';
import type { CognitoRouteAuthorizer } from './cognito-authorizer.ts';

/** One `Type: Api` event of a function: a method on a resource of a REST API. */
export interface ApiRoute {
  functionId: string;
  /** The event's name under the function's `Events`, e.g. `ListUsers`. */
  eventName: string;
  /** Upper case; `ANY` matches every method. */
  method: string;
  /** The resource path template, e.g. `/users/{id}` or `/{proxy+}`; what the event calls `resource`. */
  path: string;
  /** Logical id of the `AWS::Serverless::Api`, or `ServerlessRestApi` for SAM's implicit API. */
  restApiId: string;
  /** The API's stage (its `StageName`; SAM's implicit API deploys `Prod`), as the event names it. */
  stage?: string;
  /** What API Gateway checks before the function runs (see routeAuthorizer); none: open. */
  authorizer?: CognitoRouteAuthorizer | { unsupported: string };
}

const methods = new Set(['ANY', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

/**
 * Every `Type: Api` event of the template's functions as a route, and a line for each event that will
 * not be served locally (`HttpApi` events, bad methods or paths, a method and path served twice).
 */
export function apiRoutes(template: Template): { routes: ApiRoute[]; unsupported: string[] } {
  const routes: ApiRoute[] = [];
  const unsupported: string[] = [];
  for (const { logicalId, properties } of serverlessFunctions(template)) {
    for (const [eventName, event] of Object.entries(asRecord(properties.Events))) {
      const where = `${logicalId}.Events.${eventName}`;
      const { Type, Properties } = asRecord(event);
      if (Type === 'HttpApi') unsupported.push(`${where}: HttpApi events are not supported locally`);
      if (Type !== 'Api') continue;
      const { Path, Method, RestApiId } = asRecord(Properties);
      const method = typeof Method === 'string' ? Method.toUpperCase() : '';
      const path = typeof Path === 'string' ? trimTrailingSlash(Path) : '';
      const problem = routeProblem(Method, Path, method, path, routes);
      if (problem) unsupported.push(`${where}: ${problem}`);
      else
        routes.push({ functionId: logicalId, eventName, method, path, restApiId: apiLogicalId(RestApiId) });
    }
  }
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Serverless::Api') continue;
    for (const property of Object.keys(resource.Properties ?? {})) {
      if (!apiPropertiesWithoutLocalEffect.has(property)) continue;
      unsupported.push(`Resources.${logicalId}.${property} (not applied by the local API)`);
    }
  }
  return { routes, unsupported };
}

// Serverless::Api settings the local server does not apply (it serves every route at the root, without
// API Gateway's own throttling); reported so nobody relies on them locally by accident.
const apiPropertiesWithoutLocalEffect = new Set([
  'BinaryMediaTypes',
  'CacheClusterEnabled',
  'Cors',
  'Domain',
  'MethodSettings',
  'Models',
  'RequestModels',
  'RequestParameters',
]);

function routeProblem(Method: unknown, Path: unknown, method: string, path: string, routes: ApiRoute[]) {
  if (!methods.has(method))
    return `Method ${JSON.stringify(Method)} is not one of ${[...methods].join(', ')}`;
  if (!path.startsWith('/')) return `Path ${JSON.stringify(Path)} does not start with /`;
  if (/\{[^}]+\+\}./.test(path)) return `Path ${path}: a greedy {name+} must be the last segment`;
  const twin = routes.find((other) => other.method === method && other.path === path);
  // One local server serves every API, so the same method and path in two APIs cannot both be served.
  if (twin) return `${method} ${path} is already served by ${twin.functionId}.Events.${twin.eventName}`;
  return undefined;
}

function apiLogicalId(restApiId: unknown): string {
  if (typeof restApiId === 'string') return restApiId;
  const ref = asRecord(restApiId).Ref;
  return typeof ref === 'string' ? ref : 'ServerlessRestApi';
}

function asRecord(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}
