import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';

/** One segment or subsegment document as the X-Ray SDK sends it to the daemon. */
export interface XRayDocument {
  id: string;
  name: string;
  trace_id: string;
  parent_id?: string;
  type?: 'subsegment';
  namespace?: string;
  start_time: number;
  end_time?: number;
  in_progress?: boolean;
  error?: boolean;
  fault?: boolean;
  annotations?: Record<string, string | number | boolean>;
  metadata?: Record<string, unknown>;
  aws?: Record<string, unknown>;
  http?: Record<string, unknown>;
  cause?: { exceptions?: { message?: string; type?: string }[] };
  subsegments?: XRayDocument[];
}

export interface XRayDaemon {
  /** For AWS_XRAY_DAEMON_ADDRESS. */
  address: string;
  /** Every document received so far, in arrival order. */
  documents(): XRayDocument[];
  /** Resolves with the documents once `predicate` holds for them (rejects after `timeoutMs`). */
  waitFor(predicate: (documents: XRayDocument[]) => boolean, timeoutMs?: number): Promise<XRayDocument[]>;
  clear(): void;
  close(): Promise<void>;
}

const header = '{"format":"json","version":1}';

/**
 * A stand-in for the X-Ray daemon on a free loopback UDP port: it parses what the SDK emits
 * (`{"format":"json","version":1}\n{document}` per datagram) so tests and `pnpm dev` can read traces.
 */
export async function startXRayDaemon(onDocument?: (document: XRayDocument) => void): Promise<XRayDaemon> {
  const socket = createSocket('udp4');
  const received: XRayDocument[] = [];
  socket.on('message', (datagram) => {
    const text = datagram.toString('utf8');
    const newline = text.indexOf('\n');
    if (newline < 0 || text.slice(0, newline).replaceAll(' ', '') !== header) return;
    try {
      const document = JSON.parse(text.slice(newline + 1)) as XRayDocument;
      received.push(document);
      onDocument?.(document);
    } catch {
      // Not a document: the real daemon drops it too.
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  return {
    address: `127.0.0.1:${port}`,
    documents: () => [...received],
    clear: () => {
      received.length = 0;
    },
    waitFor: async (predicate, timeoutMs = 5_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) {
          throw new Error(
            `X-Ray daemon: condition not met in ${timeoutMs} ms; got ${JSON.stringify(received)}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return [...received];
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** A fresh `_X_AMZN_TRACE_ID` value as Lambda sets it for a sampled invocation. */
export function lambdaTraceHeader(): { header: string; traceId: string } {
  const epoch = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0');
  const traceId = `1-${epoch}-${randomBytes(12).toString('hex')}`;
  return { header: `Root=${traceId};Parent=${randomBytes(8).toString('hex')};Sampled=1`, traceId };
}
