import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LambdaFaultRule } from '../src/fault-profile.ts';
import { FunctionHost, type FunctionSpec } from '../src/function-host.ts';
import type { JournalWriter } from '../src/journal.ts';
import { lambdaFaultInjector } from '../src/lambda-faults.ts';
import type { InvokeOutcome } from '../src/types.ts';
import { localRuntime } from './local-runtime.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/functions/${name}.mjs`, import.meta.url));

function spec(logicalId: string, file: string, overrides: Partial<FunctionSpec> = {}): FunctionSpec {
  return {
    logicalId,
    ...localRuntime(),
    handlerFile: fixture(file),
    exportName: 'handler',
    timeoutSeconds: 30,
    memoryMb: 256,
    functionArn: `arn:aws:lambda:us-east-1:000000000000:function:${logicalId}`,
    environment: {},
    ...overrides,
  };
}

let host: FunctionHost;
let reported: string[];
let dir: string;

let journaled: Parameters<JournalWriter>[0][];

function createHost(specs: FunctionSpec[], rules: LambdaFaultRule[]) {
  reported = [];
  journaled = [];
  const faults = lambdaFaultInjector(rules, 1, (line) => reported.push(line));
  const journal: JournalWriter = (entry) => journaled.push(entry);
  host = new FunctionHost(specs, { logs: new PassThrough(), log: () => undefined, journal }, {}, faults);
  return host;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'function-host-faults-'));
});

afterEach(async () => {
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('FunctionHost with injected faults', () => {
  it('fails an init with Runtime.InitError before the handler loads; the next invocation inits afresh', async () => {
    createHost([spec('Writer', 'write-file')], [{ count: 1, fault: { kind: 'init-error' } }]);

    const failed = await host.invoke('Writer', {}, 'test');
    const next = await host.invoke('Writer', {}, 'test');

    expect(failed).toMatchObject({
      ok: false,
      error: { errorType: 'Runtime.InitError', errorMessage: expect.stringContaining('injected') },
    });
    expect(next).toMatchObject({ ok: true, result: { invocations: 1 } });
    expect(next.initMs).toBeGreaterThan(0);
    expect(host.stats().Writer).toMatchObject({ coldStarts: 2, environments: 1 });
    expect(reported).toEqual(['fault  Writer environment’s init fails (Runtime.InitError)']);
  });

  it('kills the environment after the handler did its work: Runtime.ExitError, the work done, a fresh environment next', async () => {
    createHost([spec('Writer', 'write-file')], [{ function: 'Writer', count: 1, fault: { kind: 'die' } }]);
    const path = join(dir, 'written');

    const died = await host.invoke('Writer', { path }, 'test');
    const next = await host.invoke('Writer', {}, 'test');

    expect(died).toMatchObject({
      ok: false,
      error: { errorType: 'Runtime.ExitError', errorMessage: 'Runtime exited with error: signal: SIGKILL' },
    });
    // The answer was lost, not the work: a retry does it again.
    expect(readFileSync(path, 'utf8')).toBe('invocation 1');
    expect(next).toMatchObject({ ok: true, result: { invocations: 1 } });
    expect(next.initMs).toBeGreaterThan(0);
    expect(reported).toEqual(['fault  Writer environment dies mid-invocation (Runtime.ExitError)']);
  });

  it('kills the environment half-way through the time left when the handler is still running', async () => {
    createHost([spec('Writer', 'write-file', { timeoutSeconds: 4 })], [{ count: 1, fault: { kind: 'die' } }]);
    const path = join(dir, 'written');
    const sleepMs = 30_000;

    const died = await host.invoke('Writer', { path, sleepMs }, 'test');

    expect(died).toMatchObject({ ok: false, error: { errorType: 'Runtime.ExitError' } });
    expect(existsSync(path)).toBe(true);
    // Half of the 4 s timeout (timers may fire a millisecond early), never the handler's own end.
    expect(died.durationMs).toBeGreaterThanOrEqual(1_990);
    expect(died.durationMs).toBeLessThan(sleepMs);
  });

  it('ends the invocation as its timeout does, without waiting for it; the next gets a fresh environment', async () => {
    createHost(
      [spec('Writer', 'write-file'), spec('Other', 'write-file')],
      [{ function: 'Writer', count: 1, fault: { kind: 'timeout' } }],
    );
    const path = join(dir, 'written');

    const other = await host.invoke('Other', {}, 'test');
    const timedOut = await host.invoke('Writer', { path }, 'test');
    const next = await host.invoke('Writer', {}, 'test');

    expect(other).toMatchObject({ ok: true });
    expect(timedOut).toMatchObject({
      ok: false,
      error: { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 30.00 seconds' },
    });
    expect(timedOut.durationMs).toBeLessThan(30_000);
    expect(existsSync(path)).toBe(true);
    expect(next).toMatchObject({ ok: true, result: { invocations: 1 } });
    expect(next.initMs).toBeGreaterThan(0);
    expect(host.stats().Writer).toMatchObject({ coldStarts: 2, environments: 1 });
  });

  it('journals each injected fault with the request and trace ids of the invocation it hit', async () => {
    // Prepare
    createHost(
      [spec('Writer', 'write-file')],
      [
        { count: 1, fault: { kind: 'init-error' } },
        { count: 1, fault: { kind: 'die' } },
        { count: 1, fault: { kind: 'timeout' } },
      ],
    );
    const root = '1-6b0912b3-28e02368ba7444aef6f6c61a';

    // Act
    const initFailed = await host.invoke('Writer', {}, 'POST /w', { traceHeader: `Root=${root}` });
    const died = await host.invoke('Writer', {}, 'test');
    const timedOut = await host.invoke('Writer', {}, 'test');
    const fine = await host.invoke('Writer', {}, 'test');

    // Assess
    expect(initFailed).toMatchObject({ ok: false, traceId: root, error: { errorType: 'Runtime.InitError' } });
    expect(journaled.filter((entry) => entry.type === 'lambda-fault')).toEqual([
      {
        type: 'lambda-fault',
        functionId: 'Writer',
        fault: 'init-error',
        requestId: initFailed.requestId,
        traceId: root,
      },
      {
        type: 'lambda-fault',
        functionId: 'Writer',
        fault: 'die',
        requestId: died.requestId,
        traceId: died.traceId,
      },
      {
        type: 'lambda-fault',
        functionId: 'Writer',
        fault: 'timeout',
        requestId: timedOut.requestId,
        traceId: timedOut.traceId,
      },
    ]);
    expect(journaled.filter((entry) => entry.type === 'invocation')).toEqual(
      [
        [initFailed, 'Runtime.InitError'],
        [died, 'Runtime.ExitError'],
        [timedOut, 'Sandbox.Timedout'],
        [fine, undefined],
      ].map(([outcome, errorType]) =>
        expect.objectContaining({
          requestId: (outcome as InvokeOutcome).requestId,
          traceId: expect.stringMatching(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/),
          ok: errorType === undefined,
          errorType,
        }),
      ),
    );
  });
});
