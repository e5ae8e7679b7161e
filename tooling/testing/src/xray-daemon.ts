import {
  flattenTrace,
  type XRayDaemon as LocalXRayDaemon,
  lambdaTraceHeader,
  startXRayDaemon as startLocalXRayDaemon,
  type XRayDocument,
} from '@repo/aws-local/xray-daemon';
import { eventually } from './wait.ts';

export type { XRayDocument } from '@repo/aws-local/xray-daemon';

/** The local X-Ray daemon (@repo/aws-local/xray-daemon), which a test can wait on. */
export interface XRayDaemon extends LocalXRayDaemon {
  /**
   * Resolves with the documents once `predicate` holds for them; rejects, with what did arrive, after
   * `timeoutMs` (default 30 s: generous, since a loaded machine may take a while and a pass never waits).
   */
  waitFor(predicate: (documents: XRayDocument[]) => boolean, timeoutMs?: number): Promise<XRayDocument[]>;
}

/** How long waitFor waits by default: only a failing test ever waits this long. */
const defaultWaitMs = 30_000;

/**
 * Starts the local X-Ray daemon on a free loopback UDP port (see @repo/aws-local/xray-daemon), with
 * `waitFor` for tests.
 */
export async function startXRayDaemon(onDocument?: (document: XRayDocument) => void): Promise<XRayDaemon> {
  const daemon = await startLocalXRayDaemon(onDocument);
  return {
    ...daemon,
    waitFor: (predicate, timeoutMs = defaultWaitMs) =>
      eventually(
        async () => {
          const received = daemon.documents();
          return predicate(received) ? received : undefined;
        },
        timeoutMs,
        () => `an X-Ray condition; got ${JSON.stringify(daemon.documents())}`,
      ),
  };
}

/** The handler Lambda names in `_HANDLER`; the tracer names the invocation's subsegment after it. */
const lambdaHandler = 'index.handler';

/**
 * Makes this process look like a Lambda container that traces to `daemon`. The tracer
 * (@repo/logging/tracer) decides when it is built whether it runs in Lambda (AWS_EXECUTION_ENV) and where
 * the daemon is, so call this before importing the code under test. Returns a function that puts the
 * environment back as it was.
 */
export function useLambdaTracingEnvironment(daemon: XRayDaemon): () => void {
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
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
 * timeout). That one document is enough to wait for: the tracer (as the X-Ray SDK did) sends each
 * subsegment as it closes, through one socket that sends its datagrams one after another, and loopback
 * UDP keeps their order — so every document of the invocation (all closed before its own subsegment) is
 * here too.
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
