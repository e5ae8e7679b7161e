import { fork, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  findWorkspaceRoot,
  readTemplate,
  serverlessFunctions,
  type Template,
} from '@repo/sam-template/read-template';
import {
  evaluateConditions,
  type LocalStack,
  resolveIntrinsics,
} from '@repo/sam-template/resolve-intrinsics';
import { createTablesFromTemplate } from '@repo/testing/dynamodb-tables';
import { startMoto } from '@repo/testing/moto';

const usage =
  'usage: pnpm invoke <function> -e <event.json> [--no-build]   (function: users-api or UsersApiFunction)';
const region = 'us-east-1';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/**
 * `pnpm invoke`: `sam local invoke` without Docker. Builds the function, starts moto (or uses
 * AWS_ENDPOINT_URL, e.g. LocalStack), creates the template's tables, and runs the built handler once in
 * a child process with exactly the environment the template gives it, a Lambda-like context and the
 * template's timeout enforced.
 */
async function main(argv: string[]): Promise<number> {
  // Lambda runs Node 22; on an older local Node the SDK warns on every process. Not news here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { event: { type: 'string', short: 'e' }, 'no-build': { type: 'boolean', default: false } },
  });
  const [name] = positionals;
  if (!name || !values.event) {
    console.error(usage);
    return 2;
  }
  const root = findWorkspaceRoot();
  const template = readTemplate();
  const fn = serverlessFunctions(template).find(
    (candidate) =>
      candidate.logicalId === name ||
      String(candidate.properties.CodeUri).replace(/\/$/, '') === `apps/${name}`,
  );
  if (!fn) {
    console.error(`No function ${name} in template.yaml. ${usage}`);
    return 2;
  }
  const codeUri = join(root, String(fn.properties.CodeUri));
  // pnpm runs root scripts from the workspace root; INIT_CWD is where the user typed the command.
  const eventPath = resolve(process.env.INIT_CWD ?? process.cwd(), values.event);
  const event: unknown = JSON.parse(readFileSync(eventPath, 'utf8'));

  if (!values['no-build']) {
    const appName = (JSON.parse(readFileSync(join(codeUri, 'package.json'), 'utf8')) as { name: string })
      .name;
    const build = spawnSync(
      'pnpm',
      ['exec', 'turbo', 'run', 'build', `--filter=${appName}`, '--output-logs=errors-only'],
      {
        cwd: root,
        stdio: 'inherit',
      },
    );
    if (build.status !== 0) return build.status ?? 1;
  }

  const externalEndpoint = process.env.AWS_ENDPOINT_URL;
  const moto = externalEndpoint ? undefined : await startMoto();
  const endpoint = externalEndpoint ?? (moto?.endpoint as string);
  try {
    const physicalIds = await createTables(template, endpoint);
    const stack = localStack(template, physicalIds);
    const environment = functionEnvironment(fn.properties, stack);
    const [file, exportName] = splitHandler(String(fn.properties.Handler));
    const timeoutSeconds = Number(fn.properties.Timeout ?? 3);
    const memoryMb = Number(fn.properties.MemorySize ?? 128);
    console.error(`invoke ${fn.logicalId} (${values.event}) against ${endpoint}, timeout ${timeoutSeconds}s`);

    const outcome = await runInChild({
      handlerFile: join(codeUri, 'dist', `${file}.mjs`),
      exportName,
      event,
      functionName: fn.logicalId,
      memoryMb,
      timeoutSeconds,
      env: {
        PATH: process.env.PATH ?? '',
        ...environment,
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        AWS_ENDPOINT_URL: endpoint,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.logicalId}`,
        LAMBDA_TASK_ROOT: join(codeUri, 'dist'),
        _HANDLER: String(fn.properties.Handler),
        TZ: ':UTC',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    });
    console.log(JSON.stringify(outcome.ok ? outcome.result : outcome.error, null, 2));
    console.error(
      outcome.ok
        ? `${fn.logicalId}: ok, init ${outcome.initMs.toFixed(1)} ms, duration ${outcome.durationMs.toFixed(1)} ms`
        : `${fn.logicalId}: failed (${outcome.error.errorType})`,
    );
    return outcome.ok ? 0 : 1;
  } finally {
    await moto?.stop();
  }
}

async function createTables(template: Template, endpoint: string): Promise<Record<string, string>> {
  const client = new DynamoDBClient({ endpoint, region, credentials });
  try {
    return await createTablesFromTemplate(client, template);
  } finally {
    client.destroy();
  }
}

function localStack(template: Template, physicalIds: Record<string, string>): LocalStack {
  const parameters = Object.fromEntries(
    Object.entries(template.Parameters ?? {}).map(([name, definition]) => [
      name,
      String((definition as { Default?: unknown }).Default ?? ''),
    ]),
  );
  const base = { region, accountId: '000000000000', stackName: 'local', parameters, physicalIds };
  return { ...base, conditions: evaluateConditions(template.Conditions ?? {}, base) };
}

function functionEnvironment(properties: Record<string, unknown>, stack: LocalStack): Record<string, string> {
  const variables =
    (properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [name, String(resolveIntrinsics(value, stack))]),
  );
}

function splitHandler(handler: string): [string, string] {
  const dot = handler.lastIndexOf('.');
  return [handler.slice(0, dot), handler.slice(dot + 1)];
}

type Outcome =
  | { ok: true; result: unknown; initMs: number; durationMs: number }
  | { ok: false; error: { errorType: string; errorMessage: string; stackTrace?: string[] } };

async function runInChild(request: {
  handlerFile: string;
  exportName: string;
  event: unknown;
  functionName: string;
  memoryMb: number;
  timeoutSeconds: number;
  env: Record<string, string>;
}): Promise<Outcome> {
  const { env, ...message } = request;
  const child = fork(new URL('./run-handler.mjs', import.meta.url), [], { env, stdio: 'inherit' });
  const answer = once(child, 'message').then(([outcome]) => outcome as Outcome);
  const exited = once(child, 'exit').then(
    ([code]): Outcome => ({
      ok: false,
      error: { errorType: 'Runtime.ExitError', errorMessage: `exited with code ${code}` },
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({
        ok: false,
        error: {
          errorType: 'Sandbox.Timedout',
          errorMessage: `Task timed out after ${request.timeoutSeconds}.00 seconds`,
        },
      });
    }, request.timeoutSeconds * 1000);
  });
  child.send(message);
  const outcome = await Promise.race([answer, exited, timedOut]);
  clearTimeout(timer);
  if (child.exitCode === null) child.kill();
  return outcome;
}

process.exitCode = await main(process.argv.slice(2));
