import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Gate {
  /** What the fixture functions call (POST, a body naming themselves); answered when the gate lets them on. */
  url: string;
  /** The bodies of every call that has arrived so far, in order. */
  arrivals: string[];
  /** Calls held at the gate now. */
  waiting(): number;
  /** The most calls ever held at once. */
  mostWaiting(): number;
  /** Lets the calls held now on; the gate stays shut for the next ones. */
  release(): void;
  /** Lets every call on, now and from now on. */
  open(): void;
  close(): Promise<void>;
}

/**
 * A gate the fixture functions' invocations wait at, so a test sees how many run at once instead of
 * timing them: each invocation calls `url` and gets its answer only when the test lets it on.
 */
export async function startGate(): Promise<Gate> {
  const held: ServerResponse[] = [];
  const arrivals: string[] = [];
  let opened = false;
  let most = 0;
  const server = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    arrivals.push(body);
    if (opened) {
      response.end('open');
      return;
    }
    held.push(response);
    most = Math.max(most, held.length);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    waiting: () => held.length,
    mostWaiting: () => most,
    release() {
      for (const response of held.splice(0)) response.end('open');
    },
    open() {
      opened = true;
      for (const response of held.splice(0)) response.end('open');
    },
    async close() {
      server.closeAllConnections();
      server.close();
    },
  };
}
