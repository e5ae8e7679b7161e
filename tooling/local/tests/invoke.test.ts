import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from '@repo/testing/run-process';
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

/**
 * Runs `pnpm invoke …` as a user would, from the workspace root: on what turbo built into apps/*\/dist
 * (`--no-build`) unless asked to build. Asynchronous, so that independent invocations run side by side.
 */
async function invoke(
  args: string[],
  { env = {}, build = false }: { env?: Record<string, string>; build?: boolean } = {},
) {
  return runProcess(tsx, [cli, ...args, ...(build ? [] : ['--no-build'])], {
    cwd: root,
    // pnpm sets INIT_CWD to the folder the command was typed in; event paths are relative to it.
    env: { ...process.env, INIT_CWD: root, AWS_ENDPOINT_URL: '', ...env },
  });
}

describe('pnpm invoke on its own', () => {
  it('starts moto, runs the function on the event, prints the result as JSON on stdout and logs on stderr', async () => {
    const { status, stdout, stderr } = await invoke([
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

  it('bundles the function into a folder of its own, removed afterwards; apps/*/dist stays as it was', async () => {
    // Prepare
    const bundle = join(root, 'apps', 'users-api', 'dist', 'index.mjs');
    const { ino, mtimeMs } = statSync(bundle);
    const invokeFolders = () =>
      existsSync(join(root, '.local'))
        ? readdirSync(join(root, '.local')).filter((name) => name.startsWith('invoke-'))
        : [];
    const foldersBefore = invokeFolders();

    // Act
    const { status, stderr } = await invoke(
      ['users-api', '-e', 'apps/users-api/events/get-user.json', '--stack-file', '/nonexistent/stack.json'],
      { build: true },
    );

    // Assess
    expect(status, stderr).toBe(0);
    expect(stderr).toMatch(/^built UsersApiFunction \(\d+ ms\)$/m);
    expect(invokeFolders()).toEqual(foldersBefore);
    expect(statSync(bundle)).toMatchObject({ ino, mtimeMs });
  });

  it('names an unknown function and exits 2', async () => {
    const { status, stderr } = await invoke([
      'nope',
      '-e',
      'apps/users-api/events/get-user.json',
      '--stack-file',
      '/nonexistent/stack.json',
    ]);

    expect(status).toBe(2);
    expect(stderr).toContain('No function nope in template.yaml');
  });

  it('says how to install moto, or where to point instead, when moto_server is missing', async () => {
    const path = [join(process.execPath, '..'), '/usr/bin', '/bin'].join(':');

    const { status, stderr } = await invoke(
      ['users-api', '-e', 'apps/users-api/events/get-user.json', '--stack-file', '/nonexistent/stack.json'],
      { env: { PATH: path } },
    );

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

  // Side by side, as several terminals would: each is its own process, and the stack serves them all.
  it.concurrent.for(sampleEvents)(
    'runs $event against the running stack',
    async ({ app, event }, { expect }) => {
      const { status, stdout, stderr } = await invoke([app, '-e', event, '--stack-file', dev.stackFile]);

      expect(status, stderr).toBe(0);
      expect(stderr).toContain(`using the running pnpm dev stack at ${dev.stack.endpoint}`);
      const result = JSON.parse(stdout);
      if (app === 'users-api') {
        expect(result.statusCode).toBeGreaterThanOrEqual(200);
        expect(result.statusCode).toBeLessThan(500);
      }
    },
  );

  it('runs an event from `sam local generate-event apigateway aws-proxy`', async () => {
    const { status, stdout, stderr } = await invoke([
      'UsersApiFunction',
      '-e',
      'tooling/local/tests/fixtures/generated/apigateway-aws-proxy.json',
      '--stack-file',
      dev.stackFile,
    ]);

    expect(status, stderr).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ statusCode: 404 });
  });

  it('exits 1 and prints the error when the handler fails', async () => {
    const { status, stdout } = await invoke([
      'ApiFunction',
      '-e',
      'tooling/local/tests/fixtures/dev/events/throw.json',
      '--template',
      'tooling/local/tests/fixtures/dev/template.yaml',
      '--stack-file',
      '/nonexistent/stack.json',
    ]);

    expect(status).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ errorType: 'Error', errorMessage: 'handler failed' });
  });
});
