import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local HTTP server the stack started: where it listens, and how to stop it. */
export interface ListeningServer {
  /** `http://<host>:<port>`, IPv6 addresses bracketed. */
  url: string;
  /**
   * Stops accepting, ends every open connection (keep-alive ones, requests still waiting) and resolves;
   * closing a server that is already closed is not an error.
   */
  close(): Promise<void>;
}

/**
 * Starts one of the local stack's HTTP servers (the API, the S3 gate, the fault proxy). Idle connections
 * outlive the clients' own idle timeouts (the SDK's and undici's are shorter than 65 s), so that a client
 * never sends on a socket the server is closing at that moment: with Node's default of 5 s a loaded
 * machine saw a client's reuse and the server's close meet ("other side closed").
 */
export async function listenLocally(server: Server, port = 0, host = '127.0.0.1'): Promise<ListeningServer> {
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.listen(port, host);
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  const hostname = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostname}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) =>
          error && (error as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING'
            ? reject(error)
            : resolve(),
        );
        server.closeAllConnections();
      }),
  };
}
