/**
 * `pnpm soak`: a mixed load through `pnpm dev` under a fault profile, then every invariant checked.
 * Exits 0 when all held, 1 on any violation, 2 on a usage error.
 */
import { randomInt } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { SoakSize } from './plan.ts';
import { formatReport } from './report.ts';
import { runSoak } from './soak.ts';

const usage = `usage: pnpm soak [--profile flaky-5pct] [--seed <n>] [--short]
                 [--uploads 200] [--requests 1000] [--users 10] [--jobs 100] [--upload-concurrency 4]
                 [--quiet-timeout 300] [--visibility-timeout 10] [--concurrency 1000] [--report <file>] [--verbose]
Starts pnpm dev under the fault profile (tooling/local/faults/<name>.json, or a path), drives uploads (with
overwrites, re-deliveries and hostile files), users-API callers and backfill jobs through it, waits until
it is quiet, redrives every failure queue once, and checks what the system promises. Exit 1 on a violation.
--short               the run pnpm check makes: 16 uploads, 120 requests from 6 callers, 12 jobs (none
                      bound for the DLQ, which takes minutes)
--visibility-timeout  seconds: the local queues' visibility timeout (the template's 720 s would keep a
                      failed job away for 12 minutes)
--concurrency         the account's concurrency pnpm dev runs with: AWS's default (pnpm dev's own, 10,
                      throttles this load; a throttled API call is API Gateway's 500, a violation)
--report              also write the report to a file
--verbose             print everything pnpm dev prints`;

const defaults: SoakSize = {
  uploads: 200,
  requests: 1000,
  users: 10,
  jobs: 100,
  uploadConcurrency: 4,
  deadLetterJobs: true,
};
// pnpm check's: within 90 s on a loaded CI runner. Its jobs all name valid uploads: a job bound for the
// DLQ takes three visibility timeouts to get there, and three more after the redrive.
const short: SoakSize = {
  uploads: 16,
  requests: 120,
  users: 6,
  jobs: 12,
  uploadConcurrency: 4,
  deadLetterJobs: false,
};

async function main(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    process.stderr.write(`pnpm soak: ${(error as Error).message}\n${usage}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const base = values.short ? short : defaults;
  const number = (name: string, value: string | undefined, fallback: number, min = 0) => {
    const parsed = value === undefined ? fallback : Number(value);
    if (!Number.isInteger(parsed) || parsed < min) throw new Error(`--${name} takes a whole number ≥ ${min}`);
    return parsed;
  };
  let size: SoakSize;
  let seed: number;
  let quietTimeoutSeconds: number;
  let visibilityTimeout: number;
  let concurrency: number;
  try {
    size = {
      uploads: number('uploads', values.uploads, base.uploads),
      requests: number('requests', values.requests, base.requests),
      users: number('users', values.users, base.users, 1),
      jobs: number('jobs', values.jobs, base.jobs),
      uploadConcurrency: number(
        'upload-concurrency',
        values['upload-concurrency'],
        base.uploadConcurrency,
        1,
      ),
      deadLetterJobs: base.deadLetterJobs,
    };
    seed = number('seed', values.seed, randomInt(2 ** 31));
    quietTimeoutSeconds = number('quiet-timeout', values['quiet-timeout'], values.short ? 60 : 300, 1);
    visibilityTimeout = number('visibility-timeout', values['visibility-timeout'], 10, 1);
    concurrency = number('concurrency', values.concurrency, 1000, 1);
  } catch (error) {
    process.stderr.write(`pnpm soak: ${(error as Error).message}\n${usage}\n`);
    return 2;
  }
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const report = await runSoak({
    profile: values.profile,
    seed,
    size,
    quietTimeoutSeconds,
    visibilityTimeout,
    concurrency,
    log,
    echo: values.verbose ? (line) => process.stdout.write(`  │ ${line}\n`) : undefined,
  });
  const text = formatReport(report);
  log(`\n${text}`);
  if (values.report)
    await writeFile(resolve(process.env.INIT_CWD ?? process.cwd(), values.report), `${text}\n`);
  return report.violations.length === 0 ? 0 : 1;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      profile: { type: 'string', default: 'flaky-5pct' },
      seed: { type: 'string' },
      short: { type: 'boolean', default: false },
      uploads: { type: 'string' },
      requests: { type: 'string' },
      users: { type: 'string' },
      jobs: { type: 'string' },
      'upload-concurrency': { type: 'string' },
      'quiet-timeout': { type: 'string' },
      'visibility-timeout': { type: 'string' },
      concurrency: { type: 'string' },
      report: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

process.exitCode = await main(process.argv.slice(2));
