import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { eventually } from './wait.ts';

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
  /**
   * Resolves with the documents once `predicate` holds for them; rejects, with what did arrive, after
   * `timeoutMs` (default 30 s: generous, since a loaded machine may take a while and a pass never waits).
   */
  waitFor(predicate: (documents: XRayDocument[]) => boolean, timeoutMs?: number): Promise<XRayDocument[]>;
  clear(): void;
  close(): Promise<void>;
}

const header = '{"format":"json","version":1}';
/** How long waitFor waits by default: only a failing test ever waits this long. */
const defaultWaitMs = 30_000;

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
    waitFor: (predicate, timeoutMs = defaultWaitMs) =>
      eventually(
        async () => (predicate(received) ? [...received] : undefined),
        timeoutMs,
        () => `an X-Ray condition; got ${JSON.stringify(received)}`,
      ),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** A fresh `_X_AMZN_TRACE_ID` value as Lambda sets it for a sampled invocation. */
export function lambdaTraceHeader({ sampled = true } = {}): { header: string; traceId: string } {
  const epoch = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0');
  const traceId = `1-${epoch}-${randomBytes(12).toString('hex')}`;
  const parent = randomBytes(8).toString('hex');
  return { header: `Root=${traceId};Parent=${parent};Sampled=${sampled ? 1 : 0}`, traceId };
}

/** The handler Lambda names in `_HANDLER`; the X-Ray SDK names the invocation's subsegment after it. */
const lambdaHandler = 'index.handler';

/**
 * Makes this process look like a Lambda container that traces to `daemon`. The X-Ray SDK decides at
 * import whether it runs in Lambda (LAMBDA_TASK_ROOT) and where the daemon is, so call this before
 * importing the code under test. Returns a function that puts the environment back as it was.
 */
export function useLambdaTracingEnvironment(daemon: XRayDaemon): () => void {
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    LAMBDA_TASK_ROOT: '/var/task',
    _HANDLER: lambdaHandler,
    AWS_XRAY_DAEMON_ADDRESS: daemon.address,
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
  });
  return () => {
    for (const name of Object.keys(process.env)) {
      if (!(name in saved)) delete process.env[name];
    }
    Object.assign(process.env, saved);
  };
}

/**
 * Sets a fresh `_X_AMZN_TRACE_ID`, as Lambda does before each invocation. Returns its trace id and the id
 * of Lambda's own segment, the parent of the invocation's subsegment.
 */
export function setFreshTraceHeader(): { traceId: string; lambdaSegmentId: string | undefined } {
  const { header, traceId } = lambdaTraceHeader();
  process.env._X_AMZN_TRACE_ID = header;
  return { traceId, lambdaSegmentId: /Parent=([0-9a-f]{16})/.exec(header)?.[1] };
}

/** Subsegments arrive streamed (with parent_id) or nested in their parent: one flat list either way. */
export function flattenTrace(documents: readonly XRayDocument[]): XRayDocument[] {
  return documents.flatMap((doc) => [doc, ...flattenTrace(doc.subsegments ?? [])]);
}

/** A document's parent: its parent_id when streamed, else the document in `all` that nests it. */
export function parentIdOf(
  all: readonly XRayDocument[],
  child: XRayDocument | undefined,
): string | undefined {
  if (!child) return undefined;
  return child.parent_id ?? all.find((doc) => doc.subsegments?.some((sub) => sub.id === child.id))?.id;
}

/** The invocation's own subsegment (`## index.handler`), which the SDK closes and sends last. */
export function invocationSubsegment(all: readonly XRayDocument[]): XRayDocument | undefined {
  return all.find((doc) => doc.name === `## ${lambdaHandler}`);
}

/** What one traced invocation left: `documents` as the daemon got them, `all` flattened. */
export interface InvocationTrace<Result> {
  result: Result;
  traceId: string;
  lambdaSegmentId: string | undefined;
  documents: XRayDocument[];
  all: XRayDocument[];
  invocation: XRayDocument | undefined;
}

/**
 * Runs one invocation as Lambda would: clears the daemon, sets a fresh trace header, awaits `run`, then
 * waits until the invocation's subsegment has arrived closed (rejects after the daemon's `waitFor`
 * timeout). That one document is enough to wait for: in Lambda mode the X-Ray SDK sends each subsegment
 * as it closes, through one emitter that sends its datagrams one after another, and loopback UDP keeps
 * their order — so every document of the invocation (all closed before its own subsegment) is here too.
 */
export async function traceOfInvocation<Result>(
  daemon: XRayDaemon,
  run: () => Promise<Result>,
): Promise<InvocationTrace<Result>> {
  daemon.clear();
  const { traceId, lambdaSegmentId } = setFreshTraceHeader();
  const result = await run();
  const documents = await daemon.waitFor(
    (received) => invocationSubsegment(flattenTrace(received))?.end_time !== undefined,
  );
  const all = flattenTrace(documents);
  return { result, traceId, lambdaSegmentId, documents, all, invocation: invocationSubsegment(all) };
}
