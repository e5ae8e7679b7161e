/**
 * `pnpm dev --journal <file>`: what the running stack did, as JSON Lines, for tools that check it
 * afterwards (`pnpm soak`): every fault injected, every SDK retry seen on the wire, every invocation and
 * every structured log line a function printed. Appended in order through one stream; complete once
 * pnpm dev has stopped.
 */

import { once } from 'node:events';
import { createWriteStream, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AwsFault } from './fault-profile.ts';

export type JournalEntry =
  /** A fault the fault proxy injected into a function's AWS call. */
  | {
      at: number;
      type: 'aws-fault';
      service: string;
      operation: string;
      resource: string;
      fault: AwsFault;
      traceId?: string;
      attempt?: number;
    }
  /** A function's AWS call that was an SDK retry (`amz-sdk-request: attempt=N`, N > 1), faulted or not. */
  | {
      at: number;
      type: 'aws-retry';
      service: string;
      operation: string;
      resource: string;
      attempt: number;
      traceId?: string;
    }
  /** An execution-environment fault the function host injected; requestId/traceId: the invocation's. */
  | {
      at: number;
      type: 'lambda-fault';
      functionId: string;
      fault: 'die' | 'timeout' | 'init-error';
      requestId?: string;
      traceId?: string;
    }
  /**
   * One invocation's outcome, as the invocation line pnpm dev prints; `event` for events that are not
   * API requests (an asynchronous event, an SQS batch): what a replay or a check needs.
   */
  | {
      at: number;
      type: 'invocation';
      functionId: string;
      trigger: string;
      requestId: string;
      traceId?: string;
      ok: boolean;
      errorType?: string;
      durationMs: number;
      coldStart: boolean;
      event?: unknown;
    }
  /** One JSON object a function printed on a line of its own (its structured logs), parsed; not EMF. */
  | { at: number; type: 'log'; functionId: string; record: Record<string, unknown> };

/** What writes a journal entry; `at` is added. */
export type JournalWriter = (entry: DistributiveOmit<JournalEntry, 'at'>) => void;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface Journal {
  write: JournalWriter;
  /** Resolves once every entry written is on disk; later writes are dropped. */
  close(): Promise<void>;
}

/**
 * Opens `path` (and its folder) for appending entries. Opened synchronously, so a path that cannot be
 * written fails here, not later as an unhandled stream error; a later write error is handed to `warn`.
 */
export function openJournal(path: string, warn: (message: string) => void = () => undefined): Journal {
  mkdirSync(dirname(path), { recursive: true });
  const stream = createWriteStream(path, { fd: openSync(path, 'a') });
  stream.on('error', (error) => warn(`journal ${path}: ${error.message}`));
  let closed = false;
  return {
    write(entry) {
      if (!closed) stream.write(`${JSON.stringify({ at: Date.now(), ...entry })}\n`);
    },
    async close() {
      if (closed) return;
      closed = true;
      const done = once(stream, 'close');
      stream.end();
      await done;
    },
  };
}

/**
 * Every entry of a journal, in order. A last line without its newline is a write still under way: left
 * out when it is not yet whole JSON. Any other line that is not JSON is an error (not a journal).
 */
export function readJournal(path: string): JournalEntry[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const last = lines.pop() ?? '';
  const entries = lines.flatMap((line, index) => {
    if (!line) return [];
    try {
      return [JSON.parse(line) as JournalEntry];
    } catch {
      throw new Error(`${path}:${index + 1} is not a journal entry: ${line.slice(0, 80)}`);
    }
  });
  try {
    if (last) entries.push(JSON.parse(last) as JournalEntry);
  } catch {
    // Torn: the writer is still at it.
  }
  return entries;
}
