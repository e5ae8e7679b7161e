import { type SpawnOptions, spawn } from 'node:child_process';
import { once } from 'node:events';

/** What a finished process printed, and how it ended. */
export interface ProcessOutput {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to its end (stdin closed) and gives back what it printed and how it ended, whatever
 * that was: the caller decides what a failure is. Rejects only when the command cannot be started.
 */
export async function runProcess(
  command: string,
  args: readonly string[],
  options: Omit<SpawnOptions, 'stdio'> = {},
): Promise<ProcessOutput> {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  const [status, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  return { status, signal, stdout, stderr };
}

/** runProcess for a child that must succeed: its stdout, or an error naming `what` with all it printed. */
export async function outputOf(
  what: string,
  command: string,
  args: readonly string[],
  options: Omit<SpawnOptions, 'stdio'> = {},
): Promise<string> {
  const { status, signal, stdout, stderr } = await runProcess(command, args, options);
  if (status !== 0) throw new Error(`${what} exited with ${status ?? signal}:\n${stderr}${stdout}`);
  return stdout;
}
