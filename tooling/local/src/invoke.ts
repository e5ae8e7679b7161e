import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { findWorkspaceRoot, readTemplate } from '@repo/sam-template/read-template';
import { FunctionHost } from './function-host.ts';
import { buildApps, type OpenedStack, openLocalStack } from './local-stack.ts';
import type { Log } from './types.ts';

const usage =
  'usage: pnpm invoke <function> -e <event.json> [--no-build] [--template template.yaml] [--stack-file .local/stack.json]\n' +
  '       <function> is a logical id (UsersApiFunction) or an app folder name (users-api)';

const say: Log = (line) => process.stderr.write(`${line}\n`);

/**
 * `pnpm invoke`: `sam local invoke` without Docker. Runs one function once, with the same context and
 * environment as `pnpm dev` (reusing a running one, else starting moto and creating the template's
 * resources). The handler's result goes to stdout as JSON, logs to stderr; a handler error exits 1.
 */
async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      event: { type: 'string', short: 'e' },
      'no-build': { type: 'boolean', default: false },
      template: { type: 'string' },
      'stack-file': { type: 'string' },
    },
  });
  const [name] = positionals;
  if (!name || !values.event) {
    say(usage);
    return 2;
  }
  const root = findWorkspaceRoot();
  // pnpm runs root scripts from the workspace root; INIT_CWD is where the user typed the command.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const templatePath = values.template ? resolve(cwd, values.template) : join(root, 'template.yaml');
  const template = readTemplate(templatePath);
  const event: unknown = JSON.parse(readFileSync(resolve(cwd, values.event), 'utf8'));

  // A folder of its own for the bundle, gone when it exits: never apps/*/dist, which pnpm build owns,
  // nor a running pnpm dev's. --no-build runs what is there: a running pnpm dev's code, else dist/.
  const buildDir = values['no-build']
    ? undefined
    : await mkdir(join(root, '.local'), { recursive: true }).then(() =>
        mkdtemp(join(root, '.local', 'invoke-')),
      );
  let opened: OpenedStack;
  try {
    opened = await openLocalStack({
      template,
      templateDir: dirname(templatePath),
      endpoint: process.env.AWS_ENDPOINT_URL || undefined,
      reuseStackFile: values['stack-file']
        ? resolve(cwd, values['stack-file'])
        : join(root, '.local', 'stack.json'),
      buildDir,
      log: say,
    });
  } catch (error) {
    say(`pnpm invoke: ${(error as Error).message}`);
    if (buildDir) await rm(buildDir, { recursive: true, force: true });
    return 1;
  }
  try {
    const spec = opened.functions.specs.find(
      (candidate) =>
        candidate.logicalId === name ||
        opened.functions.builds.some(
          (build) => build.appDir.endsWith(`/apps/${name}`) && build.logicalIds.includes(candidate.logicalId),
        ),
    );
    if (!spec) {
      say(`No function ${name} in template.yaml. ${usage}`);
      return 2;
    }
    if (buildDir) {
      await buildApps(
        {
          ...opened.functions,
          builds: opened.functions.builds.filter((build) => build.logicalIds.includes(spec.logicalId)),
        },
        say,
      );
    }
    say(`${spec.logicalId}  ${spec.runtime} on Node.js ${spec.node.version}`);
    const host = new FunctionHost([spec], { logs: process.stderr, log: say, metrics: say, traces: say });
    try {
      const outcome = await host.invoke(spec.logicalId, event, `invoke ${values.event}`);
      process.stdout.write(`${JSON.stringify(outcome.ok ? outcome.result : outcome.error, null, 2)}\n`);
      return outcome.ok ? 0 : 1;
    } finally {
      await host.close();
    }
  } finally {
    await opened.close();
    if (buildDir) await rm(buildDir, { recursive: true, force: true });
  }
}

process.exitCode = await main(process.argv.slice(2));
