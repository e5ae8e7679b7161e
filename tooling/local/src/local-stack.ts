import { readFile, symlink } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { type MotoServer, startMoto } from '@repo/aws-local/moto';
import { bundleLambda } from '@repo/bundler/bundle-lambda';
import type { Template } from '@repo/sam-template/read-template';
import type { LocalStack } from '@repo/sam-template/resolve-intrinsics';
import type { ConcurrencyStats } from './function-host.ts';
import { functionRuntimes, type LocalAws, type LocalFunctions, localFunctions } from './functions.ts';
import { type ProvisionedStack, provisionStack } from './provision.ts';
import type { LocalResource, Log } from './types.ts';

export const region = 'us-east-1';

/** What `.local/stack.json` holds: enough for scripts, tests and `pnpm invoke` to find everything. */
export interface StackFile {
  pid: number;
  endpoint: string;
  region: string;
  apiUrl?: string;
  stack: LocalStack;
  resources: Record<string, LocalResource>;
  functions: Record<string, { handlerFile: string; timeoutSeconds: number; memoryMb: number }>;
  /**
   * Per function invoked asynchronously: the delivery queue its events reach it through (its first such
   * event source); `pnpm redrive` puts an event back there.
   */
  asyncDelivery?: Record<string, string>;
  /** Per function, kept current while pnpm dev runs: environments now and at peak, cold starts, throttles. */
  concurrency?: Record<string, ConcurrencyStats>;
  /** The journal pnpm dev keeps (`--journal`): an absolute path. */
  journal?: string;
}

export interface OpenedStack {
  aws: LocalAws;
  stack: LocalStack;
  provisioned?: ProvisionedStack;
  functions: LocalFunctions;
  /** True when a running `pnpm dev` (its stack file) was reused instead of starting moto. */
  reused: boolean;
  close(): Promise<void>;
}

const motoMissing =
  'moto_server was not found on PATH. Install it with `pip install "moto[server]"`, or point the local ' +
  'stack at another endpoint, e.g. AWS_ENDPOINT_URL=http://localhost:4566 for LocalStack.';

/**
 * Brings up the local AWS side of the stack: reuses a running `pnpm dev` (via its stack file) when
 * asked and alive; otherwise uses AWS_ENDPOINT_URL if set, or starts moto_server; then creates what the
 * template declares and works out how each function runs. A function whose `Runtime` no installed
 * Node.js provides is refused first (RuntimeNotSupportedError), before anything starts.
 */
export async function openLocalStack(options: {
  template: Template;
  /** The folder holding template.yaml: CodeUri paths are relative to it. */
  templateDir: string;
  endpoint?: string;
  reuseStackFile?: string;
  /**
   * Where the functions' bundles are or go (see localFunctions). Unset: a reused pnpm dev's own folder,
   * else what `pnpm build` left in each app's dist/ (read only).
   */
  buildDir?: string;
  log: Log;
}): Promise<OpenedStack> {
  const { template, templateDir, buildDir, log } = options;
  // A function whose Runtime cannot run here is refused before anything starts.
  functionRuntimes(template);
  const running = options.reuseStackFile ? await runningStack(options.reuseStackFile) : undefined;
  if (running) {
    const aws = localAws(running.endpoint);
    log(`using the running pnpm dev stack at ${running.endpoint}`);
    return {
      aws,
      stack: running.stack,
      // Unless told where else, the functions run the code the running pnpm dev runs.
      functions: localFunctions(template, {
        templateDir,
        stack: running.stack,
        aws,
        buildDir: buildDir ?? stackBuildDir(options.reuseStackFile as string),
      }),
      reused: true,
      close: async () => undefined,
    };
  }

  let moto: MotoServer | undefined;
  if (!options.endpoint) {
    try {
      moto = await startMoto();
    } catch (error) {
      throw error instanceof Error && error.message.includes('moto_server was not found')
        ? new Error(motoMissing)
        : error;
    }
  }
  const endpoint = options.endpoint ?? (moto as MotoServer).endpoint;
  try {
    const aws = localAws(endpoint);
    const provisioned = await provisionStack({ template, endpoint, region });
    return {
      aws,
      stack: provisioned.stack,
      provisioned,
      functions: localFunctions(template, { templateDir, stack: provisioned.stack, aws, buildDir }),
      reused: false,
      close: async () => {
        await moto?.stop();
      },
    };
  } catch (error) {
    await moto?.stop();
    throw error;
  }
}

/**
 * The folder where a local stack keeps its bundles: beside its stack file and named after it
 * (`.local/stack.json` → `.local/stack.build/`), so two stacks never share one, and never `apps/*\/dist`,
 * which belongs to `pnpm build` and is read by the tests, the benches and `sam build` beside it.
 */
export function stackBuildDir(stackFile: string): string {
  return join(dirname(stackFile), `${basename(stackFile, extname(stackFile))}.build`);
}

/**
 * Bundles every app whose functions are built (as their Makefile target would) into its `outDir`,
 * timing each. The app's `node_modules` is linked beside the bundle, as the artifact carries its
 * external packages (sharp), and the source map points at the real sources for stack traces.
 */
export async function buildApps(functions: LocalFunctions, log: Log): Promise<void> {
  for (const build of functions.builds) {
    if (build.outDir === join(build.appDir, 'dist'))
      throw new Error(`${build.outDir} belongs to pnpm build: the local stack bundles into its own folder`);
    const started = performance.now();
    await bundleLambda({
      appDir: build.appDir,
      outDir: build.outDir,
      layoutDir: build.outDir,
      metafile: false,
    });
    await symlink(join(build.appDir, 'node_modules'), join(build.outDir, 'node_modules'), 'dir').catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      },
    );
    log(`built ${build.logicalIds.join(', ')} (${(performance.now() - started).toFixed(0)} ms)`);
  }
}

function localAws(endpoint: string): LocalAws {
  return { endpoint, region, accessKeyId: 'test', secretAccessKey: 'test' };
}

/** The stack file of a `pnpm dev` that is still running and whose endpoint still answers. */
export async function runningStack(path: string): Promise<StackFile | undefined> {
  let file: StackFile;
  try {
    file = JSON.parse(await readFile(path, 'utf8')) as StackFile;
    process.kill(file.pid, 0);
  } catch {
    return undefined;
  }
  try {
    const answer = await fetch(file.endpoint, { signal: AbortSignal.timeout(2_000) });
    // Every fetch here releases its body: an unread body left paused when the server closes the socket
    // crashes the process in undici (nodejs/undici#5360, in Node 24's bundled undici).
    await answer.body?.cancel();
    return file;
  } catch {
    return undefined;
  }
}
