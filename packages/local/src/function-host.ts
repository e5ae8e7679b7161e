import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { EmfLineSplitter } from './emf.ts';
import { LocalTraces } from './traces.ts';
import type { InvokeError, InvokeOutcome, Log } from './types.ts';

/** One function as the host runs it: a built handler module and the environment Lambda would give it. */
export interface FunctionSpec {
  logicalId: string;
  /** Absolute path of the handler module (e.g. apps/users-api/dist/index.mjs). */
  handlerFile: string;
  exportName: string;
  timeoutSeconds: number;
  memoryMb: number;
  functionArn: string;
  /** Exactly the worker's process.env: the template's variables, resolved, plus Lambda's own. */
  environment: Record<string, string>;
  /** `Tracing: Active`: invocations are sampled for X-Ray. */
  tracing?: boolean;
}

interface Pending {
  requestId: string;
  resolve: (outcome: InvokeOutcome) => void;
  started: number;
  initMs?: number;
  timer: NodeJS.Timeout;
}

/**
 * A Lambda execution environment per function, in-process: a worker thread with the function's own
 * process.env, started on the first invocation (the cold start) and reused after it. As in Lambda, one
 * invocation runs at a time per environment (others queue), a timeout kills the environment and the
 * next invocation starts a fresh one, and a crash or failed init is an outcome, never a host crash.
 */
export class FunctionHost {
  readonly #specs = new Map<string, FunctionSpec>();
  readonly #sandboxes = new Map<string, Sandbox>();
  #traces: Promise<LocalTraces> | undefined;

  constructor(
    specs: readonly FunctionSpec[],
    private readonly output: {
      logs: Writable;
      log: Log;
      /** Where to summarise the EMF metrics a function prints (after its invocation line); off if unset. */
      metrics?: Log;
      /** Where to print each invocation's X-Ray trace (after its invocation line); off if unset. */
      traces?: Log;
    },
  ) {
    for (const spec of specs) this.#specs.set(spec.logicalId, spec);
  }

  /** Runs one invocation; resolves with its outcome and logs one line (function, trigger, duration, outcome). */
  readonly invoke = async (logicalId: string, event: unknown, trigger: string): Promise<InvokeOutcome> => {
    const spec = this.#specs.get(logicalId);
    if (!spec) {
      return failure(randomUUID(), 0, {
        errorType: 'ResourceNotFoundException',
        errorMessage: `No function ${logicalId}`,
      });
    }
    // The local X-Ray daemon: functions always get one to send to, as Lambda gives them one.
    this.#traces ??= LocalTraces.start();
    const traces = await this.#traces;
    let sandbox = this.#sandboxes.get(logicalId);
    if (!sandbox || sandbox.dead) {
      sandbox = new Sandbox(spec, this.output.logs, traces, this.output);
      this.#sandboxes.set(logicalId, sandbox);
    }
    const outcome = await sandbox.invoke(event);
    this.output.log(invocationLine(logicalId, trigger, outcome));
    sandbox.flushSummaries();
    return outcome;
  };

  /** Replaces a function's spec (e.g. after a rebuild); its next invocation is a cold start. */
  async reload(spec: FunctionSpec): Promise<void> {
    this.#specs.set(spec.logicalId, spec);
    const sandbox = this.#sandboxes.get(spec.logicalId);
    this.#sandboxes.delete(spec.logicalId);
    await sandbox?.retire();
  }

