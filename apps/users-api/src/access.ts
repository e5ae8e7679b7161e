import type { Caller } from '@repo/events/cognito-caller';
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
 * Who the caller is comes from @repo/events/cognito-caller.
 */

/** What another user's record shows to a caller who is not an admin. */
export type PublicUser = Pick<User, 'id' | 'name'>;

/** Whether the caller may read, replace or delete the record `userId`. */
export const mayManage = (caller: Caller, userId: string): boolean => caller.admin || caller.id === userId;

/** A record as the caller may see it: whole when it is theirs or they are an admin, else id and name. */
export function asSeenBy(caller: Caller, user: User): User | PublicUser {
  return mayManage(caller, user.id) ? user : { id: user.id, name: user.name };
}
