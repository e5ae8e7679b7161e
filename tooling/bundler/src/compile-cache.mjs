// @ts-check
import { spawn } from 'node:child_process';
import { chmod, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { lambdaNodeArgs, nodeLauncher } from '@repo/node/node-path';

/** The folder, beside `index.mjs` in an artifact, that holds Node's compile cache for it. */
export const compileCacheDirName = '.node-compile-cache';

/**
 * Writes Node's module compile cache for `<artifactDir>/index.mjs` into `<artifactDir>/.node-compile-cache`,
 * made by the Node.js the function runs on in Lambda — the major of `runtime`, the build of `.node-version`
 * (or tooling/node's for another major), for `arch` (an arm64 one runs under qemu-user on an x64 host).
 * The cache is portable (keyed by the module's path relative to the cache folder), so it holds at
 * `/var/task` as it does here; Node 22 keys its caches by absolute path and cannot write one for an
 * artifact built elsewhere, so a nodejs22.x function gets an Error here. Node writes the cache when it
 * compiles the module, before running it: the bundle is imported with an empty environment, and its
 * module scope stops at the configuration check (no client built, no call made). Only the bundle is
 * cached (enabled after this script was compiled).
 *
 * A Node.js that is not the one this was made with (another version, other V8 flags) looks in a folder of
 * its own name, finds none, and compiles as if there were no cache: a miss costs nothing but the saving.
 * @param {{ artifactDir: string, runtime: string, arch: 'x64' | 'arm64' }} options
 * @returns {Promise<{ folder: string, nodeVersion: string, bytes: number }>} the versioned folder written
 */
export async function writeCompileCache({ artifactDir, runtime, arch }) {
  const major = Number(/^nodejs(\d+)\.x$/.exec(runtime)?.[1]);
  if (!major) throw new Error(`${runtime} is not a Node.js Lambda runtime (nodejs<major>.x)`);
  const { command, args, version } = nodeLauncher(major, arch);
  const directory = join(artifactDir, compileCacheDirName);
  await rm(directory, { recursive: true, force: true });
  const script = [
    "import module from 'node:module';",
    'let status, message;',
    'try {',
    `  ({ status, message } = module.enableCompileCache({ directory: ${JSON.stringify(directory)}, portable: true }));`,
    '} catch (error) {',
    "  console.error('Node.js ' + process.version + ' cannot write a portable compile cache: ' + error.message);",
    '  process.exit(2);',
    '}',
    'if (status !== module.constants.compileCacheStatus.ENABLED) {',
    "  console.error('compile cache not enabled: ' + (message ?? 'status ' + status));",
    '  process.exit(2);',
    '}',
    `await import(${JSON.stringify(pathToFileURL(join(artifactDir, 'index.mjs')).href)}).catch(() => {});`,
    'module.flushCompileCache();',
    'console.log(JSON.stringify({ folder: module.getCompileCacheDir(), nodeVersion: process.version }));',
  ].join('\n');
  const stdout = await run(command, [
    ...args,
    // As Lambda's bootstrap starts node: Node names the cache's folder after a hash of the V8 flags, and
    // --expose-gc is in it (964aae3f without, 1c717fce with, on Node 24.22); the heap sizes (any memory
    // size), --max-http-header-size, NODE_OPTIONS' --enable-source-maps and the CPU model are not
    // (checked under qemu as Neoverse-N1, Cortex-A72 and A64FX: the same folder, the cache accepted).
    ...lambdaNodeArgs(128),
    '--input-type=module',
    '-e',
    script,
  ]);
  const { folder, nodeVersion } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
  const entries = await readdir(folder);
  if (entries.length !== 1) {
    throw new Error(`expected one compile cache entry (index.mjs) in ${folder}, found ${entries.length}`);
  }
  const entry = join(folder, entries[0] ?? '');
  const { size: bytes } = await stat(entry);
  // Node writes the cache for its own user only (0600/0700); Lambda runs the function as another user,
  // which must read it: the permissions Lambda asks of every file and folder in a package.
  await Promise.all([chmod(directory, 0o755), chmod(folder, 0o755), chmod(entry, 0o644)]);
  if (nodeVersion !== `v${version}`) throw new Error(`ran ${nodeVersion}, expected v${version}`);
  return { folder, nodeVersion, bytes };
}

/**
 * Runs a command with an empty environment (nothing of this machine's may reach the function's module
 * scope); resolves with its stdout, rejects with its output on a non-zero exit.
 * @param {string} command @param {string[]} args @returns {Promise<string>}
 */
function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: {}, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${command} exited with ${code}:\n${stderr}${stdout}`)),
    );
  });
}
