#!/usr/bin/env node
// The arm64 smoke test: builds the ImageResizerFunction artifact as `sam build` does, then runs it under
// the arm64 Node.js of the function's Runtime in template.yaml (nodejs24.x: Node 24; emulated by
// qemu-user on an x64 host) with nothing but the artifact on disk:
//   1. the runtime is linux/arm64 Node of that major;
//   2. sharp loads from the artifact's node_modules and resizes a generated 1000×800 image;
//   3. the bundled handler resizes an upload in moto (started here, on the host) into four sizes;
//   4. node, started with the arguments Lambda's bootstrap gives it, accepts the artifact's compile cache.
// It fails, never skips, when the emulator is missing. Run it with `pnpm --filter image-resizer test:arm64`.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { startMoto } from '@repo/aws-local/moto';
import { lambdaNodeArgs, nodeLauncher } from '@repo/node/node-path';
import { readTemplate, serverlessFunctions } from '@repo/sam-template/read-template';
import sharp from 'sharp';
import { elfMachine, elfMachines } from '../../../tooling/bundler/bin/install-sharp.mjs';

const appDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// @repo/image's default sizes (boxes in px); the handler must write all four.
const sizes = [
  { name: 'thumbnail', box: 150 },
  { name: 'small', box: 300 },
  { name: 'medium', box: 600 },
  { name: 'large', box: 1200 },
];
const region = 'us-east-1';

// The Node.js major the function runs on in Lambda, from its Runtime (Globals merged), and its arm64 build.
const runtime = String(
  serverlessFunctions(readTemplate()).find((fn) => fn.logicalId === 'ImageResizerFunction')?.properties
    .Runtime,
);
const nodeMajor = Number(/^nodejs(\d+)\.x$/.exec(runtime)?.[1]);

class SmokeTestError extends Error {
  name = 'SmokeTestError';
}

const timings = [];
/** Runs one step and records how long it took (also when it fails). */
async function step(name, action) {
  const started = performance.now();
  try {
    return await action();
  } finally {
    timings.push([name, performance.now() - started]);
  }
}

/** How to start the function's arm64 Node.js here: natively on linux/arm64, else under qemu-user (@repo/node). */
function arm64Launcher() {
  try {
    const { command, args } = nodeLauncher(nodeMajor, 'arm64');
    return { command, args };
  } catch (error) {
    throw new SmokeTestError(`ImageResizerFunction runs on ${runtime}: ${error.message}`);
  }
}

/** Runs the function's Makefile target as `sam build` does (build_in_source), into a fresh folder. */
function buildArtifact() {
  const artifactsDir = mkdtempSync(join(tmpdir(), 'image-resizer-arm64-'));
  const { LAMBDA_ARCH, ...env } = process.env; // the Makefile's default is what sam build uses
  const result = spawnSync('make', ['--makefile', join(appDir, 'Makefile'), 'build-ImageResizerFunction'], {
    cwd: appDir,
    env: { ...env, ARTIFACTS_DIR: artifactsDir },
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new SmokeTestError(`make build-ImageResizerFunction failed:\n${result.stdout}${result.stderr}`);
  }
  return artifactsDir;
}

function* entriesUnder(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    yield path;
    if (lstatSync(path).isDirectory()) yield* entriesUnder(path);
  }
}

/** The artifact is self-contained and holds arm64 native code only. */
function inspectArtifact(artifactsDir) {
  const natives = [];
  const problems = [];
  for (const path of entriesUnder(artifactsDir)) {
    const stats = lstatSync(path);
    if (stats.isSymbolicLink()) problems.push(`${relative(artifactsDir, path)} is a symlink`);
    const machine = stats.isFile() ? elfMachine(path) : undefined;
    if (machine === undefined) continue;
    natives.push(relative(artifactsDir, path));
    if (machine !== elfMachines.arm64) {
      problems.push(`${relative(artifactsDir, path)} is not arm64 (ELF machine 0x${machine.toString(16)})`);
    }
  }
  for (const expected of [/sharp-linux-arm64-.*\.node$/, /libvips-cpp\.so/]) {
    if (!natives.some((file) => expected.test(file)))
      problems.push(`no file matching ${expected} in the artifact`);
  }
  // Node would look in these folders too: the run below must find sharp in the artifact, not there.
  for (let dir = dirname(artifactsDir); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules')))
      problems.push(`${dir}/node_modules exists outside the artifact`);
  }
  if (problems.length > 0) throw new SmokeTestError(`the artifact is not right:\n  ${problems.join('\n  ')}`);
  return natives;
}

