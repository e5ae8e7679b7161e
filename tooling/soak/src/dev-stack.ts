import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StackFile } from '@repo/local/local-stack';
import { findWorkspaceRoot } from '@repo/sam-template/read-template';

/** A `pnpm dev` the soak started: its stack file, its journal, what it printed, and how to stop it. */
export interface SoakDev {
  stack: StackFile;
  stackFile: string;
  journal: string;
  output(): string;
  stop(): Promise<number | null>;
}

/**
 * Starts `pnpm dev` under the fault profile, with a journal, on a free port and its own stack file, as
 * the root script runs it (node with tsx's loader); resolves once it is ready.
 */
export async function startSoakDev({
  profile,
  seed,
  visibilityTimeout,
  concurrency,
  timeoutMs = 180_000,
  echo,
}: {
  profile: string;
  seed: number;
  /** Seconds: the SQS queues' visibility timeout locally, so that failed jobs come back in seconds. */
  visibilityTimeout: number;
  /** The account's concurrency (pnpm dev --concurrency). */
  concurrency: number;
  timeoutMs?: number;
  /** Gets each line pnpm dev prints (nothing when undefined). */
  echo?: (line: string) => void;
}): Promise<SoakDev> {
  const root = findWorkspaceRoot();
  const dir = mkdtempSync(join(tmpdir(), 'pnpm-soak-'));
  const stackFile = join(dir, 'stack.json');
  const journal = join(dir, 'journal.jsonl');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(root, 'tooling/local/src/dev.ts'),
      ...['--port', '0', '--no-watch', '--stack-file', stackFile, '--journal', journal],
      ...['--faults', profile, '--faults-seed', String(seed)],
      ...['--visibility-timeout', String(visibilityTimeout), '--concurrency', String(concurrency)],
    ],
    { cwd: root, env: { ...process.env, INIT_CWD: root }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  let partial = '';
  const take = (text: string) => {
    output += text;
    if (!echo) return;
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) echo(line);
  };
  child.stdout?.setEncoding('utf8').on('data', take);
  child.stderr?.setEncoding('utf8').on('data', take);
  const deadline = Date.now() + timeoutMs;
  while (!(existsSync(stackFile) && output.includes('ready'))) {
    if (child.exitCode !== null) throw new Error(`pnpm dev exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`pnpm dev was not ready after ${timeoutMs / 1000} s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    stack: JSON.parse(readFileSync(stackFile, 'utf8')) as StackFile,
    stackFile,
    journal,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const closed = once(child, 'close');
      child.kill('SIGTERM');
      const [code] = await closed;
      return code as number | null;
    },
  };
}

/** The stack file as pnpm dev keeps it now (its `concurrency` is refreshed while it runs). */
export function currentStack(stackFile: string): StackFile {
  return JSON.parse(readFileSync(stackFile, 'utf8')) as StackFile;
}
