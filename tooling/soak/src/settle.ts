import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { messagesLeft } from '@repo/aws-local/sqs-queues';
import { findWorkspaceRoot } from '@repo/sam-template/read-template';
import { currentStack } from './dev-stack.ts';

/**
 * Waits until the stack is quiet: no invocation running, every queue that feeds a function empty (its
 * asynchronous delivery queues and its SQS event sources, in flight included), and the journal unchanged
 * for three seconds running. Resolves with undefined when quiet, or with what was still busy at the timeout.
 */
export async function waitUntilQuiet({
  sqs,
  stackFile,
  journal,
  feedingQueues,
  timeoutMs,
}: {
  sqs: SQSClient;
  stackFile: string;
  journal: string;
  feedingQueues: Record<string, string>;
  timeoutMs: number;
}): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  let lastSize = -1;
  let stillSince = Date.now();
  let busy = 'nothing checked yet';
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const size = statSync(journal, { throwIfNoEntry: false })?.size ?? 0;
    if (size !== lastSize) {
      lastSize = size;
      stillSince = Date.now();
    }
    const running = Object.entries(currentStack(stackFile).concurrency ?? {}).filter(
      ([, stats]) => stats.running > 0,
    );
    const depths = await Promise.all(
      Object.entries(feedingQueues).map(async ([name, url]) => [name, await messagesLeft(sqs, url)] as const),
    );
    const waiting = depths.filter(([, depth]) => depth > 0);
    busy = [
      ...running.map(([functionId, stats]) => `${functionId}: ${stats.running} running`),
      ...waiting.map(([name, depth]) => `${name}: ${depth} messages`),
    ].join(', ');
    if (!busy && Date.now() - stillSince >= 3_000) return undefined;
    busy ||= 'the journal was still growing';
  }
  return `not quiet after ${timeoutMs / 1000} s: ${busy}`;
}

/** Runs `pnpm redrive <queueId>` against the soak's stack, as an operator would; resolves with its output. */
export async function redrive(
  stackFile: string,
  queueId: string,
): Promise<{ code: number | null; output: string }> {
  const root = findWorkspaceRoot();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'tooling/local/src/redrive.ts'), queueId, '--stack-file', stackFile],
    { cwd: root, env: { ...process.env, INIT_CWD: root }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    output += text;
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    output += text;
  });
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, output };
}
