import { spawn } from 'node:child_process';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { compileCacheDirName, writeCompileCache } from '@repo/bundler/compile-cache';
import { lambdaNodeArgs } from '@repo/node/node-path';

/** The shared child: serves one event from a fresh process and prints `{"importMs":…,"firstResponseMs":…}` last. */
export const coldStartChildScript = fileURLToPath(new URL('./cold-start-child.mjs', import.meta.url));

export interface ColdStartSample {
  /** Spawn → exit of the child, measured here. */
  wallMs: number;
  /** import() of the handler alone (module evaluation: config read, clients built), inside the child. */
  importMs: number;
  /** import() of the handler → its first response, measured inside the child. */
  firstResponseMs: number;
}

/**
 * The environment Lambda's Node.js runtime gives a function at a cold start, for a bench's child:
 * `Tracing: Active` (the tracer is on, its datagrams go to a port nobody listens on, as cheap as the real
 * daemon's socket), the template's NODE_OPTIONS (reading the source map is part of a real cold start),
 * test credentials and nothing of this machine's ~/.aws (Lambda has no such files) — then `variables`,
 * the function's own configuration and endpoint, which may override any of it.
 */
export function lambdaColdStartEnvironment({
  functionName,
  workDir,
  variables = {},
}: {
  functionName: string;
  /** A folder of the bench's own: the AWS config and credential files named there do not exist. */
  workDir: string;
  variables?: Record<string, string>;
}): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_CONFIG_FILE: join(workDir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'no-aws-credentials'),
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    LAMBDA_TASK_ROOT: '/var/task',
    _HANDLER: 'index.handler',
    _X_AMZN_TRACE_ID: 'Root=1-6b0912b3-28e02368ba7444aef6f6c61a;Parent=53995c3f42cd8ad8;Sampled=1',
    AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:9',
    NODE_OPTIONS: '--enable-source-maps',
    ...variables,
  };
}

/**
 * A bundle as `sam build` ships it: `index.mjs` and its source map copied into `dir`, with Node's compile
 * cache made beside it by this machine's Node.js 24 (tooling/bundler's compile-cache, as lambda.mk does),
 * and the variables the template sets for it. The bench's children are that Node.js, started with
 * Lambda's arguments, so the cache is theirs to accept.
 */
export async function deployedBundle(bundleFile: string, dir: string) {
  await mkdir(dir, { recursive: true });
  const handlerFile = join(dir, 'index.mjs');
  await copyFile(bundleFile, handlerFile);
  await copyFile(`${bundleFile}.map`, `${handlerFile}.map`);
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
  const { folder, bytes } = await writeCompileCache({ artifactDir: dir, runtime: 'nodejs24.x', arch });
  return {
    handlerFile,
    cacheFolder: folder,
    cacheBytes: bytes,
    env: { NODE_COMPILE_CACHE: join(dir, compileCacheDirName), NODE_COMPILE_CACHE_PORTABLE: '1' },
  };
}

/**
 * Spawns one fresh node process that imports `handlerFile` and serves `eventFile` once. `args` follow
 * the event on the child's command line (for the shared child: `[check.mjs, ...check args]`). `execPath`
 * is the Node.js binary to run (default: this process's), so one bench can compare Node versions;
 * `nodeArgs` come before the child script (default: what Lambda's bootstrap passes for 512 MB).
 */
export function coldStart({
  childScript = coldStartChildScript,
  handlerFile,
  eventFile,
  env,
  args = [],
  execPath = process.execPath,
  nodeArgs = lambdaNodeArgs(512),
}: {
  childScript?: string;
  handlerFile: string;
  eventFile: string;
  env: Record<string, string>;
  args?: readonly string[];
  execPath?: string;
  nodeArgs?: readonly string[];
}): Promise<ColdStartSample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // Only the variables Lambda would set: none of this process's environment (tsx's loader included).
    const child = spawn(execPath, [...nodeArgs, childScript, handlerFile, eventFile, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let wallMs = Number.NaN;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('exit', () => {
      wallMs = performance.now() - started;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(
          new Error(`cold start of ${handlerFile} on ${execPath} exited with ${code}:\n${stderr}${stdout}`),
        );
        return;
      }
      // The function's own output (its ColdStart EMF line) comes first; the child's figure is the last line.
      const figure = stdout.trim().split('\n').at(-1) ?? '';
      const { importMs, firstResponseMs } = JSON.parse(figure) as ColdStartSample;
      resolve({ wallMs, importMs, firstResponseMs });
    });
  });
}

export interface Summary {
  median: number;
  p90: number;
}

/** Median and 90th percentile, interpolating between the nearest ranks. */
export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (quantile: number) => {
    const position = (sorted.length - 1) * quantile;
    const below = sorted[Math.floor(position)] ?? Number.NaN;
    const above = sorted[Math.ceil(position)] ?? Number.NaN;
    return below + (above - below) * (position - Math.floor(position));
  };
  return { median: at(0.5), p90: at(0.9) };
}
