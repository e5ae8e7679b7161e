import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@repo/testing/wait';
import { afterEach, describe, expect, it } from 'vitest';
import { type ConcurrencyLimits, FunctionHost, type FunctionSpec } from '../src/function-host.ts';
import type { JournalWriter } from '../src/journal.ts';
import { type Gate, startGate as openGate } from './gate.ts';
import { localRuntime } from './local-runtime.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/functions/${name}.mjs`, import.meta.url));

function spec(logicalId: string, file: string, overrides: Partial<FunctionSpec> = {}): FunctionSpec {
  return {
    logicalId,
    ...localRuntime(overrides.runtime),
    handlerFile: fixture(file),
    exportName: 'handler',
    // Far above what these fixtures take even on a loaded machine: only the timeout test relies on one.
    timeoutSeconds: 30,
    memoryMb: 256,
    functionArn: `arn:aws:lambda:us-east-1:000000000000:function:${logicalId}`,
    environment: { GREETING: `hello from ${logicalId}` },
    ...overrides,
  };
}

/** What the local Node.js 24 runtime answers a callback-style handler with. */
const callbackRefusal =
  'ERROR: AWS Lambda no longer supports callback-based function handlers from Node.js 24 on. Change this ' +
  'function to a supported handler signature (async, or returning a Promise) to run it on Node.js 24 or ' +
  'later. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.';

let host: FunctionHost;
let lines: string[];
let logs: PassThrough;

function createHost(specs: FunctionSpec[], limits?: Partial<ConcurrencyLimits>) {
  lines = [];
  logs = new PassThrough();
  host = new FunctionHost(specs, { logs, log: (line) => lines.push(line) }, limits);
  return host;
}

let gate: Gate | undefined;
const startGate = async () => {
  gate = await openGate();
  return gate;
};

afterEach(async () => {
  gate?.open();
  await host.close();
  await gate?.close();
  gate = undefined;
});

