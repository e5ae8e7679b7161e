import type { ApiClient } from './api-client.ts';
import type { UserOperation } from './plan.ts';

/** A user record as the soak wrote it: what a later read must show. */
export type UserState = { name: string; email: string } | 'absent';

/** One caller of the users API: who, and which states its record may be in now. */
export interface UserHistory {
  userId: string;
  email: string;
  /**
   * The states the record may be in, given the answers so far: one after an acknowledged write, more
   * after a write that got no acknowledgement (it may or may not have been applied).
   */
  possible: UserState[];
  /** Answers that contradict what was acknowledged before them, as they were seen. */
  contradictions: string[];
}

export interface UsersFlowOptions {
  api: ApiClient;
  apiUrl: string;
  /** Per caller, the Authorization header and its token's `sub`. */
  callers: { authorization: string; userId: string; email: string }[];
  scripts: UserOperation[][];
}

const same = (a: UserState, b: UserState) =>
  a === 'absent' || b === 'absent' ? a === b : a.name === b.name && a.email === b.email;

/**
 * Runs every caller's script at once, each caller one request at a time, and keeps, per caller, the
 * states its record may be in. A read must show one of them; an acknowledged write narrows them to one.
 */
export async function runUsersFlow({
  api,
  apiUrl,
  callers,
  scripts,
}: UsersFlowOptions): Promise<UserHistory[]> {
  return Promise.all(
    callers.map(async (caller, index) => {
      const history: UserHistory = {
        userId: caller.userId,
        email: caller.email,
        possible: ['absent'],
        contradictions: [],
      };
      const headers = { authorization: caller.authorization, 'content-type': 'application/json' };
      const own = `${apiUrl}/users/${caller.userId}`;
      let writes = 0;
      const expectOneOf = (seen: UserState, what: string) => {
        if (history.possible.some((state) => same(state, seen))) history.possible = [seen];
        else
          history.contradictions.push(
            `${what} showed ${JSON.stringify(seen)}; acknowledged: ${JSON.stringify(history.possible)}`,
          );
      };
      for (const operation of scripts[index] ?? []) {
        const next = { name: `Soak caller ${index} write ${++writes}`, email: caller.email };
        switch (operation) {
          case 'create': {
            const answer = await api.send('users', 'create', `${apiUrl}/users`, {
              method: 'POST',
              headers,
              body: JSON.stringify(next),
            });
            if (answer?.status === 201) history.possible = [next];
            // A 409: a record exists — one an unacknowledged write of ours left (an earlier attempt of this
            // very create among them, applied though its answer was lost), or a contradiction.
            else if (answer?.status === 409) {
              const left = [...history.possible, ...(answer.retried ? [next] : [])].filter(
                (state) => state !== 'absent',
              );
              if (left.length === 0)
                history.contradictions.push('create answered 409 with no record acknowledged');
              else history.possible = left;
            } else history.possible = [...history.possible, next];
            break;
          }
          case 'replace': {
            const answer = await api.send('users', 'replace', own, {
              method: 'PUT',
              headers,
              body: JSON.stringify(next),
            });
            if (answer?.status === 200) history.possible = [next];
            else if (answer?.status === 404) expectOneOf('absent', 'replace');
            else history.possible = [...history.possible, next];
            break;
          }
          case 'delete': {
            const answer = await api.send('users', 'delete', own, { method: 'DELETE', headers });
            if (answer?.status === 204) history.possible = ['absent'];
            else history.possible = [...history.possible, 'absent'];
            break;
          }
          case 'get': {
            const answer = await api.send('users', 'get', own, { headers });
            if (answer?.status === 200) expectOneOf(userState(answer.body), 'get');
            else if (answer?.status === 404) expectOneOf('absent', 'get');
            break;
          }
          case 'list': {
            const answer = await api.send('users', 'list', `${apiUrl}/users?limit=100`, { headers });
            const items = (answer?.body as { items?: Record<string, unknown>[] } | undefined)?.items ?? [];
            // Excessive data: another user's email is for admins only.
            const leaked = items.filter((item) => item.id !== caller.userId && 'email' in item);
            if (leaked.length > 0)
              history.contradictions.push(`list showed ${leaked.length} other users' emails to a non-admin`);
            break;
          }
        }
      }
      return history;
    }),
  );
}

/** The final read of each caller's record: what an acknowledged write must have left. */
export async function readBack(
  api: ApiClient,
  apiUrl: string,
  callers: { authorization: string; userId: string }[],
): Promise<Map<string, UserState | undefined>> {
  const states = await Promise.all(
    callers.map(async (caller) => {
      const answer = await api.send('users', 'read-back', `${apiUrl}/users/${caller.userId}`, {
        headers: { authorization: caller.authorization },
      });
      const state: UserState | undefined =
        answer?.status === 200 ? userState(answer.body) : answer?.status === 404 ? 'absent' : undefined;
      return [caller.userId, state] as const;
    }),
  );
  return new Map(states);
}

function userState(body: unknown): UserState {
  const { name, email } = (body ?? {}) as { name?: unknown; email?: unknown };
  return { name: String(name), email: String(email) };
}

export { same as sameUserState };
