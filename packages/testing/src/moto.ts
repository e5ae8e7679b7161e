import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface MotoServer {
  /** Base URL to hand to the SDK as AWS_ENDPOINT_URL, e.g. http://127.0.0.1:40123. */
  endpoint: string;
  /** Drops every resource and object, as a fresh server would have. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

const installHint =
  'moto_server was not found on PATH. Integration tests need it: install it with `pip install "moto[server]"`.';

/**
 * Starts `moto_server` (a local AWS: S3, DynamoDB, SNS, SQS, EventBridge …) on a free loopback port and
 * waits until it answers. Throws, never skips, when moto is not installed.
 */
export async function startMoto({
  command = 'moto_server',
  startupTimeoutMs = 20_000,
}: {
  command?: string;
  startupTimeoutMs?: number;
} = {}): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(command, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const failedToStart = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new Error(installHint) : error),
    );
    child.once('exit', (code) =>
      reject(new Error(`moto_server exited with code ${code} before it was ready:\n${stderr}`)),
    );
  });
  failedToStart.catch(() => undefined);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const gaveUp = new AbortController();
  try {
    await Promise.race([waitUntilReady(endpoint, startupTimeoutMs, gaveUp.signal), failedToStart]);
  } catch (error) {
    gaveUp.abort();
    child.kill('SIGKILL');
    throw error;
  }

  return {
    endpoint,
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
    async stop() {
      process.off('exit', killOnExit);
      await stopProcess(child);
    },
  };
}

async function waitUntilReady(endpoint: string, timeoutMs: number, gaveUp: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !gaveUp.aborted) {
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

/** A port the OS just handed out on loopback (released again for moto to bind). */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('could not allocate a port');
  return address.port;
}