describe('FunctionHost', () => {
  it('runs a handler with a Lambda-like context, its own environment, and reuses the warm environment', async () => {
    createHost([spec('Echo', 'echo', { memoryMb: 384 })]);

    const before = performance.now();
    const first = await host.invoke('Echo', { hello: 'world' }, 'test');
    const elapsedMs = performance.now() - before;
    const second = await host.invoke('Echo', {}, 'test');

    expect(first).toMatchObject({
      ok: true,
      result: {
        event: { hello: 'world' },
        invocations: 1,
        greeting: 'hello from Echo',
        functionName: 'Echo',
        memoryLimitInMB: '384',
      },
    });
    const result = (first as { result: { awsRequestId: string; remainingMs: number } }).result;
    expect(result.awsRequestId).toBe(first.requestId);
    // Counts down from the Timeout: no more than the invocation has taken so far is gone (give or take
    // the 1 ms granularity of the wall clock the deadline is kept on).
    expect(result.remainingMs).toBeLessThanOrEqual(30_000);
    expect(result.remainingMs).toBeGreaterThanOrEqual(30_000 - Math.ceil(elapsedMs) - 1);
    expect(first.initMs).toBeGreaterThan(0);
    expect(second).toMatchObject({ ok: true, result: { invocations: 2 } });
    expect(second.initMs).toBeUndefined();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/Echo ← test {2}ok {2}[\d.]+ ms \(cold start [\d.]+ ms\)$/);
  });

  it('gives each function exactly its own environment, none of the host’s', async () => {
    createHost([spec('A', 'echo'), spec('B', 'echo', { environment: {} })]);

    const a = await host.invoke('A', {}, 'test');
    const b = await host.invoke('B', {}, 'test');

    expect(a).toMatchObject({ ok: true, result: { greeting: 'hello from A' } });
    expect(b).toMatchObject({ ok: true, result: { greeting: null } });
    expect(process.env.GREETING).toBeUndefined();
  });

  it('enforces the timeout: the invocation fails, the host survives, the next one gets a fresh environment', async () => {
    createHost([spec('Slow', 'slow', { timeoutSeconds: 1 })]);
    await host.invoke('Slow', {}, 'test');

    const sleepMs = 30_000;
    const timedOut = await host.invoke('Slow', { sleepMs }, 'test');
    const after = await host.invoke('Slow', {}, 'test');

    expect(timedOut).toMatchObject({
      ok: false,
      error: { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 1.00 seconds' },
    });
    // Ended at the timeout, never before it, and without waiting for the handler (a loaded machine may
    // run the timer late, so the upper bound is the handler's own sleep, not the timeout plus a guess).
    expect(timedOut.durationMs).toBeGreaterThanOrEqual(1_000);
    expect(timedOut.durationMs).toBeLessThan(sleepMs);
    expect(after).toMatchObject({ ok: true, result: { invocations: 1 } });
    expect(after.initMs).toBeGreaterThan(0);
    expect(lines[1]).toContain('Sandbox.Timedout');
  });

  it('reports a thrown error, a rejection with a non-Error and a crash as failed invocations', async () => {
    createHost([spec('Throws', 'throws')]);

    const thrown = await host.invoke('Throws', {}, 'test');
    const rejected = await host.invoke('Throws', { reject: true }, 'test');
    const crashed = await host.invoke('Throws', { crash: true }, 'test');
    const afterCrash = await host.invoke('Throws', {}, 'test');

    expect(thrown).toMatchObject({
      ok: false,
      error: { errorType: 'TypeError', errorMessage: 'Cannot read properties of undefined (reading "id")' },
    });
    expect((thrown as { error: { stackTrace: string[] } }).error.stackTrace[0]).toContain('throws.mjs');
    expect(rejected).toMatchObject({ ok: false, error: { errorMessage: 'a string, not an Error' } });
    expect(crashed).toMatchObject({ ok: false, error: { errorType: 'Runtime.ExitError' } });
    expect(afterCrash).toMatchObject({ ok: false, error: { errorType: 'TypeError' } });
  });

  it('reports a failed init with its error, and tries the init again on the next invocation', async () => {
    createHost([spec('BadInit', 'bad-init')]);

    const first = await host.invoke('BadInit', {}, 'test');
    const second = await host.invoke('BadInit', {}, 'test');

    for (const outcome of [first, second]) {
      expect(outcome).toMatchObject({
        ok: false,
        error: { errorType: 'ConfigError', errorMessage: 'Invalid environment: TABLE_NAME is missing' },
      });
    }
  });

  it('runs each function on the Node.js major its runtime names, with that runtime’s context', async () => {
    createHost([
      spec('Node22', 'node-version', { runtime: 'nodejs22.x' }),
      spec('Node24', 'node-version', { runtime: 'nodejs24.x' }),
    ]);

    const node22 = await host.invoke('Node22', {}, 'test');
    const node24 = await host.invoke('Node24', {}, 'test');

    expect(node22).toMatchObject({ ok: true, result: { version: expect.stringMatching(/^v22\./) } });
    expect(node24).toMatchObject({ ok: true, result: { version: expect.stringMatching(/^v24\./) } });
    // Node.js 24's runtime dropped the callback model's members from the context.
    expect((node22 as { result: { callbackMembers: string[] } }).result.callbackMembers).toEqual([
      'callbackWaitsForEmptyEventLoop',
      'done',
      'fail',
      'succeed',
    ]);
    expect((node24 as { result: { callbackMembers: string[] } }).result.callbackMembers).toEqual([]);
  });

  it('runs callback-style handlers on nodejs22.x', async () => {
    createHost([spec('Callback', 'callback', { runtime: 'nodejs22.x' })]);

    await expect(host.invoke('Callback', { value: 7 }, 'test')).resolves.toMatchObject({
      ok: true,
      result: { viaCallback: true, value: 7 },
    });
  });

  it('fails the init of a handler declaring a callback on nodejs24.x, async or not, as Lambda does', async () => {
    createHost([
      spec('Callback', 'callback', { runtime: 'nodejs24.x' }),
      spec('AsyncCallback', 'async-callback', { runtime: 'nodejs24.x' }),
    ]);

    const outcomes = [
      await host.invoke('Callback', { value: 7 }, 'test'),
      await host.invoke('Callback', { value: 7 }, 'test'),
      await host.invoke('AsyncCallback', { value: 7 }, 'test'),
    ];

    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ ok: false, error: { errorType: 'Runtime.CallbackHandlerDeprecated' } });
      expect((outcome as { error: { errorMessage: string } }).error.errorMessage).toBe(callbackRefusal);
    }
    // An init failure ends the environment: the next invocation tries the init again, in a new one.
    expect(host.stats().Callback).toMatchObject({ coldStarts: 2, environments: 0 });
    expect(lines[0]).toContain(`Callback ← test  Runtime.CallbackHandlerDeprecated: ${callbackRefusal}`);
  });

  it('starts a fresh environment after a reload, and forwards the functions’ own logs', async () => {
    createHost([spec('Echo', 'echo')]);
    const chunks: string[] = [];
    logs.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    await host.invoke('Echo', {}, 'test');

    await host.reload(spec('Echo', 'echo', { environment: { GREETING: 'reloaded' } }));
    const after = await host.invoke('Echo', {}, 'test');

    expect(after).toMatchObject({ ok: true, result: { invocations: 1, greeting: 'reloaded' } });
    // The worker's stdout reaches the host on its own schedule: wait for it.
    await waitFor(() => chunks.join('').includes('"greeting":"hello from Echo"'));
  });

  it('answers an unknown function with a failed outcome', async () => {
    createHost([]);

    await expect(host.invoke('Nope', {}, 'test')).resolves.toMatchObject({
      ok: false,
      error: { errorType: 'ResourceNotFoundException' },
    });
  });
});

