import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../src/api-client.ts';
import type { UserOperation } from '../src/plan.ts';
import { runUsersFlow } from '../src/users-flow.ts';

type Answer = { status: number; body?: unknown; retried?: boolean } | undefined;

/** An API whose answers are scripted, one per request, in order. */
function scripted(answers: Answer[]): ApiClient {
  const queue = [...answers];
  const send = async () => {
    const answer = queue.shift();
    return (
      answer && {
        status: answer.status,
        body: answer.body,
        headers: new Headers(),
        retried: answer.retried ?? false,
      }
    );
  };
  return { attempts: [], send } as unknown as ApiClient;
}

const caller = { authorization: 'token', userId: 'u1', email: 'a@example.com' };
const written = (write: number) => ({ name: `Soak caller 0 write ${write}`, email: caller.email });

async function run(script: UserOperation[], answers: Answer[]) {
  const [history] = await runUsersFlow({
    api: scripted(answers),
    apiUrl: 'http://api',
    callers: [caller],
    scripts: [script],
  });
  return history;
}

describe('runUsersFlow: the states a caller’s record may be in', () => {
  it('narrows to the acknowledged write, and takes a read that shows it', async () => {
    const history = await run(
      ['create', 'replace', 'get'],
      [{ status: 201 }, { status: 200 }, { status: 200, body: written(2) }],
    );
    expect(history?.contradictions).toEqual([]);
    expect(history?.possible).toEqual([written(2)]);
  });

  it('flags a read that shows a state older than an acknowledged write', async () => {
    const history = await run(
      ['create', 'replace', 'get'],
      [{ status: 201 }, { status: 200 }, { status: 200, body: written(1) }],
    );
    expect(history?.contradictions).toHaveLength(1);
  });

  it('accepts a 409 after a retried create: its own earlier attempt was applied, the answer lost', async () => {
    const history = await run(
      ['create', 'get'],
      [
        { status: 409, retried: true },
        { status: 200, body: written(1) },
      ],
    );
    expect(history?.contradictions).toEqual([]);
  });

  it('flags a 409 to a first attempt when no record can exist', async () => {
    const history = await run(['create'], [{ status: 409 }]);
    expect(history?.contradictions).toEqual(['create answered 409 with no record acknowledged']);
  });

  it('after a delete that got no acknowledgement, accepts the record there or gone', async () => {
    const gone = await run(['create', 'delete', 'get'], [{ status: 201 }, { status: 502 }, { status: 404 }]);
    const there = await run(
      ['create', 'delete', 'get'],
      [{ status: 201 }, { status: 502 }, { status: 200, body: written(1) }],
    );
    expect(gone?.contradictions).toEqual([]);
    expect(there?.contradictions).toEqual([]);
  });

  it('flags a non-admin list that shows another user’s email (excessive data)', async () => {
    const history = await run(
      ['list'],
      [{ status: 200, body: { items: [{ id: 'u2', name: 'B', email: 'b@example.com' }] } }],
    );
    expect(history?.contradictions).toEqual(["list showed 1 other users' emails to a non-admin"]);
  });
});
