/**
 * `pnpm run deploy` — ship one team's function, or everything (`pnpm deploy` is pnpm's own command).
 *
 *   pnpm run deploy <app> --stage <dev|prod> [--dry-run] [--deployed-template <file>]
 *   pnpm run deploy --all --stage <dev|prod> [--dry-run]
 *   pnpm run deploy --affected-since <git ref> --list      # JSON array of affected apps on stdout
 *
 * One app: `sam build <Function> --build-dir .aws-sam/deploy/<app>/build` (its Makefile builds it from
 * the working tree), the stack's deployed template from CloudFormation, a composed template with only
 * the app's resources changed (./deploy.ts), `sam deploy` of that template. --dry-run prints the
 * commands and writes the composed template (from --deployed-template when given) without running them.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import {
  findWorkspaceRoot,
  parseTemplate,
  readTemplate,
  type Template,
  TemplateError,
} from '@repo/sam-template/read-template';
import { parse as parseToml } from 'smol-toml';
import { affectedApps, composeAppDeploy, DeployError, functionsOf, resourcesByApp } from './deploy.ts';

interface Options {
  apps: string[];
  all: boolean;
  stage?: string;
  dryRun: boolean;
  deployedTemplate?: string;
  affectedSince?: string;
  list: boolean;
  template: string;
  /** CloudFormation's execution role (`sam deploy --role-arn`): CI passes the one infra/github-oidc.yaml made. */
  roleArn?: string;
  /** Deploy without the interactive change-set prompt (samconfig asks for one in prod): CI, after approval. */
  noConfirm: boolean;
}

const usage =
  'usage: pnpm run deploy <app…> --stage <dev|prod> [--dry-run] [--deployed-template <file>] [--role-arn <arn>] [--no-confirm-changeset]\n' +
  '       pnpm run deploy --all --stage <dev|prod> [--dry-run]\n' +
  '       pnpm run deploy --affected-since <git ref> --list';

class UsageError extends Error {}

