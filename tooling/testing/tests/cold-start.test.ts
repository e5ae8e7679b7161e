import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { coldStart } from '../src/cold-start.ts';

const made: string[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/**
 * A handler answering with what it ran under, a check that wants `BENCH_VIA=<expected>`, and a Node
 * "binary" that is this Node behind a shell script setting BENCH_VIA=wrapper: which one ran shows.
 */
async function fixture() {
  const dir = await mkdtemp(join(tmpdir(), 'cold-start-'));
  made.push(dir);
  const handlerFile = join(dir, 'handler.mjs');
  await writeFile(
    handlerFile,
    'export const handler = async (event) => ({ via: process.env.BENCH_VIA ?? "default", event });\n',
  );
  const eventFile = join(dir, 'event.json');
  await writeFile(eventFile, '{"n":1}');
  const checkFile = join(dir, 'check.mjs');
  await writeFile(
    checkFile,
    'export const checkResponse = (response, via) =>\n' +
      "  response.via === via && response.event.n === 1 ? undefined : 'got ' + JSON.stringify(response);\n",
  );
  const wrapper = join(dir, 'node-wrapper');
  await writeFile(wrapper, `#!/bin/sh\nBENCH_VIA=wrapper exec '${process.execPath}' "$@"\n`);
  await chmod(wrapper, 0o755);
  return { handlerFile, eventFile, checkFile, wrapper };
}

describe('coldStart', () => {
  it('serves the event from a fresh process of this Node and times spawn→exit, import() and the response', async () => {
    // Prepare
    const { handlerFile, eventFile, checkFile } = await fixture();

    // Act
    const sample = await coldStart({ handlerFile, eventFile, env: {}, args: [checkFile, 'default'] });

    // Assess
    expect(sample.importMs).toBeGreaterThan(0);
    expect(sample.firstResponseMs).toBeGreaterThanOrEqual(sample.importMs);
    expect(sample.wallMs).toBeGreaterThan(sample.firstResponseMs);
  });

  it('runs the Node.js binary it is given as execPath', async () => {
    // Prepare
    const { handlerFile, eventFile, checkFile, wrapper } = await fixture();

    // Act
    const sample = await coldStart({
      handlerFile,
      eventFile,
      env: {},
      args: [checkFile, 'wrapper'],
      execPath: wrapper,
    });

    // Assess
    expect(sample.firstResponseMs).toBeGreaterThan(0);
  });

  it('fails loudly, naming the binary, when the response fails its check', async () => {
    // Prepare: the check wants the wrapper, but the default Node runs
    const { handlerFile, eventFile, checkFile } = await fixture();

    // Act
    const run = coldStart({ handlerFile, eventFile, env: {}, args: [checkFile, 'wrapper'] });

    // Assess
    await expect(run).rejects.toThrow(/on .*node exited with 1:\ncold-start-child: got \{"via":"default"/);
  });
});
