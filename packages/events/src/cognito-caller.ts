import type { APIGatewayProxyEvent } from 'aws-lambda';

/**
 * The signed-in caller of a REST API route behind API Gateway's Cognito authorizer: the authorizer has
 * verified the ID token before the function runs (a missing, malformed, expired or foreign token never
 * gets here) and put its claims in `requestContext.authorizer.claims`.
 */
export interface Caller {
  /** The token's `sub`: who the caller is, for good (Cognito never reuses it). */
  id: string;
  /** Whether the caller is in the admin group the function was told of (false when it was told of none). */
  admin: boolean;
}

/** No verified identity reached the function: API Gateway's authorizer is missing in front of it. */
export class UnauthenticatedError extends Error {
  override readonly name = 'UnauthenticatedError';
  constructor() {
    super('The request carries no verified identity');
  }
}

/** The caller, from the authorizer's claims; throws UnauthenticatedError when there are none. */
export function callerOf(event: Pick<APIGatewayProxyEvent, 'requestContext'>, adminGroup?: string): Caller {
  const claims = event.requestContext?.authorizer?.claims as Record<string, unknown> | undefined;
  const sub = claims?.sub;
  if (typeof sub !== 'string' || sub === '') throw new UnauthenticatedError();
  const admin = adminGroup !== undefined && groupsOf(claims?.['cognito:groups']).includes(adminGroup);
  return { id: sub, admin };
}

/**
 * The `cognito:groups` claim as API Gateway's REST authorizer passes it: a string — one group, or
 * several in brackets separated by commas or spaces (`[admins, editors]`) — or, from other callers
 * such as `sam local invoke` events, a list.
 */
function groupsOf(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.filter((group): group is string => typeof group === 'string');
  if (typeof claim !== 'string') return [];
  return claim
    .replace(/^\[|\]$/g, '')
    .split(/[\s,]+/)
    .filter((group) => group !== '');
}
