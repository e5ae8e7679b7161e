import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
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
  startupTimeoutMs = 60_000,
}: {
  command?: string;
  startupTimeoutMs?: number;
} = {}): Promise<MotoServer> {
  // Port 0: moto binds a free port itself and names it. Picking one here and handing it over would leave
  // a moment in which another process (another suite's moto, on a busy machine) could take it.
  // A process group of its own: a terminal's Ctrl-C (SIGINT to the whole foreground group) must not stop
  // moto before its owner has stopped what talks to it; the owner stops it, and kills it on exit.
  const child = spawn(command, ['-H', '127.0.0.1', '-p', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  let endpointNamed = false;
  let announced: (endpoint: string) => void = () => undefined;
  const listening = new Promise<string>((resolve) => {
    announced = resolve;
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
    const port = endpointNamed ? undefined : /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)?.[1];
    if (port) {
      endpointNamed = true;
      announced(`http://127.0.0.1:${port}`);
    }
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
  const timer = setTimeout(() => gaveUp.abort(), startupTimeoutMs);
  let endpoint: string;
  try {
    endpoint = await Promise.race([
      listening.then(async (url) => {
        await waitUntilReady(url, gaveUp.signal);
        return url;
      }),
      failedToStart,
      once(gaveUp.signal, 'abort').then(() => {
        throw new Error(`moto_server did not answer within ${startupTimeoutMs} ms:\n${stderr}`);
      }),
    ]);
  } catch (error) {
    gaveUp.abort();
    child.kill('SIGKILL');
    throw error;
  } finally {
    clearTimeout(timer);
  }

  return {
    endpoint,
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      // Released, not left unread: see waitUntilReady.
      await response.body?.cancel();
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
    async stop() {
      process.off('exit', killOnExit);
      await stopProcess(child);
    },
  };
}

async function waitUntilReady(endpoint: string, gaveUp: AbortSignal): Promise<void> {
  while (!gaveUp.aborted) {
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`, { signal: gaveUp });
      // The body is released, never left unread: an unread body paused by backpressure when the server
      // closes the socket crashes the process in undici (nodejs/undici#5360, in Node 24's bundled undici).
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // not answering yet
    }
    await sleep(100);
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}
