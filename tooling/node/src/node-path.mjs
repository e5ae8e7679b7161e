// @ts-check
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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

/** Debian's arm64 C/C++ runtime, which qemu-user loads the arm64 Node.js against on an x64 host. */
const arm64Sysroot = '/usr/aarch64-linux-gnu';
/** What to install for that (Debian/Ubuntu). */
export const arm64AptPackages = 'qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross';

/**
 * How to start Node.js `major` for `arch` here: `{ command, args }`, the args coming before the script's
 * own. Natively when the machine is that architecture; an arm64 build on an x64 host under qemu-user with
 * Debian's arm64 sysroot. Throws an Error saying what is missing (the build, the emulator, the sysroot).
 * @param {number} major
 * @param {Arch} arch
 * @returns {{ command: string, args: string[], version: string }}
 */
export function nodeLauncher(major, arch) {
  const build = nodeBinary(major, arch);
  if (!build) throw new Error(`@repo/node (tooling/node) brings no ${arch} Node.js ${major}`);
  if (arch === hostArch()) return { command: build.path, args: [], version: build.version };
  if (arch !== 'arm64' || hostArch() !== 'x64') {
    throw new Error(`cannot run ${arch} binaries on a ${hostArch()} machine`);
  }
  const missing = [];
  if (spawnSync('qemu-aarch64-static', ['--version']).error) missing.push('qemu-aarch64-static');
  for (const file of ['lib/ld-linux-aarch64.so.1', 'lib/libstdc++.so.6']) {
    if (!existsSync(join(arm64Sysroot, file))) missing.push(join(arm64Sysroot, file));
  }
  if (missing.length > 0) {
    throw new Error(
      `cannot run arm64 binaries: ${missing.join(', ')} missing. Install the emulator and the arm64 C/C++ runtime (Debian/Ubuntu): sudo apt-get install ${arm64AptPackages}`,
    );
  }
  return { command: 'qemu-aarch64-static', args: ['-L', arm64Sysroot, build.path], version: build.version };
}

/**
 * The arguments Lambda's Node.js runtime starts `node` with, before its own entry script, for a function
 * of `memoryMb` (the runtime's bootstrap; the same in the public base images): `--expose-gc`, the larger
 * header limit, and heap sizes from the memory — a tenth for the young generation, half of that per
 * semi-space, the rest for the old one. Benches start their cold-start children with these, and the
 * compile cache is made under them (`--expose-gc` is in the name of its folder).
 * @param {number} memoryMb
 */
export function lambdaNodeArgs(memoryMb) {
  const newSpace = Math.floor(memoryMb / 10);
  return [
    '--expose-gc',
    '--max-http-header-size',
    '81920',
    `--max-semi-space-size=${Math.floor(newSpace / 2)}`,
    `--max-old-space-size=${memoryMb - newSpace}`,
  ];
}
