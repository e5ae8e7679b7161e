import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleLambda } from '../src/bundle-lambda.mjs';

/** @type {string[]} */
const made = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** An app folder with a package.json and src/handler.ts. @param {string} source */
async function app(source) {
  const dir = await mkdtemp(join(tmpdir(), 'bundle-lambda-'));
  made.push(dir);
  await mkdir(join(dir, 'src'));
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'fixture', type: 'module' }));
  await writeFile(join(dir, 'src', 'handler.ts'), source);
  return dir;
}

describe('bundleLambda', () => {
  it('writes one minified ESM file with a linked source map and reports its size', async () => {
    const dir = await app('export const handler = async (event: unknown) => ({ ok: true, event });\n');
    const { outFile, bytes } = await bundleLambda({ appDir: dir });
    const code = await readFile(outFile, 'utf8');
    expect(bytes).toBe(Buffer.byteLength(code));
    expect(code).toContain('//# sourceMappingURL=index.mjs.map');
    const module = await import(outFile);
    expect(await module.handler(1)).toEqual({ ok: true, event: 1 });
  });

  it('rebuilds in place without a reader ever seeing the bundle missing or half written', async () => {
    // Prepare: a built app, and a reader that keeps reading it (as a test or pnpm dev beside a build would)
    const dir = await app('export const handler = async () => "one";\n');
    await bundleLambda({ appDir: dir });
    const bundle = join(dir, 'dist', 'index.mjs');
    const seen = { reads: 0, problems: /** @type {string[]} */ ([]) };
    let building = true;
    const reader = (async () => {
      while (building) {
        try {
          const [code, meta] = await Promise.all([
            readFile(bundle, 'utf8'),
            readFile(join(dir, 'dist', 'meta.json'), 'utf8'),
          ]);
          if (!code.endsWith('//# sourceMappingURL=index.mjs.map\n')) seen.problems.push('partial bundle');
          JSON.parse(meta);
          seen.reads += 1;
        } catch (error) {
          seen.problems.push(String(error));
        }
        await nextTurn();
      }
    })();

    // Act: rebuild it several times, with changed source
    for (const word of ['two', 'three', 'four', 'five']) {
      await writeFile(join(dir, 'src', 'handler.ts'), `export const handler = async () => "${word}";\n`);
      await bundleLambda({ appDir: dir });
    }
    building = false;
    await reader;

    // Assess
    expect(seen.problems).toEqual([]);
    expect(seen.reads).toBeGreaterThan(0);
    expect(await readFile(bundle, 'utf8')).toContain('five');
    expect((await readdir(join(dir, 'dist'))).sort()).toEqual(['index.mjs', 'index.mjs.map', 'meta.json']);
  });

  it('writes a Lambda artifact elsewhere byte for byte as dist/, without the metafile', async () => {
    // Prepare
    const dir = await app('export const handler = async () => ({ ok: true });\n');
    const artifact = await mkdtemp(join(tmpdir(), 'bundle-artifact-'));
    made.push(artifact);

    // Act
    await bundleLambda({ appDir: dir });
    await bundleLambda({ appDir: dir, outDir: artifact, metafile: false });

    // Assess
    expect((await readdir(artifact)).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    for (const name of ['index.mjs', 'index.mjs.map'])
      expect(await readFile(join(artifact, name))).toEqual(await readFile(join(dir, 'dist', name)));
  });

  it('targets node22 unless told another target, which it passes to esbuild', async () => {
    // Prepare: syntax that Node 22 runs as written and esbuild lowers for an older Node
    const dir = await app(
      'export const handler = async (event?: { name?: string }) => event?.name ?? "none";\n',
    );
    const older = await mkdtemp(join(tmpdir(), 'bundle-target-'));
    const newer = await mkdtemp(join(tmpdir(), 'bundle-target-'));
    made.push(older, newer);

    // Act
    await bundleLambda({ appDir: dir });
    await bundleLambda({ appDir: dir, outDir: older, layoutDir: older, metafile: false, target: 'node12' });
    await bundleLambda({ appDir: dir, outDir: newer, metafile: false, target: 'node22' });

    // Assess: the default is node22 byte for byte; node12 has neither `?.` nor `??`
    const byDefault = await readFile(join(dir, 'dist', 'index.mjs'), 'utf8');
    expect(byDefault).toMatch(/\?\?/);
    expect(await readFile(join(newer, 'index.mjs'), 'utf8')).toBe(byDefault);
    const lowered = await readFile(join(older, 'index.mjs'), 'utf8');
    expect(lowered).not.toMatch(/\?\?|\?\./);
    const module = await import(join(older, 'index.mjs'));
    expect(await module.handler({ name: 'ada' })).toBe('ada');
    expect(await module.handler()).toBe('none');
  });
  it('takes Node built-ins through process.getBuiltinModule, so no ES-module facade loads what the code never uses', async () => {
    // Prepare: the import shapes the SDK and our packages use — named, default, namespace, dynamic
    const dir = await app(
      [
        "import { STATUS_CODES } from 'node:http';",
        "import fs from 'fs';",
        "import * as crypto from 'node:crypto';",
        'export const handler = async () => {',
        "  const { AsyncLocalStorage } = await import('node:async_hooks');",
        "  return [STATUS_CODES[404], typeof fs.readFileSync, crypto.createHash('sha256').update('a').digest('hex').slice(0, 8), typeof AsyncLocalStorage];",
        '};',
        '',
      ].join('\n'),
    );
    const { outFile } = await bundleLambda({ appDir: dir });
    const probe = [
      `const { handler } = await import(${JSON.stringify(outFile)});`,
      'const result = await handler();',
      'const loaded = process.moduleLoadList.filter((name) => /undici|http2|worker_threads|readline|repl/.test(name));',
      'console.log(JSON.stringify({ result, loaded }));',
    ].join('\n');

    // Act: a fresh Node process, as a cold start is
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', probe]);

    // Assess: it works, its source has no import of a built-in, and http did not drag undici in
    const code = await readFile(outFile, 'utf8');
    expect(code).not.toMatch(/\bfrom\s*["'](node:)?(http|fs|crypto|async_hooks|module)["']/);
    expect(code).not.toMatch(/\bimport\s*\(\s*["']node:/);
    expect(JSON.parse(stdout)).toEqual({
      result: ['Not Found', 'function', 'ca978112', 'function'],
      loaded: [],
    });
  });
});
