// @ts-check
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch as hostArch } from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
/** @type {{ optionalDependencies: Record<string, string> }} */
const manifest = require('../package.json');

/**
 * @typedef {'x64' | 'arm64'} Arch
 * @typedef {{ version: string, major: number, arch: Arch, path: string }} NodeBuild
 */

/** Every Node.js build this package brought (its optionalDependencies that pnpm installed), by version and arch. */
function installedBuilds() {
  /** @type {NodeBuild[]} */
  const builds = [];
  for (const alias of Object.keys(manifest.optionalDependencies)) {
    const match = /-linux-(x64|arm64)$/.exec(alias);
    if (!match) continue;
    let dir;
    try {
      dir = dirname(require.resolve(`${alias}/package.json`));
    } catch {
      continue; // not installed here (another architecture, or --no-optional)
    }
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    builds.push({
      version,
      major: Number(version.split('.')[0]),
      arch: /** @type {Arch} */ (match[1]),
      path: join(dir, 'bin', 'node'),
    });
  }
  return builds;
}

const builds = installedBuilds();

/**
 * The Node.js binary of `major` for `arch` (default: this machine's), or undefined when none was
 * installed. The arm64 one is an aarch64 ELF: on an x64 host run it under `qemu-aarch64-static`.
 * @param {number} major
 * @param {Arch} [arch]
 */
export function nodeBinary(major, arch = /** @type {Arch} */ (hostArch())) {
  return builds.find((build) => build.major === major && build.arch === arch);
}

/** The Node.js majors this machine can run, newest first. */
export function installedMajors() {
  const here = hostArch();
  return [...new Set(builds.filter((build) => build.arch === here).map((build) => build.major))].sort(
    (a, b) => b - a,
  );
}

/**
 * The Node.js binary a Lambda runtime (`nodejs22.x`, `nodejs24.x`) runs on, for this machine, or
 * undefined when the runtime is not a Node.js one or no build of its major was installed.
 * @param {string} runtime
 */
export function nodeForRuntime(runtime) {
  const match = /^nodejs(\d+)\.x$/.exec(runtime);
  return match ? nodeBinary(Number(match[1])) : undefined;
}
