import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from '@repo/testing/wait';
import type { StackFile } from '../src/local-stack.ts';
import { localIdToken } from '../src/local-token.ts';

export const root = fileURLToPath(new URL('../../..', import.meta.url));
const devScript = fileURLToPath(new URL('../src/dev.ts', import.meta.url));

export interface DevProcess {
  child: ChildProcess;
  stackFile: string;
  stack: StackFile;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** What it printed on stderr alone: warnings and errors (start-up notes, poller and invoker trouble). */
  errors(): string;
  /**
   * Waits until the output matches: what pnpm dev prints about an invocation (its line, its trace)
   * arrives after the work it describes is visible, so a test never asserts it straight away.
   */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /**
   * The `Authorization` header of a signed-in local user (created in the stack's user pool if need be,
   * as `pnpm id-token` does); `admin` puts them in the admin group.
   */
  signIn(email: string, options?: { admin?: boolean }): Promise<{ authorization: string }>;
  /** SIGTERM, then waits for the exit and the last of its output; resolves with the exit code. */
  stop(): Promise<number | null>;
  /**
   * A terminal's Ctrl-C under `pnpm dev`: SIGINT to its whole process group, and the same SIGINT again
   * from pnpm, which forwards it; then waits for the exit, as stop() does.
   */
  interrupt(): Promise<number | null>;
}

/** Starts `pnpm dev` as a user would (a child process) and waits until its stack file is written. */
export async function startDev(
  args: string[] = [],
  timeoutMs = 120_000,
  { watch = false, env = {} }: { watch?: boolean; env?: Record<string, string> } = {},
): Promise<DevProcess> {
  const stackFile = join(mkdtempSync(join(tmpdir(), 'pnpm-dev-')), 'stack.json');
  // As the root script runs it: node with tsx's loader, not the tsx CLI, whose signal relay gives its
  // child 30 ms to acknowledge a SIGTERM sent to the CLI alone and then SIGKILLs it — on a loaded
  // machine, pnpm dev would die mid-cleanup, leaving moto and its stack file behind.
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      devScript,
      '--port',
      '0',
      '--stack-file',
      stackFile,
      ...(watch ? [] : ['--no-watch']),
      ...args,
    ],
    {
      cwd: root,
      env: { ...process.env, INIT_CWD: root, AWS_ENDPOINT_URL: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // A process group of its own, as a terminal gives a command: interrupt() signals all of it.
      detached: true,
    },
  );
  let output = '';
  let errors = '';
  // Decoded per stream: a chunk can end inside a multi-byte character (the '←' of every invocation line).
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    output += text;
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    output += text;
    errors += text;
  });
  const exited = () => child.exitCode !== null;
  await eventually(
    async () => (exited() || (existsSync(stackFile) && output.includes('ready')) ? true : undefined),
    timeoutMs,
    'pnpm dev to be ready',
  ).catch((error: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${error.message}:\n${output}`);
  });
  if (exited()) throw new Error(`pnpm dev exited with ${child.exitCode}:\n${output}`);
  const stack = JSON.parse(readFileSync(stackFile, 'utf8')) as StackFile;
  return {
    child,
    stackFile,
    stack,
    output: () => output,
    errors: () => errors,
    signIn: async (email, { admin = false } = {}) => ({
      authorization: await localIdToken(stack, { email, admin }),
    }),
    waitForOutput: (pattern, timeoutMs = 60_000) =>
      eventually(async () => output.match(pattern) ?? undefined, timeoutMs, `output matching ${pattern}`),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      // 'close', not 'exit': by then everything it printed has been read.
      const exited = once(child, 'close');
      child.kill('SIGTERM');
      const [code] = await exited;
      return code as number | null;
    },
    async interrupt() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'close');
      process.kill(-(child.pid as number), 'SIGINT');
      child.kill('SIGINT');
      const [code] = await exited;
      return code as number | null;
    },
  };
}
