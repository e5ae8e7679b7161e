import {
  flattenTrace,
  lambdaTraceHeader,
  startXRayDaemon,
  type XRayDaemon,
  type XRayDocument,
} from '@repo/aws-local/xray-daemon';
import type { Log } from './types.ts';

interface OpenTrace {
  documents: XRayDocument[];
  /** The function's logical id, printed before the trace. */
  label: string;
  print: Log;
  /** Set while `end` waits for the invocation's subsegment. */
  printed?: () => void;
}

/**
 * The local X-Ray daemon of `pnpm dev` / `pnpm invoke`: each invocation gets a trace header as Lambda
 * would set it (`_X_AMZN_TRACE_ID`, sampled when the function has `Tracing: Active`), the functions'
 * tracer (@repo/logging/tracer) sends its subsegments here over UDP, and when the invocation's own
 * subsegment (`## index.handler`, closed last) arrives the trace is printed as a small tree.
 */
export class LocalTraces {
  /** The sampled invocations whose own subsegment has not arrived yet, by trace id. */
  readonly #open = new Map<string, OpenTrace>();

  private constructor(
    private readonly daemon: XRayDaemon,
    readonly address: string,
  ) {}

  static async start(): Promise<LocalTraces> {
    let traces: LocalTraces | undefined;
    const daemon = await startXRayDaemon((document) => traces?.receive(document));
    traces = new LocalTraces(daemon, daemon.address);
    return traces;
  }

  /**
   * A new trace for one invocation — in its caller's trace when `caller` (an X-Amzn-Trace-Id) names one;
   * `print` gets its lines once the invocation's subsegment is in. `printed` says whether it will be: a
   * caller's trace that another invocation is still in is not (their subsegments would mix).
   */
  begin(
    sampled: boolean,
    label: string,
    print: Log,
    caller?: string,
  ): { header: string; traceId: string; printed: boolean } {
    const trace = lambdaTraceHeader({ sampled, caller });
    const printed = sampled && !this.#open.has(trace.traceId);
    if (printed) this.#open.set(trace.traceId, { documents: [], label, print });
    return { ...trace, printed };
  }

  /**
   * After the invocation: resolves once its trace has been printed, or after `waitMs` (the SDK sends its
   * last subsegment over UDP as the handler returns, so it may land just after the result). A trace that
   * never completes (untraced code, a crash, a timeout) is then forgotten.
   */
  async end(traceId: string, waitMs = 100): Promise<void> {
    const trace = this.#open.get(traceId);
    if (!trace) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      trace.printed = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#open.delete(traceId);
  }

  receive(document: XRayDocument): void {
    const trace = this.#open.get(document.trace_id);
    if (!trace) return;
    trace.documents.push(document);
    if (document.type === 'subsegment' && document.name.startsWith('## ')) {
      this.#open.delete(document.trace_id);
      for (const line of formatTrace(trace.documents, trace.label)) trace.print(line);
      trace.printed?.();
    }
  }

  close(): Promise<void> {
    return this.daemon.close();
  }
}

/**
 * One trace as a developer reads it: the invocation's subsegment with its annotations, then its children
 * (units of work, AWS calls) indented by depth, repeated AWS calls folded into one line (`×4`).
 */
export function formatTrace(documents: readonly XRayDocument[], label = ''): string[] {
  const all = flattenTrace(documents);
  const root = all.find((doc) => doc.name.startsWith('## '));
  if (!root) return [];
  const childrenOf = (parent: XRayDocument) => {
    const streamed = all.filter((doc) => doc.parent_id === parent.id);
    const nested = parent.subsegments ?? [];
    const byId = new Map([...nested, ...streamed].map((doc) => [doc.id, doc]));
    return [...byId.values()].sort((a, b) => a.start_time - b.start_time);
  };
  const lines = [`${label ? `${label}  ` : ''}trace ${root.trace_id}  ${describe(root)}`];
  const indent = ' '.repeat(label ? label.length + 2 : 0);
  const walk = (parent: XRayDocument, depth: number) => {
    const children = childrenOf(parent);
    for (let index = 0; index < children.length; index++) {
      const child = children[index] as XRayDocument;
      const group = [child];
      while (child.namespace === 'aws' && sameCall(children[index + 1], child)) {
        group.push(children[++index] as XRayDocument);
      }
      lines.push(
        `${indent}${'  '.repeat(depth)}${group.length > 1 ? describeGroup(group) : describe(child)}`,
      );
      walk(child, depth + 1);
    }
  };
  walk(root, 1);
  return lines;
}

function sameCall(next: XRayDocument | undefined, call: XRayDocument): boolean {
  return (
    next?.namespace === 'aws' &&
    next.name === call.name &&
    next.aws?.operation === call.aws?.operation &&
    !next.subsegments?.length
  );
}

const ms = (doc: XRayDocument) =>
  doc.end_time === undefined ? 'in progress' : `${((doc.end_time - doc.start_time) * 1000).toFixed(1)} ms`;

function outcomeOf(doc: XRayDocument): string {
  const status = doc.http?.response as { status?: number } | undefined;
  const failed = doc.fault ? ' FAULT' : doc.error ? ' ERROR' : '';
  const cause = doc.cause?.exceptions?.[0]?.message;
  return `${status?.status ? ` ${status.status}` : ''}${failed}${cause ? ` (${cause.slice(0, 120)})` : ''}`;
}

function describe(doc: XRayDocument): string {
  const name = doc.namespace === 'aws' ? `${doc.name} ${String(doc.aws?.operation ?? '')}` : doc.name;
  const annotations = Object.entries(doc.annotations ?? {})
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(' ');
  return `${name}  ${ms(doc)}${outcomeOf(doc)}${annotations ? `  ${annotations}` : ''}`;
}

function describeGroup(group: XRayDocument[]): string {
  const [first] = group as [XRayDocument];
  const durations = group.map((doc) => ((doc.end_time ?? doc.start_time) - doc.start_time) * 1000);
  const outcomes = [...new Set(group.map(outcomeOf))].join(',');
  return `${first.name} ${String(first.aws?.operation ?? '')} ×${group.length}  ${Math.min(...durations).toFixed(1)}–${Math.max(...durations).toFixed(1)} ms${outcomes}`;
}