// Runs inside the artifact folder under arm64 Node; prints one result line after the handler's logs.
const runnerSource = `
const startupMs = performance.now();
const fail = (message) => { console.error('smoke: ' + message); process.exit(1); };
if (process.arch !== 'arm64') fail('process.arch is ' + process.arch + ', not arm64');
if (!process.versions.node.startsWith('${nodeMajor}.')) fail('Node.js ' + process.versions.node + ', not ${nodeMajor}');
const timings = { startupMs };
let started = performance.now();
const { default: sharp } = await import('sharp');
timings.importSharpMs = performance.now() - started;
const sharpFile = import.meta.resolve('sharp');
if (!sharpFile.startsWith(new URL('./node_modules/', import.meta.url).href)) fail('sharp resolved to ' + sharpFile);
started = performance.now();
const generated = sharp({ create: { width: 1000, height: 800, channels: 3, background: '#c85028' } });
const { info } = await generated.resize(150).jpeg().toBuffer({ resolveWithObject: true });
timings.resizeMs = performance.now() - started;
if (info.format !== 'jpeg' || info.width !== 150 || info.height !== 120) fail('resize gave ' + JSON.stringify(info));
started = performance.now();
const { handler } = await import('./index.mjs');
timings.importHandlerMs = performance.now() - started;
if (typeof handler !== 'function') fail('index.mjs does not export a handler function');
const deadline = Date.now() + 60_000;
const context = {
  functionName: 'ImageResizerFunction', functionVersion: '$LATEST', memoryLimitInMB: '1769',
  invokedFunctionArn: 'arn:aws:lambda:${region}:123456789012:function:ImageResizerFunction',
  awsRequestId: crypto.randomUUID(), logGroupName: '/aws/lambda/ImageResizerFunction', logStreamName: 'smoke',
  callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => deadline - Date.now(),
};
started = performance.now();
const outcome = await handler(JSON.parse(process.argv[2]), context);
timings.invokeMs = performance.now() - started;
console.log('SMOKE_RESULT ' + JSON.stringify({ node: process.versions.node, versions: sharp.versions, outcome, timings }));
`;

function objectCreatedEvent(bucket, key, size) {
  return {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '123456789012',
    time: new Date().toISOString(),
    region,
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: { key, size, sequencer: '0062E99A88DC407460' },
      'request-id': 'SMOKE0000000000',
      requester: '123456789012',
      'source-ip-address': '127.0.0.1',
      reason: 'PutObject',
    },
  };
}

// Node quotes the throwing line of the minified bundle: hundreds of kilobytes on one line.
const shortLines = (text) =>
  text
    .split('\n')
    .map((line) => (line.length > 300 ? `${line.slice(0, 300)}…` : line))
    .join('\n');

/**
 * Runs the runner in the artifact folder with a Lambda-like environment (nothing from this process),
 * node started with the arguments Lambda's bootstrap gives it, the template's compile cache in the
 * artifact, and Node's compile-cache log on (stderr), so the run says whether Node accepted the cache.
 */
