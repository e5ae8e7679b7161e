import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { lambdaNodeArgs, nodeLauncher } from '@repo/node/node-path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleLambda } from '../src/bundle-lambda.mjs';
import { compileCacheDirName, writeCompileCache } from '../src/compile-cache.mjs';

const exec = promisify(execFile);
const hostArch = /** @type {'x64' | 'arm64'} */ (process.arch);

/** @type {string[]} */
const made = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(prefix = 'compile-cache-') {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/**
 * An artifact as lambda.mk makes it: a bundled handler whose module scope, like the apps', refuses to
 * start without its configuration.
 */
async function artifact() {
  const app = await tempDir('compile-cache-app-');
  await mkdir(join(app, 'src'));
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'fixture', type: 'module' }));
  await writeFile(
    join(app, 'src', 'handler.ts'),
    [
      "import { createHash } from 'node:crypto';",
      "const table = process.env.TABLE_NAME ?? '';",
      "if (!table) throw new Error('TABLE_NAME is missing');",
      'export const handler = async (event: { text: string }) =>',
      "  ({ table, digest: createHash('sha256').update(event.text).digest('hex').slice(0, 8) });",
      '',
    ].join('\n'),
  );
  const dir = await tempDir('compile-cache-artifact-');
  await bundleLambda({ appDir: app, outDir: dir, metafile: false });
  return dir;
}

/**
 * Starts `index.mjs` of `taskRoot` as Lambda's bootstrap does (its V8 flags and heap sizes), with the
 * template's NODE_COMPILE_CACHE pointing into the task root, and Node's compile-cache debug log on.
 * @param {{ command: string, args: string[] }} node @param {string} taskRoot @param {string[]} [flags]
 */
async function coldStart(node, taskRoot, flags = lambdaNodeArgs(512)) {
  const script = `const { handler } = await import(${JSON.stringify(pathToFileURL(join(taskRoot, 'index.mjs')).href)});
console.log(JSON.stringify(await handler({ text: 'a' })));`;
  const { stdout, stderr } = await exec(
    node.command,
    [...node.args, ...flags, '--input-type=module', '-e', script],
    {
      env: {
        TABLE_NAME: 'users',
        NODE_COMPILE_CACHE: join(taskRoot, compileCacheDirName),
        NODE_COMPILE_CACHE_PORTABLE: '1',
        NODE_DEBUG_NATIVE: 'COMPILE_CACHE',
      },
    },
  );
  const bundle = stderr
    .split('\n')
    .filter((line) => line.includes('index.mjs') && / was |no such file/.test(line));
  return { result: JSON.parse(stdout.trim()), bundle: bundle.join('\n') };
}

describe('writeCompileCache', { timeout: 60_000 }, () => {
  it('writes a cache that the runtime’s Node.js accepts after the artifact moved (as it does to /var/task)', async () => {
    // Prepare
    const built = await artifact();

    // Act
    const { folder, nodeVersion, bytes } = await writeCompileCache({
      artifactDir: built,
      runtime: 'nodejs24.x',
      arch: hostArch,
    });
    const taskRoot = await tempDir('compile-cache-task-root-');
    await cp(built, taskRoot, { recursive: true });
    const started = await coldStart(nodeLauncher(24, hostArch), taskRoot);

    // Assess: one entry, for the bundle, readable by Lambda's function user; accepted where it moved
    expect(nodeVersion).toBe(`v${nodeLauncher(24, hostArch).version}`);
    expect(folder).toMatch(new RegExp(`/${compileCacheDirName}/${nodeVersion}-${hostArch}-[0-9a-f]+-0$`));
    expect(bytes).toBeGreaterThan(0);
    const [entry] = await readdir(folder);
    expect(((await stat(join(folder, String(entry)))).mode & 0o777).toString(8)).toBe('644');
    expect(started.result).toEqual({ table: 'users', digest: 'ca978112' });
    expect(started.bundle).toMatch(/V8 code cache for ESM file:.*index\.mjs was accepted/);
  });

  it('is missed, harmlessly, by a Node.js started with other V8 flags than Lambda’s bootstrap', async () => {
    // Prepare
    const built = await artifact();
    await writeCompileCache({ artifactDir: built, runtime: 'nodejs24.x', arch: hostArch });

    // Act: without --expose-gc, Node looks for a folder of another name
    const started = await coldStart(nodeLauncher(24, hostArch), built, []);

    // Assess: the function works; it compiled without the cache
    expect(started.result).toEqual({ table: 'users', digest: 'ca978112' });
    expect(started.bundle).toMatch(/no such file or directory/);
    expect(started.bundle).not.toMatch(/was accepted/);
  });

  it('refuses a runtime that cannot have one, and leaves no cache behind', async () => {
    // Prepare
    const built = await artifact();
    await writeCompileCache({ artifactDir: built, runtime: 'nodejs24.x', arch: hostArch });

    // Act + Assess: Node 22 keys its caches by absolute path (nothing portable to ship)
    await expect(
      writeCompileCache({ artifactDir: built, runtime: 'nodejs22.x', arch: hostArch }),
    ).rejects.toThrow(/Node\.js v22\.\S+ cannot write a portable compile cache/);
    await expect(
      writeCompileCache({ artifactDir: built, runtime: 'python3.13', arch: hostArch }),
    ).rejects.toThrow(/python3\.13 is not a Node\.js Lambda runtime/);
    expect(await readdir(built)).not.toContain(compileCacheDirName);
  });
});