describe('FunctionHost execution environments', () => {
  it('runs concurrent invocations each in an environment of its own, then reuses them warm', async () => {
    // Prepare
    createHost([spec('Gate', 'gate')], { account: 10 });
    const { url, waiting: arrived, open } = await startGate();

    // Act: ten at once, all held at the gate until all ten are there
    const held = Array.from({ length: 10 }, () => host.invoke('Gate', { gate: url }, 'test'));
    await waitFor(() => arrived() === 10, 30_000);
    open();
    const outcomes = await Promise.all(held);
    const warm = await host.invoke('Gate', {}, 'test');

    // Assess: ten cold starts in ten environments; the next invocation takes a warm one
    const environments = outcomes.map((outcome) => (outcome as { result: { environment: string } }).result);
    expect(new Set(environments.map((result) => result.environment)).size).toBe(10);
    expect(outcomes.every((outcome) => outcome.initMs !== undefined)).toBe(true);
    expect(warm).toMatchObject({ ok: true, result: { invocations: 2 } });
    expect(warm.initMs).toBeUndefined();
    expect(host.stats().Gate).toEqual({
      invocations: 11,
      running: 0,
      environments: 10,
      peakEnvironments: 10,
      peakRunning: 10,
      coldStarts: 10,
      throttles: 0,
    });
  });

  it('throttles an invocation over the reserved concurrency with Lambda’s error, and serves again after', async () => {
    // Prepare: two running, held
    createHost([
      spec('Reserved', 'gate', { reservedConcurrency: 2 }),
      spec('Off', 'gate', { reservedConcurrency: 0 }),
    ]);
    const { url, waiting: arrived, open } = await startGate();
    const held = [
      host.invoke('Reserved', { gate: url }, 'test'),
      host.invoke('Reserved', { gate: url }, 'test'),
    ];
    await waitFor(() => arrived() === 2, 30_000);

    // Act
    const third = await host.invoke('Reserved', {}, 'test');
    const off = await host.invoke('Off', {}, 'test');
    open();
    await Promise.all(held);
    const afterwards = await host.invoke('Reserved', {}, 'test');

    // Assess
    for (const throttled of [third, off]) {
      expect(throttled).toMatchObject({
        ok: false,
        error: { errorType: 'TooManyRequestsException', errorMessage: 'Rate Exceeded.' },
      });
    }
    expect(afterwards).toMatchObject({ ok: true });
    expect(host.stats().Reserved).toMatchObject({ throttles: 1, peakRunning: 2, environments: 2 });
    expect(host.stats().Off).toMatchObject({ throttles: 1, coldStarts: 0, environments: 0 });
    expect(lines.filter((line) => line.includes('TooManyRequestsException'))).toHaveLength(2);
  });

  it('shares the account limit among the functions without reserved concurrency, less what others reserve', async () => {
    // Prepare: an account of 3, of which B reserves 1: A and C share 2
    createHost([spec('A', 'gate'), spec('B', 'gate', { reservedConcurrency: 1 }), spec('C', 'gate')], {
      account: 3,
    });
    const { url, waiting: arrived, open } = await startGate();
    const held = [host.invoke('A', { gate: url }, 'test'), host.invoke('C', { gate: url }, 'test')];
    await waitFor(() => arrived() === 2, 30_000);

    // Act
    const a = await host.invoke('A', {}, 'test');
    const b = await host.invoke('B', {}, 'test');
    open();
    await Promise.all(held);

    // Assess: A is throttled, B still has its reserved one
    expect(a).toMatchObject({ ok: false, error: { errorType: 'TooManyRequestsException' } });
    expect(b).toMatchObject({ ok: true });
  });

  it('ends only the environment that crashed: the others finish their invocations and keep serving', async () => {
    // Prepare: three invocations held in three environments
    createHost([spec('Gate', 'gate')]);
    const { url, waiting: arrived, open } = await startGate();
    const held = Array.from({ length: 3 }, () => host.invoke('Gate', { gate: url }, 'test'));
    await waitFor(() => arrived() === 3, 30_000);

    // Act: a fourth crashes its environment
    const crashed = await host.invoke('Gate', { crash: true }, 'test');
    open();
    const outcomes = await Promise.all(held);
    const next = await host.invoke('Gate', {}, 'test');

    // Assess
    expect(crashed).toMatchObject({ ok: false, error: { errorType: 'Runtime.ExitError' } });
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    expect(next).toMatchObject({ ok: true, result: { invocations: 2 } });
    expect(host.stats().Gate).toMatchObject({ environments: 3, peakEnvironments: 4, coldStarts: 4 });
  });

  it('reclaims an idle environment after the idle timeout: the next invocation is a cold start', async () => {
    createHost([spec('Echo', 'echo')], { idleTimeoutMs: 100 });
    await host.invoke('Echo', {}, 'test');

    await waitFor(() => host.stats().Echo?.environments === 0, 30_000);
    const after = await host.invoke('Echo', {}, 'test');

    expect(after).toMatchObject({ ok: true, result: { invocations: 1 } });
    expect(after.initMs).toBeGreaterThan(0);
    expect(host.stats().Echo).toMatchObject({ coldStarts: 2, environments: 1 });
  });

  it('gives each environment a temporary folder of its own, kept while it is warm, removed with it', async () => {
    // Prepare: two invocations at once, so in two environments
    createHost([spec('Tmp', 'tmp')]);
    const { url, waiting, open } = await startGate();
    const held = [
      host.invoke('Tmp', { name: 'a', gate: url }, 'test'),
      host.invoke('Tmp', { name: 'b', gate: url }, 'test'),
    ];
    await waitFor(() => waiting() === 2, 30_000);
    open();

    // Act
    const [a, b] = (await Promise.all(held)) as { result: { tmp: string; files: string[] } }[];
    const again = (await host.invoke('Tmp', { name: 'c' }, 'test')) as {
      result: { tmp: string; files: string[] };
    };
    await host.close();

    // Assess: each saw its own file only; the warm one kept what it had; all gone after
    expect(a?.result.files).toEqual(['a']);
    expect(b?.result.files).toEqual(['b']);
    expect(a?.result.tmp).not.toBe(b?.result.tmp);
    expect([
      ['a', 'c'],
      ['b', 'c'],
    ]).toContainEqual(again.result.files);
    for (const outcome of [a, b]) expect(existsSync(outcome?.result.tmp ?? '')).toBe(false);
  });

  it('ends an environment that outgrows its memory size, and serves the next invocation from a fresh one', async () => {
    createHost([spec('Hog', 'hog', { memoryMb: 128 })]);

    const hogged = await host.invoke('Hog', { hog: true }, 'test');
    const next = await host.invoke('Hog', {}, 'test');

    expect(hogged).toMatchObject({ ok: false, error: { errorType: 'Runtime.ExitError' } });
    expect(next).toMatchObject({ ok: true });
    expect(next.initMs).toBeGreaterThan(0);
  });
});

