import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('refuses a build in which anything but the X-Ray SDK imports semver (it is a stand-in)', async () => {
    const dir = await app(
      "import { gte } from 'semver';\nexport const handler = async () => gte('1.0.0', '0.1.0');\n",
    );
    await expect(bundleLambda({ appDir: dir })).rejects.toThrow(/semver is aliased.*src\/handler\.ts/);
  });
});