  async close(): Promise<void> {
    await Promise.all([...this.#sandboxes.values()].map((sandbox) => sandbox.terminate()));
    this.#sandboxes.clear();
    const traces = this.#traces;
    this.#traces = undefined;
    await (await traces)?.close();
  }
}

class Sandbox {
  dead = false;
  #queue: Promise<unknown> = Promise.resolve();
  #pending: Pending | undefined;
  #ready: Promise<{ initMs: number } | { error: InvokeError }>;
  #initReported = false;
  /** Metric and trace summaries printed during an invocation, held until its invocation line is out. */
  #held: { line: string; to: Log }[] = [];
  #holding = false;
  readonly #worker: Worker;

  constructor(
    private readonly spec: FunctionSpec,
    logs: Writable,
    private readonly traces: LocalTraces,
    private readonly summaries: { metrics?: Log; traces?: Log },
  ) {
    const { metrics } = summaries;
    this.#worker = new Worker(new URL('./function-worker.mjs', import.meta.url), {
      env: { ...spec.environment, AWS_XRAY_DAEMON_ADDRESS: traces.address },
      workerData: {
        handlerFile: spec.handlerFile,
        exportName: spec.exportName,
        functionName: spec.logicalId,
        functionArn: spec.functionArn,
        memoryMb: spec.memoryMb,
      },
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: spec.memoryMb },
    });
    if (metrics) {
      const summarise = this.#summarise(metrics);
      this.#worker.stdout.pipe(new EmfLineSplitter(spec.logicalId, summarise)).pipe(logs, { end: false });
    } else this.#worker.stdout.pipe(logs, { end: false });
    this.#worker.stderr.pipe(logs, { end: false });
    let resolveReady: (value: { initMs: number } | { error: InvokeError }) => void = () => undefined;
    this.#ready = new Promise((resolve) => {
      resolveReady = resolve;
    });
    this.#worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') resolveReady({ initMs: message.initMs });
      else if (message.type === 'init-error') {
        this.dead = true;
        resolveReady({ error: message.error });
      } else this.#settle(message);
    });
    // A crash during init or an invocation (uncaught error, out of memory, process.exit) ends the environment.
    const crash = (error: InvokeError) => {
      this.dead = true;
      resolveReady({ error });
      this.#crash(error);
    };
    this.#worker.on('error', (error) =>
      crash({
        errorType: error.name === 'Error' ? 'Runtime.ExitError' : error.name,
        errorMessage: error.message,
      }),
    );
    this.#worker.on('exit', (code) =>
      crash({
        errorType: 'Runtime.ExitError',
        errorMessage: `Runtime exited with error: exit status ${code}`,
      }),
    );
  }

  /** Queues one invocation behind the previous one (one at a time per execution environment). */
  invoke(event: unknown): Promise<InvokeOutcome> {
    const run = this.#queue.then(() => this.#run(event));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #run(event: unknown): Promise<InvokeOutcome> {
    const requestId = randomUUID();
    const started = performance.now();
    if (this.dead) {
      return failure(requestId, 0, {
        errorType: 'Runtime.ExitError',
        errorMessage: 'The execution environment has exited',
      });
    }
    const ready = await this.#ready;
    const initMs = this.#initReported ? undefined : 'initMs' in ready ? ready.initMs : undefined;
    if ('error' in ready) {
      await this.terminate();
      return failure(requestId, performance.now() - started, ready.error);
    }
    this.#initReported = true;
    this.#holding = true;
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    const { traces } = this.summaries;
    const trace = this.traces.begin(
      Boolean(this.spec.tracing && traces),
      this.spec.logicalId,
      traces ? this.#summarise(traces) : () => undefined,
    );
    const outcome = new Promise<InvokeOutcome>((resolve) => {
      const armedAt = performance.now();
      const expire = () => {
        // Node's timers run on the event loop's cached millisecond clock and can fire a fraction of a
        // millisecond early by this one: the function gets its whole timeout, never a little less.
        const leftMs = timeoutMs - (performance.now() - armedAt);
        const pending = this.#pending;
        if (leftMs > 0 && pending?.requestId === requestId) {
          pending.timer = setTimeout(expire, Math.ceil(leftMs));
          return;
        }
        // Lambda stops the environment at the timeout; the next invocation gets a fresh one.
        this.#finish(
          failure(requestId, performance.now() - started, {
            errorType: 'Sandbox.Timedout',
            errorMessage: `Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds`,
          }),
        );
        void this.terminate();
      };
      const timer = setTimeout(expire, timeoutMs);
      this.#pending = { requestId, resolve, started, initMs, timer };
      this.#worker.postMessage({
        requestId,
        event,
        deadline: Date.now() + timeoutMs,
        traceHeader: trace.header,
      });
    });
    const settled = await outcome;
    await this.traces.end(trace.traceId);
    return settled;
  }

  /** Prints a summary line now, or after the invocation line when an invocation is running. */
  #summarise(to: Log): Log {
    return (line) => {
      if (this.#holding) this.#held.push({ line, to });
      else to(line);
    };
  }

  #settle(message: Extract<WorkerMessage, { type: 'result' }>): void {
    const pending = this.#pending;
    if (!pending || pending.requestId !== message.requestId) return;
    const durationMs = performance.now() - pending.started;
    this.#finish(
      message.ok
        ? {
            ok: true,
            result: JSON.parse(message.json),
            requestId: pending.requestId,
            durationMs,
            initMs: pending.initMs,
          }
        : { ...failure(pending.requestId, durationMs, message.error), initMs: pending.initMs },
    );
  }

  #crash(error: InvokeError): void {
    const pending = this.#pending;
    if (pending) this.#finish(failure(pending.requestId, performance.now() - pending.started, error));
  }

  #finish(outcome: InvokeOutcome): void {
    const pending = this.#pending;
    if (!pending) return;
    clearTimeout(pending.timer);
    this.#pending = undefined;
    pending.resolve(outcome);
  }

  /** Logs the metric and trace summaries held back during the invocation that just finished. */
  flushSummaries(): void {
    const held = this.#held;
    this.#held = [];
    this.#holding = false;
    for (const { line, to } of held) to(line);
  }

  /** Lets the in-flight invocation finish, then stops the environment. */
  async retire(): Promise<void> {
    await this.#queue;
    await this.terminate();
  }

  async terminate(): Promise<void> {
    this.dead = true;
    await this.#worker.terminate();
  }
}

type WorkerMessage =
  | { type: 'ready'; initMs: number }
  | { type: 'init-error'; error: InvokeError }
  | { type: 'result'; requestId: string; ok: true; json: string }
  | { type: 'result'; requestId: string; ok: false; error: InvokeError };

function failure(requestId: string, durationMs: number, error: InvokeError): InvokeOutcome {
  return { ok: false, error, requestId, durationMs };
}

/** `12:04:05 UsersApiFunction ← GET /users  201  12.3 ms (cold start 84.0 ms)`, one line per invocation. */
export function invocationLine(logicalId: string, trigger: string, outcome: InvokeOutcome): string {
  const time = new Date().toISOString().slice(11, 19);
  const status = outcome.ok
    ? typeof (outcome.result as { statusCode?: unknown } | null)?.statusCode === 'number'
      ? String((outcome.result as { statusCode: number }).statusCode)
      : 'ok'
    : `${outcome.error.errorType}: ${outcome.error.errorMessage}`;
  const cold = outcome.initMs === undefined ? '' : ` (cold start ${outcome.initMs.toFixed(1)} ms)`;
  return `${time} ${logicalId} ← ${trigger}  ${status}  ${outcome.durationMs.toFixed(1)} ms${cold}`;
}