describe('FunctionHost journal', () => {
  const root = '1-6b0912b3-28e02368ba7444aef6f6c61a';
  let entries: Parameters<JournalWriter>[0][];
  let printed: string[];

  function createJournaledHost(specs: FunctionSpec[]) {
    entries = [];
    printed = [];
    logs = new PassThrough();
    logs.setEncoding('utf8').on('data', (text: string) => printed.push(text));
    host = new FunctionHost(specs, { logs, log: () => undefined, journal: (entry) => entries.push(entry) });
    return host;
  }

  it('records each invocation with its request id, its trace id — the caller’s root when given — and its outcome', async () => {
    // Prepare
    createJournaledHost([spec('Traced', 'traced'), spec('Throws', 'throws')]);

    // Act
    const joined = await host.invoke('Traced', {}, 'GET /traced', {
      traceHeader: `Root=${root};Parent=53995c3f42cd8ad8;Sampled=1`,
    });
    const fresh = await host.invoke('Traced', {}, 'GET /traced', { traceHeader: 'Root=garbage' });
    const failed = await host.invoke('Throws', {}, 'sqs:jobs');

    // Assess: the function ran in the trace it was given (the SDK sends this header on every call).
    expect(joined).toMatchObject({
      ok: true,
      traceId: root,
      result: { header: expect.stringContaining(`Root=${root};`) },
    });
    expect(fresh.traceId).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(fresh.traceId).not.toBe(root);
    const invocations = entries.filter((entry) => entry.type === 'invocation');
    expect(invocations).toEqual([
      expect.objectContaining({
        functionId: 'Traced',
        trigger: 'GET /traced',
        requestId: joined.requestId,
        traceId: root,
        ok: true,
        coldStart: true,
      }),
      expect.objectContaining({
        requestId: fresh.requestId,
        traceId: fresh.traceId,
        ok: true,
        coldStart: false,
      }),
      expect.objectContaining({
        functionId: 'Throws',
        trigger: 'sqs:jobs',
        requestId: failed.requestId,
        traceId: failed.traceId,
        ok: false,
        errorType: 'TypeError',
        durationMs: expect.any(Number),
      }),
    ]);
  });

  it('records each JSON object a function prints, on stdout or stderr, but not its EMF lines, printing everything as before', async () => {
    // Prepare
    createJournaledHost([spec('Logs', 'logs')]);

    // Act
    await host.invoke('Logs', {}, 'test');
    // stdout and stderr are two pipes: either may come in first.
    await waitFor(() => ['{"not": json', 'resize failed'].every((text) => printed.join('').includes(text)));

    // Assess
    const records = entries.filter((entry) => entry.type === 'log');
    expect(records).toHaveLength(2);
    expect(records).toEqual(
      expect.arrayContaining([
        {
          type: 'log',
          functionId: 'Logs',
          record: { level: 'INFO', message: 'resizing', service: 'image-resizer' },
        },
        {
          type: 'log',
          functionId: 'Logs',
          record: { level: 'ERROR', message: 'resize failed', service: 'image-resizer' },
        },
      ]),
    );
    const output = printed.join('');
    for (const text of [
      '"message":"resizing"',
      '"message":"resize failed"',
      '"ImagesResized":1',
      'plain text',
    ])
      expect(output).toContain(text);
  });
});
