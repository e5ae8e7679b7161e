import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';

/** One segment or subsegment document as the X-Ray SDK — and now @repo/logging/tracer — sends it to the daemon. */
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
  clear(): void;
  close(): Promise<void>;
}

const header = '{"format":"json","version":1}';

/**
 * A stand-in for the X-Ray daemon on a free loopback UDP port: it parses what the SDK emits
 * (`{"format":"json","version":1}\n{document}` per datagram) so tests and `pnpm dev` can read traces.
 */
export async function startXRayDaemon(onDocument?: (document: XRayDocument) => void): Promise<XRayDaemon> {
  // A burst of traced invocations (the bench sends thousands a second) overflows the default ~200 KB
  // receive buffer and the kernel drops datagrams; ask for 4 MiB (capped by net.core.rmem_max).
  const socket = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
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
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/**
 * An `_X_AMZN_TRACE_ID` value as Lambda sets it for an invocation: in the trace of `caller` (an
 * `X-Amzn-Trace-Id` header, as API Gateway passes its caller's on) when it names a valid root, else in a
 * fresh trace.
 */
export function lambdaTraceHeader({ sampled = true, caller }: { sampled?: boolean; caller?: string } = {}): {
  header: string;
  traceId: string;
} {
  const traceId = traceRootOf(caller) ?? newTraceRoot();
  const parent = randomBytes(8).toString('hex');
  return { header: `Root=${traceId};Parent=${parent};Sampled=${sampled ? 1 : 0}`, traceId };
}

/** A fresh X-Ray trace id: `1-<epoch seconds, 8 hex digits>-<96 random bits, hex>`. */
export function newTraceRoot(): string {
  const epoch = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0');
  return `1-${epoch}-${randomBytes(12).toString('hex')}`;
}

/** The `Root=` of an X-Ray trace header, when it is a well-formed trace id; undefined otherwise. */
export function traceRootOf(header: string | undefined): string | undefined {
  return /(?:^|;)\s*Root=(1-[0-9a-f]{8}-[0-9a-f]{24})(?:;|$)/i.exec(header ?? '')?.[1]?.toLowerCase();
}

/** Subsegments arrive streamed (with parent_id) or nested in their parent: one flat list either way. */
export function flattenTrace(documents: readonly XRayDocument[]): XRayDocument[] {
  return documents.flatMap((doc) => [doc, ...flattenTrace(doc.subsegments ?? [])]);
}
