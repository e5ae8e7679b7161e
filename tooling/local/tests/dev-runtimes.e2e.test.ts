import { fileURLToPath } from 'node:url';
import { runProcess } from '@repo/testing/run-process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevProcess, root, startDev } from './dev-process.ts';

const template = 'tooling/local/tests/fixtures/runtimes/template.yaml';
const unsupportedTemplate = 'tooling/local/tests/fixtures/runtimes/unsupported-template.yaml';
const event = 'tooling/local/tests/fixtures/generated/apigateway-aws-proxy.json';
const cli = fileURLToPath(new URL('../src/invoke.ts', import.meta.url));

/** What the local Node.js 24 runtime answers a callback-style handler with. */
const callbackRefusal =
  'ERROR: AWS Lambda no longer supports callback-based function handlers from Node.js 24 on. Change this ' +
  'function to a supported handler signature (async, or returning a Promise) to run it on Node.js 24 or ' +
  'later. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.';
const runnable = 'pnpm dev and pnpm invoke run nodejs22.x and nodejs24.x (tooling/node)';

/** `pnpm invoke …` as the root script runs it (node with tsx's loader), from the workspace root. */
async function invoke(args: string[]) {
  return runProcess(process.execPath, ['--import', 'tsx', cli, ...args], {
    cwd: root,
    env: { ...process.env, INIT_CWD: root, AWS_ENDPOINT_URL: '' },
  });
}

let dev: DevProcess;

beforeAll(async () => {
  dev = await startDev(['--template', template]);
});

afterAll(async () => {
  await dev?.stop();
});

const get = async (path: string) => {
  const response = await fetch(`${dev.stack.apiUrl}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('pnpm dev runtimes', () => {
  it('runs each function on the Node.js major its Runtime names, and says so at start-up', async () => {
    const node22 = await get('/node22');
    const node24 = await get('/node24');

    expect(node22).toEqual({
      status: 200,
      body: { version: expect.stringMatching(/^v22\./), executionEnv: 'AWS_Lambda_nodejs22.x' },
    });
    expect(node24).toEqual({
      status: 200,
      body: { version: expect.stringMatching(/^v24\./), executionEnv: 'AWS_Lambda_nodejs24.x' },
    });
    expect(dev.output()).toMatch(/^function +Node22Function +nodejs22\.x on Node\.js 22\.\d+\.\d+$/m);
    expect(dev.output()).toMatch(/^function +Node24Function +nodejs24\.x on Node\.js 24\.\d+\.\d+$/m);
  });

  it('fails the init of a callback-style handler on nodejs24.x as Lambda does, and runs it on nodejs22.x', async () => {
    const refused = await get('/callback24');
    const accepted = await get('/callback22');

    // A failed init is a failed invocation: API Gateway's 502, the error on the invocation line.
    expect(refused).toEqual({ status: 502, body: { message: 'Internal server error' } });
    await dev.waitForOutput(
      /Callback24Function ← GET \/callback24 {2}Runtime\.CallbackHandlerDeprecated: ERROR: AWS Lambda no longer supports callback-based function handlers/,
    );
    expect(accepted).toEqual({ status: 200, body: { viaCallback: expect.stringMatching(/^v22\./) } });
  });

  it('pnpm invoke answers a callback-style handler on nodejs24.x with the init error, and names the Node.js', async () => {
    const { status, stdout, stderr } = await invoke([
      'Callback24Function',
      '-e',
      event,
      '--template',
      template,
      '--stack-file',
      dev.stackFile,
    ]);

    expect(status, stderr).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({
      errorType: 'Runtime.CallbackHandlerDeprecated',
      errorMessage: callbackRefusal,
    });
    expect(stderr).toMatch(/^Callback24Function {2}nodejs24\.x on Node\.js 24\.\d+\.\d+$/m);
  });
});

describe('pnpm dev and pnpm invoke with a Runtime they cannot run', () => {
  it('pnpm dev refuses to start, naming each such function, its runtime and what it runs', async () => {
    await expect(startDev(['--template', unsupportedTemplate])).rejects.toThrow(
      `pnpm dev: Node20Function: Runtime nodejs20.x cannot run locally: ${runnable}\n` +
        `PythonFunction: Runtime python3.13 cannot run locally: ${runnable}\n`,
    );
  });

  it('pnpm invoke refuses too, before it starts anything, and exits 1', async () => {
    const { status, stdout, stderr } = await invoke([
      'Node24Function',
      '-e',
      event,
      '--template',
      unsupportedTemplate,
      '--stack-file',
      '/nonexistent/stack.json',
    ]);

    expect(status).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `pnpm invoke: Node20Function: Runtime nodejs20.x cannot run locally: ${runnable}\n` +
        `PythonFunction: Runtime python3.13 cannot run locally: ${runnable}\n`,
    );
  });
});
