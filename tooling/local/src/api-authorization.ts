/** What API Gateway decides about a route's authorizer before the function runs. */
import type { ApiRoute } from './api-routes.ts';
import type { Authorization, CognitoRouteAuthorizer } from './cognito-authorizer.ts';

/** Runs a route's Cognito authorizer on the request's headers (cognitoAuthorizer's `authorize`). */
export type Authorize = (
  authorizer: CognitoRouteAuthorizer,
  headers: [string, string][],
) => Promise<Authorization>;

/**
 * Undefined when no authorizer runs: the route has none, or it is an OPTIONS request that its default
 * authorizer leaves open (`AddDefaultAuthorizerToCorsPreflight: false`). Otherwise the authorizer's
 * outcome; an unsupported authorizer, or none running here (`authorize` unset), is unauthorized.
 */
export async function authorizeRoute(
  route: ApiRoute,
  method: string,
  headers: [string, string][],
  authorize: Authorize | undefined,
): Promise<Authorization | undefined> {
  const { authorizer } = route;
  if (!authorizer || (method === 'OPTIONS' && 'openPreflight' in authorizer && authorizer.openPreflight)) {
    return undefined;
  }
  if ('unsupported' in authorizer) return { unauthorized: authorizer.unsupported };
  return authorize ? authorize(authorizer, headers) : { unauthorized: 'no authorizer runs here' };
}
