import type { JournalEntry } from '@repo/local/journal';
import type { Attempt } from './api-client.ts';
import type { ParkedQueue, Violation } from './invariants.ts';

/** One flow's figures: requests (each with its retries), time taken, latency of each attempt. */
export interface FlowFigures {
  flow: string;
  operations: number;
  attempts: number;
  seconds: number;
  p50: number;
  p99: number;
}

/** The p-th percentile (0–100) of `values`, nearest rank; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** Figures per flow (and per operation inside it) from the attempts the soak's clients made. */
export function flowFigures(
  attempts: readonly Attempt[],
  operationsOf: (flow: string) => number,
): FlowFigures[] {
  return [...Map.groupBy(attempts, (attempt) => attempt.flow)].map(([flow, ofFlow]) => {
    const started = Math.min(...ofFlow.map((attempt) => attempt.at));
    const ended = Math.max(...ofFlow.map((attempt) => attempt.at + attempt.ms));
    const ms = ofFlow.map((attempt) => attempt.ms);
    return {
      flow,
      operations: operationsOf(flow),
      attempts: ofFlow.length,
      seconds: (ended - started) / 1000,
      p50: percentile(ms, 50),
      p99: percentile(ms, 99),
    };
  });
}

/** `error InternalServerError 500 (before)` → count, and Lambda faults by kind, from the journal. */
export function faultCounts(journal: readonly JournalEntry[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const entry of journal) {
    let kind: string | undefined;
    if (entry.type === 'aws-fault') {
      const { fault } = entry;
      kind =
        fault.kind === 'error'
          ? `${entry.service} ${fault.code} ${fault.status} (${fault.when})`
          : `${entry.service} ${fault.kind}`;
    } else if (entry.type === 'lambda-fault') kind = `lambda ${entry.fault}`;
    if (kind) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return counts;
}

/** Retries, by who made them: the functions' SDK clients (per service), Lambda's async retries; throttles. */
export function retryCounts(journal: readonly JournalEntry[]): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (kind: string) => counts.set(kind, (counts.get(kind) ?? 0) + 1);
  for (const entry of journal) {
    if (entry.type === 'aws-retry') add(`SDK retries (${entry.service})`);
    if (entry.type === 'invocation' && /\(retry \d+\)/.test(entry.trigger))
      add(`Lambda async retries (${entry.functionId})`);
    if (entry.type === 'invocation' && entry.errorType === 'TooManyRequestsException')
      add(`Lambda throttles (${entry.functionId})`);
  }
  return counts;
}

export interface SoakReport {
  profile: string;
  seed: number;
  seconds: number;
  flows: FlowFigures[];
  faults: Map<string, number>;
  retries: Map<string, number>;
  parked: ParkedQueue[];
  violations: Violation[];
}

/** `   12  s3 reset`, one line per kind in name order; `  none` for no counts. */
const countLines = (counts: Map<string, number>) =>
  counts.size === 0
    ? ['  none']
    : [...counts]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([kind, count]) => `  ${String(count).padStart(6)}  ${kind}`);

const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '–');

/** The report as printed: flows, faults, retries, failure queues, then each violation or a pass. */
export function formatReport(report: SoakReport): string {
  const lines = [
    `soak: profile ${report.profile}, seed ${report.seed}, ${fixed(report.seconds)} s`,
    '',
    'flow        operations  attempts  per second   p50 ms   p99 ms',
    ...report.flows.map(
      (flow) =>
        `${flow.flow.padEnd(10)}  ${String(flow.operations).padStart(10)}  ${String(flow.attempts).padStart(8)}  ` +
        `${fixed(flow.operations / flow.seconds).padStart(10)}  ${fixed(flow.p50).padStart(7)}  ${fixed(flow.p99).padStart(7)}`,
    ),
    '',
    'faults injected',
    ...countLines(report.faults),
    '',
    'retries',
    ...countLines(report.retries),
    '',
    'failure queues      before redrive  after',
    ...report.parked.map(
      (queue) =>
        `  ${queue.queueId.padEnd(22)}${String(queue.before.length).padStart(8)}  ${String(queue.after.length).padStart(5)}`,
    ),
    '',
    report.violations.length === 0
      ? 'invariants: all held'
      : `invariants: ${report.violations.length} violation${report.violations.length === 1 ? '' : 's'}`,
    ...report.violations.map(
      (violation) => `  ✗ ${violation.invariant} — ${violation.subject}: ${violation.detail}`,
    ),
  ];
  return lines.join('\n');
}
