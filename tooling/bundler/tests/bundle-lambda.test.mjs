import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
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
});
