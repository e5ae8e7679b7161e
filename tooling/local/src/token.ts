import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { findWorkspaceRoot } from '@repo/sam-template/read-template';
import { runningStack } from './local-stack.ts';
import { localIdToken } from './local-token.ts';

const usage = `usage: pnpm id-token [--email ada@example.com] [--admin] [--stack-file .local/stack.json]
Prints an ID token for a user of the running pnpm dev's user pool — creating the user, or setting a new
password for it, as needed — for the Authorization header. --admin puts the user in the admin group.`;

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      email: { type: 'string', default: 'dev@example.com' },
      admin: { type: 'boolean', default: false },
      'stack-file': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const stackFile = values['stack-file']
    ? resolve(cwd, values['stack-file'])
    : join(findWorkspaceRoot(), '.local', 'stack.json');
  const stack = await runningStack(stackFile);
  if (!stack) {
    process.stderr.write(
      `pnpm id-token: no pnpm dev is running with ${stackFile}; start one with pnpm dev\n`,
    );
    process.exitCode = 1;
    return;
  }
  try {
    process.stdout.write(`${await localIdToken(stack, { email: values.email, admin: values.admin })}\n`);
  } catch (error) {
    process.stderr.write(`pnpm id-token: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}

main(process.argv.slice(2)).catch((error: Error) => {
  process.stderr.write(`pnpm id-token failed: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
