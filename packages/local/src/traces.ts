import { randomBytes } from 'node:crypto';
import { flattenTrace, startXRayDaemon, type XRayDaemon, type XRayDocument } from '@repo/testing/xray-daemon';
import type { Log } from './types.ts';

/**
 * The local X-Ray daemon of `pnpm dev` / `pnpm invoke`: each invocation gets a trace header as Lambda
 * would set it (`_X_AMZN_TRACE_ID`, sampled when the function has `Tracing: Active`), the functions'
 * X-Ray SDK sends its subsegments here over UDP, and when the invocation's own subsegment
 * (`## index.handler`, closed last) arrives the trace is printed as a small tree.
 */
export class LocalTraces {
  readonly #pending = new Map<string, XRayDocument[]>();
  readonly #print = new Map<string, Log>();
  readonly #settled = new Map<string, () => void>();
  readonly #labels = new Map<string, string>();

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

  /** A new trace for one invocation; `print` gets its lines once the invocation's subsegment is in. */
  begin(sampled: boolean, label: string, print: Log): string {
    const epoch = Math.floor(Date.now() / 1000)
      .toString(16)
      .padStart(8, '0');
    const traceId = `1-${epoch}-${randomBytes(12).toString('hex')}`;
    if (sampled) {
      this.#labels.set(traceId, label);
      this.#pending.set(traceId, []);
      this.#print.set(traceId, print);
    }
    return `Root=${traceId};Parent=${randomBytes(8).toString('hex')};Sampled=${sampled ? 1 : 0}`;
  }

  /**
   * After the invocation: resolves once its trace has been printed, or after `waitMs` (the SDK sends its
   * last subsegment over UDP as the handler returns, so it may land just after the result). A trace that
   * never completes (untraced code, a crash, a timeout) is then forgotten.
   */
  async end(header: string, waitMs = 100): Promise<void> {
    const traceId = /Root=([^;]+)/.exec(header)?.[1];
    if (!traceId || !this.#pending.has(traceId)) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      this.#settled.set(traceId, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.#pending.delete(traceId);
    this.#print.delete(traceId);
    this.#settled.delete(traceId);
    this.#labels.delete(traceId);
  }

  receive(document: XRayDocument): void {
    const collected = this.#pending.get(document.trace_id);
    if (!collected) return;
    collected.push(document);
    if (document.type === 'subsegment' && document.name.startsWith('## ')) {
      const print = this.#print.get(document.trace_id);
      this.#pending.delete(document.trace_id);
      this.#print.delete(document.trace_id);
      for (const line of formatTrace(collected, this.#labels.get(document.trace_id))) print?.(line);
      this.#settled.get(document.trace_id)?.();
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
