import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { newTraceRoot, traceRootOf } from '@repo/aws-local/xray-daemon';
import { EmfLineSplitter } from './emf.ts';
import type { JournalWriter } from './journal.ts';
import type { LambdaFaultInjector } from './lambda-faults.ts';
import { LocalTraces } from './traces.ts';
import {
  type InvokeError,
  type InvokeOptions,
  type InvokeOutcome,
  type Log,
  throttledError,
} from './types.ts';

/** One function as the host runs it: a built handler module and the environment Lambda would give it. */
export interface FunctionSpec {
  logicalId: string;
  /** The template's `Runtime` (`nodejs24.x`): AWS_EXECUTION_ENV, and what the runtime accepts. */
  runtime: string;
  /** The Node.js build of that runtime's major (tooling/node): every environment is a process of it. */
  node: { version: string; major: number; path: string };
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
  /** `ReservedConcurrentExecutions`: this many at once at most (0 throttles every invocation). */
  reservedConcurrency?: number;
}

/** Lambda's account-level limits, locally. */
export interface ConcurrencyLimits {
  /**
   * Invocations in flight at once across the functions without reserved concurrency, less what the
   * others reserve (Lambda's account concurrency; 1,000 per Region by default in AWS).
   */
  account: number;
  /** How long an idle execution environment is kept warm before it is reclaimed. */
  idleTimeoutMs: number;
}

export const defaultLimits: ConcurrencyLimits = { account: 10, idleTimeoutMs: 5 * 60_000 };

/** Per function: its execution environments now and at peak, cold starts, throttles. */
export interface ConcurrencyStats {
  invocations: number;
  /** Invocations running now. */
  running: number;
  /** Execution environments alive now (running or idle). */
  environments: number;
  peakEnvironments: number;
  peakRunning: number;
  coldStarts: number;
  throttles: number;
}

interface Pending {
  requestId: string;
  resolve: (outcome: InvokeOutcome) => void;
  started: number;
  initMs?: number;
  timer: NodeJS.Timeout;
  /** An injected `die` or `timeout`, still to happen; `faultTimer` makes it happen half-way through. */
  fault?: 'die' | 'timeout';
  faultTimer?: NodeJS.Timeout;
}

/**
 * Lambda's execution environments, locally: per function, an invocation takes an idle (warm)
 * environment or starts a new one (a cold start), each a process of its own (function-worker.mjs) with
 * exactly the function's environment, its own module state, its own temporary folder (TMPDIR, what
 * `os.tmpdir()` returns) and its memory size as its heap limit, running one invocation at a time. An invocation over the
 * function's limit — its reserved concurrency, else what the account has left — is throttled
 * (`TooManyRequestsException`), as Lambda does; the caller decides what that means (API Gateway answers
 * 500, asynchronous events wait and retry, an SQS batch comes back). A timeout or a crash ends that
 * environment only; idle environments are reclaimed after `idleTimeoutMs`. With `faults` (a fault
 * profile's execution-environment rules), inits fail, environments die and invocations time out through
 * those same paths.
 */
export class FunctionHost {
  readonly #specs = new Map<string, FunctionSpec>();
  readonly #pools = new Map<string, Pool>();
  readonly #limits: ConcurrencyLimits;
  #traces: Promise<LocalTraces> | undefined;
  #closed = false;

  constructor(
    specs: readonly FunctionSpec[],
    private readonly output: {
      logs: Writable;
      log: Log;
      /** Where to summarise the EMF metrics a function prints (after its invocation line); off if unset. */
      metrics?: Log;
      /** Where to print each invocation's X-Ray trace (after its invocation line); off if unset. */
      traces?: Log;
      /** Where to record invocations, injected faults and the functions' structured logs (`--journal`). */
      journal?: JournalWriter;
    },
    limits: Partial<ConcurrencyLimits> = {},
    private readonly faults?: LambdaFaultInjector,
  ) {
    this.#limits = { ...defaultLimits, ...limits };
    for (const spec of specs) {
      this.#specs.set(spec.logicalId, spec);
      this.#pools.set(spec.logicalId, new Pool());
    }
  }

