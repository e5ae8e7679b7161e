import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMoto } from '@repo/aws-local/moto';
import { eventually } from '@repo/testing/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevProcess, startDev } from './dev-process.ts';

// A private copy of the fixture stack, so the test can edit a function's source.
const fixture = fileURLToPath(new URL('./fixtures/dev', import.meta.url));
const copy = mkdtempSync(join(tmpdir(), 'dev-reload-'));
cpSync(fixture, copy, { recursive: true });

let dev: DevProcess;

beforeAll(async () => {
  dev = await startDev(['--template', join(copy, 'template.yaml')], undefined, { watch: true });
});

afterAll(async () => {
  await dev?.stop();
});

const greeting = async () =>
  ((await (await fetch(`${dev.stack.apiUrl}/items/1`)).json()) as { greeting: string }).greeting;

describe('pnpm dev reload', () => {
  it('reloads a function when its source changes: the next request runs the new code', async () => {
    expect(await greeting()).toBe('hello from test');
    const source = join(copy, 'functions', 'api.mjs');

    writeFileSync(
      source,
      readFileSync(source, 'utf8').replace('greeting: process.env.GREETING', "greeting: 'edited'"),
    );

    await eventually(
      async () => ((await greeting()) === 'edited' ? true : undefined),
      undefined,
      'the edited code',
    );
    await dev.waitForOutput(/reloaded ApiFunction/);
  });
});

describe('pnpm dev start-up', () => {
  it('reports every template feature it does not support, by name', async () => {
    const other = await startDev(['--template', 'tooling/local/tests/fixtures/provision-template.yaml']);
    try {
      // Printed on stderr before `ready` on stdout: two pipes, so wait for it rather than assume the order.
      await other.waitForOutput(
        /not supported locally, ignored: Resources\.ClickStream \(AWS::Kinesis::Stream\)/,
      );
      await other.waitForOutput(/not supported locally, ignored: .*Nightly \(Schedule\)/);
    } finally {
      await other.stop();
    }
  });
});

describe('pnpm dev on Ctrl-C', () => {
  it('stops as cleanly as on SIGTERM when the whole process group is interrupted, twice', async () => {
    // Prepare: an environment running, moto behind it
    const other = await startDev(['--template', 'tooling/local/tests/fixtures/dev/template.yaml']);
    expect((await fetch(`${other.stack.apiUrl}/items/1`)).status).toBe(200);
    const endpoint = other.stack.endpoint;

    // Act: as a terminal's Ctrl-C under pnpm — moto and the environments must not be hit first
    const code = await other.interrupt();

    // Assess: no poller met a dead moto, nothing left behind, moto stopped by its owner
    expect(code).toBe(0);
    expect(other.output()).toMatch(/^SIGINT: stopping$/m);
    expect(other.errors()).not.toMatch(/ECONNREFUSED|while stopping/);
    expect(existsSync(other.stackFile)).toBe(false);
    await expect(fetch(endpoint, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  });
});

describe('pnpm dev with AWS_ENDPOINT_URL set', () => {
  it('uses that endpoint (e.g. LocalStack) instead of starting moto, and leaves it running on exit', async () => {
    const external = await startMoto();
    try {
      const other = await startDev([], undefined, { env: { AWS_ENDPOINT_URL: external.endpoint } });
      expect(other.stack.endpoint).toBe(external.endpoint);

      expect(await other.stop()).toBe(0);

      const stillThere = await fetch(`${external.endpoint}/moto-api/data.json`);
      expect(stillThere.ok).toBe(true);
      // Read, not left unread while moto stops (an unread body crashes undici: nodejs/undici#5360).
      expect(await stillThere.json()).toBeTypeOf('object');
    } finally {
      await external.stop();
    }
  });
});

describe('pnpm dev without moto', () => {
  it('exits 1 saying how to install moto or where to point instead', async () => {
    const path = [join(process.execPath, '..'), '/usr/bin', '/bin'].join(':');

    const failed = startDev([], undefined, { env: { PATH: path } });

    await expect(failed).rejects.toThrow(
      /exited with 1[\s\S]*pip install "moto\[server\]"[\s\S]*AWS_ENDPOINT_URL/,
    );
  });
});
