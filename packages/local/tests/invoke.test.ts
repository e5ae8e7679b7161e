import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const cli = fileURLToPath(new URL('../src/invoke.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));

/** Runs `pnpm invoke …` as a user would, from the workspace root (the build is done by turbo first). */
function invoke(...args: string[]) {
  const result = spawnSync(tsx, [cli, ...args, '--no-build'], {
    cwd: root,
    // pnpm sets INIT_CWD to the folder the command was typed in; event paths are relative to it.
    env: { ...process.env, INIT_CWD: root },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('pnpm invoke', () => {
  it('runs the built users-api on a sample event against moto and prints its response', () => {
    const { status, stdout, stderr } = invoke('users-api', '-e', 'apps/users-api/events/create-user.json');

    expect(status, stderr).toBe(0);
    const response = JSON.parse(stdout.slice(stdout.indexOf('{\n')));
    expect(response.statusCode).toBe(201);
    expect(JSON.parse(response.body)).toMatchObject({ name: 'Ada Lovelace', email: 'ada@example.com' });
    expect(stderr).toMatch(/UsersApiFunction: ok, init [\d.]+ ms, duration [\d.]+ ms/);
  });

  it('accepts the logical id too, and names an unknown function', () => {
    const known = invoke('UsersApiFunction', '-e', 'apps/users-api/events/get-user.json');
    const unknown = invoke('nope', '-e', 'apps/users-api/events/get-user.json');

    expect(known.status, known.stderr).toBe(0);
    expect(JSON.parse(known.stdout.slice(known.stdout.indexOf('{\n'))).statusCode).toBe(404);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('No function nope in template.yaml');
  });
});