  /** Runs one invocation; resolves with its outcome and logs one line (function, trigger, duration, outcome). */
  readonly invoke = async (
    logicalId: string,
    event: unknown,
    trigger: string,
    options: InvokeOptions = {},
  ): Promise<InvokeOutcome> => {
    const spec = this.#specs.get(logicalId);
    const pool = this.#pools.get(logicalId);
    if (!spec || !pool) {
      return failure(randomUUID(), 0, {
        errorType: 'ResourceNotFoundException',
        errorMessage: `No function ${logicalId}`,
      });
    }
    pool.stats.invocations += 1;
    if (!this.#hasRoom(spec, pool)) {
      pool.stats.throttles += 1;
      const throttled = {
        ...failure(randomUUID(), 0, throttledError),
        traceId: traceRootOf(options.traceHeader),
      };
      this.output.log(invocationLine(logicalId, trigger, throttled));
      this.#record(logicalId, trigger, event, throttled);
      return throttled;
    }
    // Taken before the first await: concurrent invocations count each other.
    let sandbox = pool.take();
    pool.begin();
    try {
      // The local X-Ray daemon: functions always get one to send to, as Lambda gives them one.
      this.#traces ??= LocalTraces.start();
      const traces = await this.#traces;
      if (!sandbox) {
        sandbox = new Sandbox(spec, this.output.logs, traces, this.output, this.faults);
        pool.add(sandbox);
      }
      const outcome = await sandbox.invoke(event, options.traceHeader);
      this.output.log(invocationLine(logicalId, trigger, outcome));
      this.#record(logicalId, trigger, event, outcome);
      sandbox.flushSummaries();
      return outcome;
    } finally {
      pool.end();
      if (sandbox) pool.release(sandbox, this.#closed ? 0 : this.#limits.idleTimeoutMs);
    }
  };

  /** The invocation in the journal, with its event unless it is an API request (those are many, and large). */
  #record(functionId: string, trigger: string, event: unknown, outcome: InvokeOutcome): void {
    const api = typeof event === 'object' && event !== null && 'httpMethod' in event;
    this.output.journal?.({
      type: 'invocation',
      functionId,
      trigger,
      requestId: outcome.requestId,
      traceId: outcome.traceId,
      ok: outcome.ok,
      errorType: outcome.ok ? undefined : outcome.error.errorType,
      durationMs: outcome.durationMs,
      coldStart: outcome.initMs !== undefined,
      ...(api ? {} : { event }),
    });
  }

