#!/usr/bin/env node
// Installs sharp into a Lambda artifact for ONE platform:
//   node tooling/bundler/bin/install-sharp.mjs --app <app dir> --cpu arm64 <artifacts dir>
//
// It copies the packages pnpm already installed (pnpm-workspace.yaml supportedArchitectures fetches the
// linux arm64 and x64 binaries) instead of running `npm install --cpu=…`: the versions are the ones in
// pnpm-lock.yaml, no registry is needed, and the artifact holds exactly what the tests ran against.
// The result is a flat <dir>/node_modules, as npm would lay it out, with no symlinks into the workspace.
import {
  closeSync,
  cpSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/** ELF e_machine values of the CPUs Lambda offers (Node's names). */
export const elfMachines = { arm64: 0xb7, x64: 0x3e };

class InstallSharpError extends Error {
  name = 'InstallSharpError';
}

const readManifest = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

/** npm's rule for `os`/`cpu`/`libc`: absent matches all; `!x` excludes x; otherwise the value must be listed. */
function allows(field, value) {
  if (field === undefined) return true;
  const values = [field].flat();
  if (values.includes(`!${value}`)) return false;
  return values.some((entry) => !entry.startsWith('!')) ? values.includes(value) : true;
}

const fitsPlatform = (manifest, cpu) =>
  allows(manifest.os, 'linux') && allows(manifest.cpu, cpu) && allows(manifest.libc, 'glibc');

/** Node's lookup: `<dir>/node_modules/<name>`, then each parent's (pnpm puts a package's deps beside it). */
function findPackage(name, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(dir) === dir) return undefined;
  }
}

/** sharp and everything it loads on linux/glibc/<cpu>: its dependencies and the matching optional binaries. */
function collectPackages(sharpDir, cpu) {
  const packages = new Map();
  const queue = [sharpDir];
  while (queue.length > 0) {
    const dir = queue.shift();
    const manifest = readManifest(dir);
    const seen = packages.get(manifest.name);
    if (seen && seen.dir !== dir) {
      throw new InstallSharpError(
        `${manifest.name} is needed at two versions (${seen.version}, ${manifest.version}): a flat node_modules cannot hold both`,
      );
    }
    if (seen) continue;
    packages.set(manifest.name, { dir, version: manifest.version });
    for (const name of Object.keys(manifest.dependencies ?? {})) {
      const found = findPackage(name, dir);
      if (!found) throw new InstallSharpError(`${name} (a dependency of ${manifest.name}) is not installed`);
      queue.push(found);
    }
    // Platform binaries are optional dependencies; pnpm installed those of every supported architecture.
    for (const name of Object.keys(manifest.optionalDependencies ?? {})) {
      const found = findPackage(name, dir);
      if (found && fitsPlatform(readManifest(found), cpu)) queue.push(found);
    }
  }
  return packages;
}

// Type declarations, C/C++ sources and headers are for building, not for running.
const buildOnly = /\.(d\.[cm]?ts|h|hpp|cc|gyp)$/;
const keep = (source) => !buildOnly.test(source) && !/\/(node_modules|include)$/.test(source);

function* filesUnder(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else if (entry.isFile()) yield path;
  }
}

/** The ELF machine of a file, or undefined when it is not an ELF object. */
export function elfMachine(file) {
  const header = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  try {
    if (readSync(fd, header, 0, 20, 0) < 20) return undefined;
  } finally {
    closeSync(fd);
  }
  return header.readUInt32BE(0) === 0x7f454c46 ? header.readUInt16LE(18) : undefined;
}

/** Every native file (.node, .so) under `dir` with its CPU; throws if one is for another CPU, or if none is. */
export function assertOnlyCpu(dir, cpu) {
  const machines = Object.entries(elfMachines);
  const natives = [...filesUnder(dir)].flatMap((file) => {
    const machine = elfMachine(file);
    if (machine === undefined) return [];
    const name =
      machines.find(([, value]) => value === machine)?.[0] ?? `e_machine 0x${machine.toString(16)}`;
    return [{ file: relative(dir, file), cpu: name }];
  });
  const foreign = natives.filter((native) => native.cpu !== cpu);
  if (foreign.length > 0) {
    throw new InstallSharpError(
      `native files for another CPU than ${cpu}:\n${foreign.map((n) => `  ${n.file} (${n.cpu})`).join('\n')}`,
    );
  }
  if (!natives.some((native) => native.file.endsWith('.node'))) {
    throw new InstallSharpError(`no ${cpu} .node addon under ${dir}`);
  }
  return natives;
}

function installSharp(appDir, artifactsDir, cpu) {
  const wanted = readManifest(appDir).dependencies?.sharp;
  const sharpLink = join(appDir, 'node_modules', 'sharp');
  if (!existsSync(sharpLink)) throw new InstallSharpError(`${sharpLink} is missing: run pnpm install`);
  const sharpDir = realpathSync(sharpLink);
  const installed = readManifest(sharpDir).version;
  if (installed !== wanted) {
    throw new InstallSharpError(
      `package.json wants sharp ${wanted} but ${installed} is installed: run pnpm install`,
    );
  }

  const packages = collectPackages(sharpDir, cpu);
  for (const name of [`@img/sharp-linux-${cpu}`, `@img/sharp-libvips-linux-${cpu}`]) {
    if (!packages.has(name)) {
      throw new InstallSharpError(
        `${name} is not installed: pnpm-workspace.yaml supportedArchitectures must list cpu ${cpu} and libc glibc (then pnpm install)`,
      );
    }
  }

  const nodeModules = join(artifactsDir, 'node_modules');
  rmSync(nodeModules, { recursive: true, force: true }); // a previous build may have been another CPU
  for (const [name, { dir }] of packages) {
    cpSync(dir, join(nodeModules, name), { recursive: true, dereference: true, filter: keep });
  }
  assertOnlyCpu(nodeModules, cpu);
  return packages;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const { values, positionals } = parseArgs({
      options: { cpu: { type: 'string' }, app: { type: 'string' } },
      allowPositionals: true,
    });
    if (!(values.cpu in elfMachines) || !values.app || positionals.length !== 1) {
      throw new InstallSharpError('usage: install-sharp.mjs --app <app-dir> --cpu arm64|x64 <artifacts-dir>');
    }
    const packages = installSharp(resolve(values.app), resolve(positionals[0]), values.cpu);
    const list = [...packages].map(([name, { version }]) => `${name}@${version}`).join(', ');
    console.log(`sharp for linux-${values.cpu} (glibc): ${list}`);
  } catch (error) {
    console.error(`error: ${error.message}`);
    process.exit(1);
  }
}
