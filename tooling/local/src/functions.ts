import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { installedMajors, nodeForRuntime } from '@repo/node/node-path';
import { localVariables } from '@repo/sam-template/artifact-variables';
import { serverlessFunctions, type Template } from '@repo/sam-template/read-template';
import { type LocalStack, resolveIntrinsics } from '@repo/sam-template/resolve-intrinsics';
import type { FunctionSpec } from './function-host.ts';

/** An app whose function(s) SAM builds with its Makefile; locally it is bundled with bundle-lambda. */
export interface AppBuild {
  appDir: string;
  /** Where its bundle is: the local stack's own build folder, or `<appDir>/dist` when it runs what `pnpm build` made. */
  outDir: string;
  logicalIds: string[];
}

export interface LocalFunctions {
  specs: FunctionSpec[];
  builds: AppBuild[];
  /** Function features the local stack does not support, by name. */
  unsupported: string[];
}

/** A function's template `Runtime` and the Node.js build that runs it here (from @repo/node). */
export type LocalRuntime = Pick<FunctionSpec, 'runtime' | 'node'>;

/** A function whose `Runtime` cannot run here: refused at start-up, as nothing else would run it. */
export class RuntimeNotSupportedError extends Error {
  override name = 'RuntimeNotSupportedError';
}

/**
 * The Node.js each function of the template runs on locally: the build @repo/node (tooling/node)
 * installed for its `Runtime`'s major — a `nodejs22.x` function's environments are Node 22 processes,
 * a `nodejs24.x` function's Node 24 ones. Throws a RuntimeNotSupportedError naming every function whose
 * runtime no installed build provides (another language, a Node.js major not installed, none at all).
 */
export function functionRuntimes(template: Template): Map<string, LocalRuntime> {
  const runtimes = new Map<string, LocalRuntime>();
  const refused: string[] = [];
  for (const { logicalId, properties } of serverlessFunctions(template)) {
    const runtime = typeof properties.Runtime === 'string' ? properties.Runtime : undefined;
    const node = runtime === undefined ? undefined : nodeForRuntime(runtime);
    if (runtime && node) runtimes.set(logicalId, { runtime, node });
    else {
      const named =
        runtime ?? (properties.Runtime === undefined ? '(none)' : JSON.stringify(properties.Runtime));
      refused.push(`${logicalId}: Runtime ${named} cannot run locally: ${runnable()}`);
    }
  }
  if (refused.length > 0) throw new RuntimeNotSupportedError(refused.join('\n'));
  return runtimes;
}

/** What the local stack can run: `pnpm dev and pnpm invoke run nodejs22.x and nodejs24.x (tooling/node)`. */
function runnable(): string {
  const runtimes = installedMajors()
    .sort((a, b) => a - b)
    .map((major) => `nodejs${major}.x`);
  const list =
    runtimes.length > 1
      ? `${runtimes.slice(0, -1).join(', ')} and ${runtimes.at(-1)}`
      : (runtimes[0] ?? 'nothing');
  return `pnpm dev and pnpm invoke run ${list} (tooling/node)`;
}