function parseArguments(argv: string[]): Options {
  const options: Options = {
    apps: [],
    all: false,
    dryRun: false,
    list: false,
    noConfirm: false,
    template: join(findWorkspaceRoot(), 'template.yaml'),
  };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] as string;
    const value = () => {
      const next = argv[++index];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${argument} needs a value`);
      return next;
    };
    if (argument === '--stage') options.stage = value();
    else if (argument === '--all') options.all = true;
    else if (argument === '--dry-run') options.dryRun = true;
    else if (argument === '--deployed-template') options.deployedTemplate = value();
    else if (argument === '--affected-since') options.affectedSince = value();
    else if (argument === '--list') options.list = true;
    else if (argument === '--template') options.template = value();
    else if (argument === '--role-arn') options.roleArn = value();
    else if (argument === '--no-confirm-changeset') options.noConfirm = true;
    else if (argument === '--') continue;
    else if (argument.startsWith('--')) throw new UsageError(`unknown option ${argument}`);
    else options.apps.push(argument);
  }
  return options;
}

/** `$ sam build …` — printed before running, and all a dry run does. */
function run(
  command: string[],
  { dryRun, cwd, capture = false }: { dryRun: boolean; cwd: string; capture?: boolean },
) {
  console.error(`$ ${command.map((part) => (/[\s"'$]/.test(part) ? JSON.stringify(part) : part)).join(' ')}`);
  if (dryRun) return '';
  const result = spawnSync(command[0] as string, command.slice(1), {
    cwd,
    stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit',
    encoding: 'utf8',
  });
  if (result.error) throw new DeployError(`${command[0]} could not run: ${result.error.message}`);
  if (result.status !== 0)
    throw new DeployError(`${command.slice(0, 2).join(' ')} failed (exit ${result.status})`);
  return result.stdout ?? '';
}

interface Stage {
  stackName: string;
  region?: string;
}

function stageOf(samconfigFile: string, stage: string): Stage {
  type Section = { deploy?: { parameters?: Record<string, unknown> } };
  const config = parseToml(readFileSync(samconfigFile, 'utf8')) as Record<string, Section | undefined>;
  const deploy = config[stage]?.deploy?.parameters;
  if (!deploy?.stack_name) {
    const stages = Object.keys(config).filter((name) => config[name]?.deploy?.parameters?.stack_name);
    throw new UsageError(
      `samconfig.toml has no [${stage}.deploy.parameters] stack_name (stages: ${stages.join(', ')})`,
    );
  }
  return { stackName: String(deploy.stack_name), region: deploy.region ? String(deploy.region) : undefined };
}

/** The deployed template from a file, or CloudFormation's copy; undefined when the stack does not exist. */
function deployedTemplate(options: Options, stage: Stage, root: string): Template | undefined {
  if (options.deployedTemplate) {
    return parseTemplate(readFileSync(resolve(options.deployedTemplate), 'utf8'), options.deployedTemplate);
  }
  const command = ['aws', 'cloudformation', 'get-template', '--stack-name', stage.stackName];
  command.push('--template-stage', 'Original', '--query', 'TemplateBody', '--output', 'json');
  if (stage.region) command.push('--region', stage.region);
  console.error(`$ ${command.join(' ')}`);
  if (options.dryRun) return undefined;
  const result = spawnSync(command[0] as string, command.slice(1), { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) {
    if (/does not exist/.test(result.stderr)) return undefined;
    throw new DeployError(`aws cloudformation get-template failed: ${result.stderr.trim()}`);
  }
  // The body comes back as a JSON object (JSON templates) or a JSON string holding YAML.
  const body = JSON.parse(result.stdout) as unknown;
  return parseTemplate(typeof body === 'string' ? body : JSON.stringify(body), `deployed ${stage.stackName}`);
}

function main(argv: string[]): void {
  const options = parseArguments(argv);
  const templateFile = resolve(options.template);
  const root = dirname(templateFile);
  const local = readTemplate(templateFile);
  const apps = resourcesByApp(local);

  if (options.affectedSince) {
    if (!options.list) throw new UsageError('--affected-since is used with --list');
    const ref = options.affectedSince;
    const listed = run(['pnpm', 'exec', 'turbo', 'ls', `--filter=...[${ref}]`, '--output', 'json'], {
      dryRun: false,
      cwd: root,
      capture: true,
    });
    const changedWorkspaces = (
      JSON.parse(listed) as { packages: { items: { path: string }[] } }
    ).packages.items.map((item) => item.path);
    const shown = spawnSync('git', ['show', `${ref}:${relative(root, templateFile)}`], {
      cwd: root,
      encoding: 'utf8',
    });
    const base = shown.status === 0 ? parseTemplate(shown.stdout, `${ref}:template.yaml`) : undefined;
    const affected = affectedApps({ current: local, base, changedWorkspaces });
    if (affected.platform) {
      console.error(
        `Shared parts of template.yaml changed since ${ref}: the platform ships them with \`pnpm run deploy --all\`.`,
      );
    }
    console.log(JSON.stringify(affected.apps));
    return;
  }

  if (!options.stage) throw new UsageError('--stage is required');
  const stage = stageOf(join(root, 'samconfig.toml'), options.stage);
  const samconfig = join(root, 'samconfig.toml');
  const common = ['--config-file', samconfig, '--config-env', options.stage];
  const deployFlags = [
    ...(options.roleArn ? ['--role-arn', options.roleArn] : []),
    ...(options.noConfirm ? ['--no-confirm-changeset'] : []),
  ];

  if (options.all) {
    if (options.apps.length > 0) throw new UsageError('--all deploys every app: name no app with it');
    run(['sam', 'build', '--template-file', templateFile, ...common], { ...options, cwd: root });
    run(['sam', 'deploy', ...common, ...deployFlags], { ...options, cwd: root });
    return;
  }
  if (options.apps.length === 0) throw new UsageError('name the app to deploy, or --all');

  for (const app of options.apps) {
    const functions = functionsOf(local, app);
    if (!apps.has(app) || functions.length === 0) {
      throw new UsageError(
        `no function of ${app} in ${options.template} (apps: ${[...apps.keys()].join(', ')})`,
      );
    }
    const workDir = join(root, '.aws-sam', 'deploy', app);
    const buildDir = join(workDir, 'build');
    for (const logicalId of functions) {
      // Each function into its own build folder: `sam build X` rebuilds only X, from the working tree.
      run(
        [
          'sam',
          'build',
          logicalId,
          '--template-file',
          templateFile,
          '--build-dir',
          join(buildDir, logicalId),
          ...common,
        ],
        {
          ...options,
          cwd: root,
        },
      );
    }
    const deployed = deployedTemplate(options, stage, root);
    const composed = join(workDir, `template.${options.stage}.json`);
    if (options.dryRun && !deployed) {
      console.error(`  (dry run: ${app}'s resources would be composed into the deployed template; pass`);
      console.error('   --deployed-template <file> to see the result)');
      run(['sam', 'deploy', '--template-file', composed, ...common, ...deployFlags], {
        ...options,
        cwd: root,
      });
      continue;
    }
    const composition = composeAppDeploy({
      app,
      local,
      deployed,
      builtCodeUri: (logicalId) => join(buildDir, logicalId, logicalId),
      stackName: stage.stackName,
    });
    mkdirSync(workDir, { recursive: true });
    writeFileSync(composed, `${JSON.stringify(composition.template, null, 2)}\n`);
    console.error(`${app} → ${stage.stackName}: ships ${composition.shipped.join(', ')}`);
    if (composition.removed.length > 0) console.error(`  deletes ${composition.removed.join(', ')}`);
    for (const note of composition.notShipped) console.error(`  left as deployed: ${note}`);
    console.error(`  template: ${relative(root, composed)}`);
    run(['sam', 'deploy', '--template-file', composed, ...common, ...deployFlags], { ...options, cwd: root });
  }
}

try {
  main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n${usage}`);
    process.exitCode = 2;
  } else if (error instanceof DeployError || error instanceof TemplateError) {
    console.error(error.message);
    process.exitCode = 1;
  } else throw error;
}