  /** Per function: environments now and at peak, cold starts, throttles. */
  stats(): Record<string, ConcurrencyStats> {
    return Object.fromEntries([...this.#pools].map(([logicalId, pool]) => [logicalId, pool.snapshot()]));
  }

  /** Whether one more invocation of `spec` fits its reserved concurrency, or what the account has left. */
  #hasRoom(spec: FunctionSpec, pool: Pool): boolean {
    if (spec.reservedConcurrency !== undefined) return pool.stats.running < spec.reservedConcurrency;
    let reserved = 0;
    let running = 0;
    for (const [logicalId, other] of this.#pools) {
      const limit = this.#specs.get(logicalId)?.reservedConcurrency;
      if (limit === undefined) running += other.stats.running;
      else reserved += limit;
    }
    return running < Math.max(0, this.#limits.account - reserved);
  }

  /** Replaces a function's spec (e.g. after a rebuild); its next invocations start fresh environments. */
  async reload(spec: FunctionSpec): Promise<void> {
    this.#specs.set(spec.logicalId, spec);
    await this.#pools.get(spec.logicalId)?.retireAll();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#pools.values()].map((pool) => pool.terminateAll()));
    const traces = this.#traces;
    this.#traces = undefined;
    await (await traces)?.close();
  }
}

/** One function's execution environments: the idle ones (most recently used first) and the counts. */
class Pool {
  readonly #idle: { sandbox: Sandbox; reclaim: NodeJS.Timeout }[] = [];
  readonly #all = new Set<Sandbox>();
  readonly stats: ConcurrencyStats = {
    invocations: 0,
    running: 0,
    environments: 0,
    peakEnvironments: 0,
    peakRunning: 0,
    coldStarts: 0,
    throttles: 0,
  };

  /** A warm environment, if one is idle and alive. */
  take(): Sandbox | undefined {
    for (;;) {
      const idle = this.#idle.pop();
      if (!idle) return undefined;
      clearTimeout(idle.reclaim);
      if (!idle.sandbox.dead) return idle.sandbox;
      this.#forget(idle.sandbox);
    }
  }

  begin(): void {
    this.stats.running += 1;
    this.stats.peakRunning = Math.max(this.stats.peakRunning, this.stats.running);
  }

  end(): void {
    this.stats.running -= 1;
  }

  add(sandbox: Sandbox): void {
    this.#all.add(sandbox);
    this.stats.coldStarts += 1;
    this.stats.environments = this.#all.size;
    this.stats.peakEnvironments = Math.max(this.stats.peakEnvironments, this.#all.size);
  }

  /** Back to idle after an invocation, reclaimed after `idleMs`; a dead environment is dropped. */
  release(sandbox: Sandbox, idleMs: number): void {
    if (sandbox.dead || !this.#all.has(sandbox)) {
      this.#forget(sandbox);
      return;
    }
    const reclaim = setTimeout(() => {
      const index = this.#idle.findIndex((idle) => idle.sandbox === sandbox);
      if (index >= 0) this.#idle.splice(index, 1);
      this.#forget(sandbox);
      void sandbox.terminate();
    }, idleMs);
    reclaim.unref();
    this.#idle.push({ sandbox, reclaim });
  }

  #forget(sandbox: Sandbox): void {
    this.#all.delete(sandbox);
    this.stats.environments = this.#all.size;
  }

  /** After a reload: idle environments stop now, running ones when their invocation ends. */
  async retireAll(): Promise<void> {
    const all = [...this.#all];
    for (const idle of this.#idle.splice(0)) clearTimeout(idle.reclaim);
    for (const sandbox of all) this.#forget(sandbox);
    await Promise.all(all.map((sandbox) => sandbox.retire()));
  }

  async terminateAll(): Promise<void> {
    const all = [...this.#all];
    for (const idle of this.#idle.splice(0)) clearTimeout(idle.reclaim);
    for (const sandbox of all) this.#forget(sandbox);
    await Promise.all(all.map((sandbox) => sandbox.terminate()));
  }

  snapshot(): ConcurrencyStats {
    return { ...this.stats };
  }
}

/** One execution environment: its process, the invocation in flight, its timeout and its summaries. */
class Sandbox {
  dead = false;
  #queue: Promise<unknown> = Promise.resolve();
  #pending: Pending | undefined;
  #ready: Promise<{ initMs: number } | { error: InvokeError }>;
  #initReported = false;
  /** An injected init-error not journaled yet. */
  #initFault = false;
  /** Metric and trace summaries printed during an invocation, held until its invocation line is out. */
  #held: { line: string; to: Log }[] = [];
  #holding = false;
  readonly #process: ChildProcess;
  /** This environment's own temporary folder (its TMPDIR), removed with it. */
  readonly #tmp: string;

  constructor(
    private readonly spec: FunctionSpec,
    logs: Writable,
    private readonly traces: LocalTraces,
    private readonly summaries: { metrics?: Log; traces?: Log; journal?: JournalWriter },
    private readonly faults?: LambdaFaultInjector,
  ) {
    const { metrics, journal } = summaries;
    const initFault = faults?.atInit(spec.logicalId);
    // Journaled with the invocation that meets it (its request and trace ids), in #run.
    this.#initFault = Boolean(initFault);
    this.#tmp = mkdtempSync(join(tmpdir(), `${spec.logicalId}-`));
    this.#process = fork(
      fileURLToPath(new URL('./function-worker.mjs', import.meta.url)),
      [
        JSON.stringify({
          handlerFile: spec.handlerFile,
          exportName: spec.exportName,
          functionName: spec.logicalId,
          functionArn: spec.functionArn,
          memoryMb: spec.memoryMb,
          runtime: spec.runtime,
          // The worker fails its init with Runtime.InitError before it loads the handler module.
          injectedInitError: initFault?.kind === 'init-error',
        }),
      ],
      {
        // The Node.js of the function's Runtime, not the host's: a nodejs22.x function runs on Node 22.
        execPath: spec.node.path,
        // Lambda's PATH starts with its runtime's own bin folder (/var/lang/bin); the host's follows.
        env: {
          ...spec.environment,
          PATH: `${dirname(spec.node.path)}:${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`,
          TMPDIR: this.#tmp,
          AWS_XRAY_DAEMON_ADDRESS: traces.address,
        },
        // Not the host's flags (tsx's loader): the function's heap limit is its memory size.
        execArgv: [`--max-old-space-size=${spec.memoryMb}`],
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        // Its own process group: a terminal's Ctrl-C reaches pnpm dev, which lets the invocation in
        // flight finish before it stops the environment. It exits when pnpm dev goes (IPC disconnect).
        detached: true,
      },
    );
    // Lambda sends stdout and stderr alike to CloudWatch Logs (Powertools' logger writes ERROR lines to
    // stderr): both are read for EMF and structured log lines.
    for (const stream of [this.#process.stdout, this.#process.stderr] as NodeJS.ReadableStream[]) {
      if (metrics || journal) {
        const summarise = metrics ? this.#summarise(metrics) : () => undefined;
        const record =
          journal &&
          ((line: Record<string, unknown>) =>
            journal({ type: 'log', functionId: spec.logicalId, record: line }));
        stream.pipe(new EmfLineSplitter(spec.logicalId, summarise, record)).pipe(logs, { end: false });
      } else stream.pipe(logs, { end: false });
    }
    let resolveReady: (value: { initMs: number } | { error: InvokeError }) => void = () => undefined;
    this.#ready = new Promise((resolve) => {
      resolveReady = resolve;
    });
    this.#process.on('message', (message: WorkerMessage) => {
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
    this.#process.on('error', (error) =>
      crash({ errorType: 'Runtime.ExitError', errorMessage: `Runtime failed: ${error.message}` }),
    );
    this.#process.on('exit', (code, signal) => {
      rmSync(this.#tmp, { recursive: true, force: true });
      crash({
        errorType: 'Runtime.ExitError',
        errorMessage:
          code === null
            ? `Runtime exited with error: signal: ${signal}`
            : `Runtime exited with error: exit status ${code}`,
      });
    });
  }

  /** Queues one invocation behind the previous one (the pool hands an environment one at a time). */
  invoke(event: unknown, traceHeader?: string): Promise<InvokeOutcome> {
    const run = this.#queue.then(() => this.#run(event, traceHeader));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #run(event: unknown, callerTrace?: string): Promise<InvokeOutcome> {
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
      // The invocation never started, but it was in a trace: its caller's, else a new one.
      const traceId = traceRootOf(callerTrace) ?? newTraceRoot();
      this.#journalInitFault(requestId, traceId);
      await this.terminate();
      return { ...failure(requestId, performance.now() - started, ready.error), traceId };
    }
    this.#initReported = true;
    const fault = this.faults?.atInvoke(this.spec.logicalId)?.kind;
    this.#holding = true;
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    const { traces } = this.summaries;
    const trace = this.traces.begin(
      Boolean(this.spec.tracing && traces),
      this.spec.logicalId,
      traces ? this.#summarise(traces) : () => undefined,
      callerTrace,
    );
    if (fault) {
      const { logicalId: functionId } = this.spec;
      this.summaries.journal?.({
        type: 'lambda-fault',
        functionId,
        fault,
        requestId,
        traceId: trace.traceId,
      });
    }
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
        this.#timeOut(requestId);
      };
      const timer = setTimeout(expire, timeoutMs);
      this.#pending = { requestId, resolve, started, initMs, timer, fault };
      if (fault) {
        // Half-way through the time the handler has, or when it answers if that is sooner (its answer
        // is then lost): always while the handler runs, after it started, its work partly or all done.
        this.#pending.faultTimer = setTimeout(() => this.#inject(requestId), timeoutMs / 2);
      }
      this.#process.send({
        requestId,
        event,
        deadline: Date.now() + timeoutMs,
        traceHeader: trace.header,
      });
    });
    const settled = await outcome;
    if (trace.printed) await this.traces.end(trace.traceId);
    return { ...settled, traceId: trace.traceId };
  }

  /** Prints a summary line now, or after the invocation line when an invocation is running. */
  #summarise(to: Log): Log {
    return (line) => {
      if (this.#holding) this.#held.push({ line, to });
      else to(line);
    };
  }

  /** Lambda stops the environment at the timeout; the next invocation gets a fresh one. */
  #timeOut(requestId: string): void {
    const pending = this.#pending;
    if (pending?.requestId !== requestId) return;
    this.#finish(
      failure(requestId, performance.now() - pending.started, {
        errorType: 'Sandbox.Timedout',
        errorMessage: `Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds`,
      }),
    );
    void this.terminate();
  }

  /**
   * An injected fault happens: `timeout` ends the invocation as its timeout does (without waiting the
   * rest of it), `die` kills the environment's process, which fails the invocation as any crash does.
   */
  #inject(requestId: string): void {
    const pending = this.#pending;
    if (pending?.requestId !== requestId || !pending.fault) return;
    const fault = pending.fault;
    pending.fault = undefined;
    if (fault === 'timeout') this.#timeOut(requestId);
    else this.#process.kill('SIGKILL');
  }

  #settle(message: Extract<WorkerMessage, { type: 'result' }>): void {
    const pending = this.#pending;
    if (!pending || pending.requestId !== message.requestId) return;
    if (pending.fault) {
      this.#inject(pending.requestId);
      return;
    }
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
    clearTimeout(pending.faultTimer);
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

  /** The injected init-error, once: with the invocation that met it, or without one (stopped before any). */
  #journalInitFault(requestId?: string, traceId?: string): void {
    if (!this.#initFault) return;
    this.#initFault = false;
    const { logicalId: functionId } = this.spec;
    this.summaries.journal?.({ type: 'lambda-fault', functionId, fault: 'init-error', requestId, traceId });
  }

  async terminate(): Promise<void> {
    this.#journalInitFault();
    this.dead = true;
    if (this.#process.exitCode !== null || this.#process.signalCode !== null) return;
    const exited = once(this.#process, 'exit');
    this.#process.kill('SIGKILL');
    await exited;
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
