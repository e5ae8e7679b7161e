import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StackFile } from '../src/local-stack.ts';

export const root = fileURLToPath(new URL('../../..', import.meta.url));
const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
const devScript = fileURLToPath(new URL('../src/dev.ts', import.meta.url));

export interface DevProcess {
  child: ChildProcess;
  stackFile: string;
  stack: StackFile;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, then waits for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `pnpm dev` as a user would (a child process) and waits until its stack file is written. */
export async function startDev(
  args: string[] = [],
  timeoutMs = 60_000,
  { watch = false, env = {} }: { watch?: boolean; env?: Record<string, string> } = {},
): Promise<DevProcess> {
  const stackFile = join(mkdtempSync(join(tmpdir(), 'pnpm-dev-')), 'stack.json');
  const child = spawn(
    tsx,
    [devScript, '--port', '0', '--stack-file', stackFile, ...(watch ? [] : ['--no-watch']), ...args],
    {
      cwd: root,
      env: { ...process.env, INIT_CWD: root, AWS_ENDPOINT_URL: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(stackFile) || !output.includes('ready')) {
    if (child.exitCode !== null) throw new Error(`pnpm dev exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`pnpm dev was not ready within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    child,
    stackFile,
    stack: JSON.parse(readFileSync(stackFile, 'utf8')) as StackFile,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = await exited;
      return code as number | null;
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