async function runArm64(launcher, artifactsDir, event, endpoint) {
  const runner = join(artifactsDir, 'smoke-runner.mjs');
  writeFileSync(runner, runnerSource);
  const args = [...launcher.args, ...lambdaNodeArgs(1769), runner, JSON.stringify(event)];
  const child = spawn(launcher.command, args, {
    cwd: artifactsDir,
    env: {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      NODE_OPTIONS: '--enable-source-maps',
      NODE_COMPILE_CACHE: join(artifactsDir, '.node-compile-cache'),
      NODE_COMPILE_CACHE_PORTABLE: '1',
      NODE_DEBUG_NATIVE: 'COMPILE_CACHE',
      AWS_REGION: region,
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_LAMBDA_FUNCTION_NAME: 'ImageResizerFunction',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1769',
      POWERTOOLS_LOG_LEVEL: 'WARN',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const [code, signal] = await once(child, 'exit');
  clearTimeout(timer);
  const line = output.split('\n').find((text) => text.startsWith('SMOKE_RESULT '));
  if (code !== 0 || !line) {
    const why = signal ? `was killed (${signal}; 90 s limit)` : `exited with code ${code}`;
    throw new SmokeTestError(`the arm64 run ${why}:\n${shortLines(output).slice(-6_000)}`);
  }
  // The artifact's compile cache (tooling/bundler/src/compile-cache.mjs, made by the arm64 Node.js under
  // qemu-user) is the one this Node.js uses for the bundle.
  const bundle = `V8 code cache for ESM ${pathToFileURL(join(artifactsDir, 'index.mjs')).href} was`;
  const cache = output.split('\n').find((text) => text.includes(bundle));
  if (!cache?.includes('was accepted')) {
    throw new SmokeTestError(
      `Node.js did not accept the artifact's compile cache for index.mjs: ${cache ?? 'no cache read'}`,
    );
  }
  return JSON.parse(line.slice('SMOKE_RESULT '.length));
}

/** The four sizes exist under processed/ and are JPEGs no larger than their box. */
async function assertOutputs(s3, bucket) {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'processed/' }));
  const keys = (listed.Contents ?? []).map(({ Key }) => Key).sort();
  const missing = sizes.filter(({ name }) => !keys.includes(`processed/${name}/smoke.jpg`));
  if (missing.length > 0) {
    throw new SmokeTestError(
      `the handler did not write ${missing.map(({ name }) => `processed/${name}/smoke.jpg`).join(', ')} (found: ${keys.join(', ') || 'none'})`,
    );
  }
  for (const { name, box } of sizes) {
    const object = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: `processed/${name}/smoke.jpg` }),
    );
    const { format, width, height } = await sharp(await object.Body.transformToByteArray()).metadata();
    if (format !== 'jpeg' || width > box || height > box) {
      throw new SmokeTestError(
        `processed/${name}/smoke.jpg is a ${width}×${height} ${format}, not a JPEG within ${box} px`,
      );
    }
  }
  return keys;
}

async function main() {
  const launcher = arm64Launcher();
  // On the host: the emulated process reaches it over loopback.
  const motoStarting = startMoto();
  motoStarting.catch(() => undefined);
  let artifactsDir;
  let moto;
  try {
    artifactsDir = await step('build the artifact (make build-ImageResizerFunction)', buildArtifact);
    const natives = inspectArtifact(artifactsDir);
    const bytes = [...entriesUnder(artifactsDir)].reduce((sum, path) => sum + lstatSync(path).size, 0);
    console.log(
      `artifact: ${(bytes / 1e6).toFixed(1)} MB unzipped; native files (all arm64): ${natives.join(', ')}`,
    );

    moto = await step('start moto', () => motoStarting);
    const bucket = 'smoke-arm64';
    const upload = await sharp({ create: { width: 1000, height: 800, channels: 3, background: '#2878c8' } })
      .jpeg()
      .toBuffer();
    const s3 = new S3Client({
      region,
      endpoint: moto.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'uploads/smoke.jpg',
        Body: upload,
        ContentType: 'image/jpeg',
      }),
    );
    const event = objectCreatedEvent(bucket, 'uploads/smoke.jpg', upload.length);

    const result = await step('arm64 process (total; emulated on x64)', () =>
      runArm64(launcher, artifactsDir, event, moto.endpoint),
    );
    const inner = result.timings;
    timings.push(
      ['  ↳ Node start (to the first line)', inner.startupMs],
      ['  ↳ import sharp', inner.importSharpMs],
      ['  ↳ resize 1000×800 → 150 px JPEG', inner.resizeMs],
      ['  ↳ import index.mjs (cold start)', inner.importHandlerMs],
      ['  ↳ handler: 4 sizes via moto', inner.invokeMs],
    );
    const keys = await step('check the outputs (host)', () => assertOutputs(s3, bucket));
    console.log(
      `Node ${result.node} on arm64, sharp ${result.versions.sharp}, libvips ${result.versions.vips}`,
    );
    console.log(`outputs: ${keys.join(', ')}`);
  } finally {
    await (moto ?? (await motoStarting.catch(() => undefined)))?.stop();
    if (artifactsDir) rmSync(artifactsDir, { recursive: true, force: true });
  }
}

const started = performance.now();
try {
  await main();
  console.log('arm64 smoke test passed');
} catch (error) {
  console.error(`arm64 smoke test FAILED: ${error.message}`);
  process.exitCode = 1;
} finally {
  timings.push(['whole smoke test', performance.now() - started]);
  for (const [name, ms] of timings) console.log(`${name.padEnd(56)} ${(ms / 1000).toFixed(2).padStart(6)} s`);
}
