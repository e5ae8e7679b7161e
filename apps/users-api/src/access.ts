import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { User } from './users.ts';

/**
 * Who may do what in users-api — the one place it is decided (README: users-api, "Who may do what").
 *
 * API Gateway's Cognito authorizer has verified the caller's ID token before the function runs (a
 * missing, malformed, expired or foreign token never gets here); its claims arrive in
 * `requestContext.authorizer.claims`. A user's record id is their token's `sub`:
 * - everyone reads, replaces and deletes their own record, and creates it (`POST /users`);
 * - members of the admin group read, replace and delete every record;
 * - a record the caller may not touch answers exactly as one that does not exist (404);
 * - the list shows every record, but another user's email only to admins.
 */
export interface Caller {
  /** The token's `sub`: the id of the caller's own record. */
  id: string;
  admin: boolean;
}

/** No verified identity reached the function: API Gateway's authorizer is missing in front of it. */
export class UnauthenticatedError extends Error {
  override readonly name = 'UnauthenticatedError';
  constructor() {
    super('The request carries no verified identity');
  }
}

/** What another user's record shows to a caller who is not an admin. */
export type PublicUser = Pick<User, 'id' | 'name'>;

/** The caller, from the authorizer's claims; throws UnauthenticatedError when there are none. */
export function callerOf(event: APIGatewayProxyEvent, adminGroup: string): Caller {
  const claims = event.requestContext?.authorizer?.claims as Record<string, unknown> | undefined;
  const sub = claims?.sub;
  if (typeof sub !== 'string' || sub === '') throw new UnauthenticatedError();
  return { id: sub, admin: groupsOf(claims?.['cognito:groups']).includes(adminGroup) };
}

/** Whether the caller may read, replace or delete the record `userId`. */
export const mayManage = (caller: Caller, userId: string): boolean => caller.admin || caller.id === userId;

/** A record as the caller may see it: whole when it is theirs or they are an admin, else id and name. */
export function asSeenBy(caller: Caller, user: User): User | PublicUser {
  return mayManage(caller, user.id) ? user : { id: user.id, name: user.name };
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
