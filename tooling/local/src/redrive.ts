import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { findWorkspaceRoot, readTemplate } from '@repo/sam-template/read-template';
import { runningStack } from './local-stack.ts';
import { awsRedriveTarget, stackNameForStage } from './redrive-aws.ts';
import { localRedriveTarget } from './redrive-local.ts';
import { redriveQueue } from './redrive-queue.ts';
import { describeTarget, RedriveRouteError, redriveRoute } from './redrive-route.ts';
import type { Log } from './types.ts';

const usage = `usage: pnpm redrive <queue> [--max <n>] [--dry-run] [--stage <stage>] [--template template.yaml] [--stack-file .local/stack.json]
Moves a failure queue's messages back to where they came from: a Lambda on-failure destination's events
to its function (invoked asynchronously), a dead-letter queue's messages to its source queue.
<queue>      the queue's logical id (ImageResizerFailures, UploadProcessorFailures, ResizeJobsDlq)
--max        move at most n messages (default: all)
--dry-run    print what would move, move nothing
--stage      the deployed stack samconfig.toml names for the stage (AWS, default credentials);
             without it, the running pnpm dev`;

const say: Log = (line) => process.stdout.write(`${line}\n`);
const warn: Log = (line) => process.stderr.write(`${line}\n`);

/**
 * `pnpm redrive <queue>`: once the cause of the failures is fixed, delivers a failure queue's messages
 * again — on the running `pnpm dev`, or on the stage's deployed stack with `--stage`. Exits 0 when all
 * moved, 1 when any message was left in place or a call failed, 2 on a usage error or a queue that
 * cannot be redriven.
 */
async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    warn(`pnpm redrive: ${(error as Error).message}\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    say(usage);
    return 0;
  }
  const [queueId, ...extra] = positionals;
  const max = values.max === undefined ? Number.POSITIVE_INFINITY : Number(values.max);
  if (
    queueId === undefined ||
    extra.length > 0 ||
    !(Number.isInteger(max) || max === Number.POSITIVE_INFINITY) ||
    max < 1
  ) {
    warn(`pnpm redrive: name one queue; --max takes a whole number ≥ 1\n${usage}`);
    return 2;
  }
  const root = findWorkspaceRoot();
  // pnpm runs root scripts from the workspace root; INIT_CWD is where the user typed the command.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const templatePath = values.template ? resolve(cwd, values.template) : join(root, 'template.yaml');
  try {
    const route = redriveRoute(readTemplate(templatePath), queueId);
    if (values.stage !== undefined) {
      const stackName = stackNameForStage(readFileSync(join(root, 'samconfig.toml'), 'utf8'), values.stage);
      say(`redriving ${queueId} → ${describeTarget(route)} in stack ${stackName}`);
      // The SDK's default credentials and Region (environment, profile, SSO, instance role).
      const cloudformation = new CloudFormationClient({});
      const lambda = new LambdaClient({});
      const sqs = new SQSClient({});
      try {
        const target = await awsRedriveTarget({ stackName, route, cloudformation, lambda, sqs });
        const summary = await redriveQueue({ sqs, route, target, max, dryRun: values['dry-run'], log: say });
        return summary.failed + summary.malformed > 0 ? 1 : 0;
      } finally {
        for (const client of [cloudformation, lambda, sqs]) client.destroy();
      }
    }
    const stackFile = values['stack-file']
      ? resolve(cwd, values['stack-file'])
      : join(root, '.local', 'stack.json');
    const stack = await runningStack(stackFile);
    if (!stack) {
      warn(
        `pnpm redrive: no pnpm dev is running with ${relative(cwd, stackFile) || stackFile}; start one, or pass --stage <stage> for AWS`,
      );
      return 1;
    }
    const client = new SQSClient({
      endpoint: stack.endpoint,
      region: stack.region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      const target = localRedriveTarget(stack, route, client);
      say(`redriving ${queueId} → ${describeTarget(route)} on the local stack at ${stack.endpoint}`);
      const summary = await redriveQueue({
        sqs: client,
        route,
        target,
        max,
        dryRun: values['dry-run'],
        log: say,
      });
      return summary.failed + summary.malformed > 0 ? 1 : 0;
    } finally {
      client.destroy();
    }
  } catch (error) {
    if (error instanceof RedriveRouteError) {
      warn(`pnpm redrive: ${error.message}`);
      return 2;
    }
    warn(`pnpm redrive: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    return 1;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      max: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      stage: { type: 'string' },
      template: { type: 'string' },
      'stack-file': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

process.exitCode = await main(process.argv.slice(2));
