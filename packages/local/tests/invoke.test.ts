import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevProcess, root, startDev } from './dev-process.ts';

const cli = fileURLToPath(new URL('../src/invoke.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));

/** Every sample event in the repo, as `apps/<app>/events/<name>.json`. */
const sampleEvents = readdirSync(join(root, 'apps')).flatMap((app) => {
  try {
    return readdirSync(join(root, 'apps', app, 'events'))
      .filter((file) => file.endsWith('.json'))
      .map((file) => ({ app, event: `apps/${app}/events/${file}` }));
  } catch {
    return [];
  }
});

/** Runs `pnpm invoke …` as a user would, from the workspace root (turbo has built the apps first). */
function invoke(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(tsx, [cli, ...args, '--no-build'], {
    cwd: root,
    // pnpm sets INIT_CWD to the folder the command was typed in; event paths are relative to it.
    env: { ...process.env, INIT_CWD: root, AWS_ENDPOINT_URL: '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('pnpm invoke on its own', () => {
  it('starts moto, runs the function on the event, prints the result as JSON on stdout and logs on stderr', () => {
    const { status, stdout, stderr } = invoke([
      'users-api',
      '-e',
      'apps/users-api/events/create-user.json',
      '--stack-file',
      '/nonexistent/stack.json',
    ]);

    expect(status, stderr).toBe(0);
    const response = JSON.parse(stdout);
    expect(response.statusCode).toBe(201);
    expect(JSON.parse(response.body)).toMatchObject({ name: 'Ada Lovelace', email: 'ada@example.com' });
    expect(stderr).toMatch(/UsersApiFunction ← invoke apps\/users-api\/events\/create-user\.json {2}201 /);
  });

  it('names an unknown function and exits 2', () => {
    const { status, stderr } = invoke(['nope', '-e', 'apps/users-api/events/get-user.json']);

    expect(status).toBe(2);
    expect(stderr).toContain('No function nope in template.yaml');
  });

  it('says how to install moto, or where to point instead, when moto_server is missing', () => {
    const path = [join(process.execPath, '..'), '/usr/bin', '/bin'].join(':');

    const { status, stderr } = invoke(['users-api', '-e', 'apps/users-api/events/get-user.json'], {
      PATH: path,
    });

    expect(status).toBe(1);
    expect(stderr).toContain('pip install "moto[server]"');
    expect(stderr).toContain('AWS_ENDPOINT_URL');
  });
});

describe('pnpm invoke next to a running pnpm dev', () => {
  let dev: DevProcess;

  beforeAll(async () => {
    dev = await startDev();
  }, 90_000);

  afterAll(async () => {
    await dev?.stop();
  });

  it.each(sampleEvents)('runs $event against the running stack', ({ app, event }) => {
    const { status, stdout, stderr } = invoke([app, '-e', event, '--stack-file', dev.stackFile]);

    expect(status, stderr).toBe(0);
    expect(stderr).toContain(`using the running pnpm dev stack at ${dev.stack.endpoint}`);
    const result = JSON.parse(stdout);
    if (app === 'users-api') {
      expect(result.statusCode).toBeGreaterThanOrEqual(200);
      expect(result.statusCode).toBeLessThan(500);
    }
  });

  it('runs an event from `sam local generate-event apigateway aws-proxy`', () => {
    const { status, stdout, stderr } = invoke([
      'UsersApiFunction',
      '-e',
      'packages/local/tests/fixtures/generated/apigateway-aws-proxy.json',
      '--stack-file',
      dev.stackFile,
    ]);

    expect(status, stderr).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ statusCode: 404 });
  });

  it('exits 1 and prints the error when the handler fails', () => {
    const { status, stdout } = invoke([
      'ApiFunction',
      '-e',
      'packages/local/tests/fixtures/dev/events/throw.json',
      '--template',
      'packages/local/tests/fixtures/dev/template.yaml',
      '--stack-file',
      '/nonexistent/stack.json',
    ]);

    expect(status).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ errorType: 'Error', errorMessage: 'handler failed' });
  });
});