/** Credentials and endpoint every local function gets in place of its IAM role. */
export interface LocalAws {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * The functions of a template as the local host runs them: where each handler module is (the app's
 * bundle for makefile builds, as in the deployed artifact; otherwise the CodeUri folder as SAM would
 * copy it), and the environment Lambda would give it — the template's variables resolved against the
 * local stack, Lambda's own variables, and the local endpoint and credentials.
 *
 * `buildDir` is the local stack's own folder for bundles (`<buildDir>/<CodeUri>/index.mjs`); without it
 * the functions run what `pnpm build` left in `<CodeUri>/dist`, which the local stack only ever reads.
 */
export function localFunctions(
  template: Template,
  {
    templateDir,
    stack,
    aws,
    buildDir,
  }: { templateDir: string; stack: LocalStack; aws: LocalAws; buildDir?: string },
): LocalFunctions {
  const specs: FunctionSpec[] = [];
  const builds = new Map<string, AppBuild>();
  const unsupported: string[] = [];
  const runtimes = functionRuntimes(template);
  for (const { logicalId, properties } of serverlessFunctions(template)) {
    const where = `Resources.${logicalId}`;
    const { runtime, node } = runtimes.get(logicalId) as LocalRuntime;
    if (properties.PackageType === 'Image') unsupported.push(`${where}.PackageType (Image)`);
    if (properties.InlineCode !== undefined) unsupported.push(`${where}.InlineCode`);
    if (properties.Layers !== undefined) unsupported.push(`${where}.Layers`);
    const ignored = Object.keys(properties)
      .filter((name) => !appliedFunctionProperties.has(name))
      .sort();
    if (ignored.length > 0) unsupported.push(`${where}: ${ignored.join(', ')} (no local effect)`);
    if (typeof properties.CodeUri !== 'string' || typeof properties.Handler !== 'string') {
      unsupported.push(`${where}: CodeUri and Handler must be plain strings locally`);
      continue;
    }
    // SAM resolves CodeUri against the template's folder.
    const codeDir = join(templateDir, properties.CodeUri);
    const dot = properties.Handler.lastIndexOf('.');
    const [file, exportName] = [properties.Handler.slice(0, dot), properties.Handler.slice(dot + 1)];
    const built = template.Resources[logicalId]?.Metadata?.BuildMethod === 'makefile';
    const build = built
      ? (builds.get(codeDir) ?? {
          appDir: codeDir,
          outDir: buildDir ? join(buildDir, relative(templateDir, codeDir)) : join(codeDir, 'dist'),
          logicalIds: [],
        })
      : undefined;
    if (build) {
      build.logicalIds.push(logicalId);
      builds.set(codeDir, build);
    }
    const handlerDir = build?.outDir ?? codeDir;
    const handlerFile =
      ['.mjs', '.js', '.cjs'].map((extension) => join(handlerDir, `${file}${extension}`)).find(existsSync) ??
      join(handlerDir, `${file}.mjs`);
    const memoryMb = Number(properties.MemorySize ?? 128);
    const reserved = properties.ReservedConcurrentExecutions;
    const functionName = stack.physicalIds[logicalId] ?? logicalId;
    specs.push({
      logicalId,
      runtime,
      node,
      handlerFile,
      exportName,
      timeoutSeconds: Number(properties.Timeout ?? 3),
      memoryMb,
      tracing: properties.Tracing === 'Active',
      ...(reserved === undefined ? {} : { reservedConcurrency: Number(resolveIntrinsics(reserved, stack)) }),
      functionArn: `arn:aws:lambda:${aws.region}:${stack.accountId}:function:${functionName}`,
      environment: {
        ...templateVariables(properties, stack),
        ...lambdaVariables({
          functionName,
          runtime,
          memoryMb,
          handler: properties.Handler,
          taskRoot: handlerDir,
          aws,
        }),
      },
    });
  }
  return { specs, builds: [...builds.values()], unsupported };
}

/**
 * What the local stack does something with, or what has no behaviour to reproduce (a description, tags,
 * a name); every other property of a function is named at start-up. `Events` are read by the event
 * sources and the API; `Runtime` picks the Node.js (or is refused), `PackageType`, `InlineCode` and
 * `Layers` have messages of their own. `RuntimeManagementConfig` picks which version of a runtime Lambda
 * runs; here each runtime has one, the repository's Node.js of its major.
 */
const appliedFunctionProperties = new Set([
  'CodeUri',
  'Handler',
  'Runtime',
  'PackageType',
  'InlineCode',
  'Layers',
  'MemorySize',
  'Timeout',
  'Environment',
  'Events',
  'EventInvokeConfig',
  'Tracing',
  'ReservedConcurrentExecutions',
  'FunctionName',
  'Description',
  'Tags',
  'PropagateTags',
  'RuntimeManagementConfig',
]);

function templateVariables(properties: Record<string, unknown>, stack: LocalStack): Record<string, string> {
  // Without the artifact's compile cache under /var/task: pnpm dev's bundles carry none.
  return Object.fromEntries(
    Object.entries(localVariables(properties)).map(([name, value]) => [
      name,
      String(resolveIntrinsics(value, stack)),
    ]),
  );
}

/** The variables Lambda's Node.js runtime sets, with the local endpoint and credentials. */
function lambdaVariables(options: {
  functionName: string;
  runtime: string;
  memoryMb: number;
  handler: string;
  taskRoot: string;
  aws: LocalAws;
}): Record<string, string> {
  const { functionName, runtime, memoryMb, handler, taskRoot, aws } = options;
  return {
    AWS_REGION: aws.region,
    AWS_DEFAULT_REGION: aws.region,
    AWS_ENDPOINT_URL: aws.endpoint,
    AWS_ACCESS_KEY_ID: aws.accessKeyId,
    AWS_SECRET_ACCESS_KEY: aws.secretAccessKey,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
    LAMBDA_TASK_ROOT: taskRoot,
    _HANDLER: handler,
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
  };
}
