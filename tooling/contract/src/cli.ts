import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findWorkspaceRoot } from '@repo/sam-template/read-template';
import { runContractCheck } from './load-facts.ts';
import { formatReport } from './report.ts';

// pnpm check:contract — every function of the template gets the environment, IAM permissions and
// event sources its code needs. Run with tsx (it imports each app's src/config.ts); needs `pnpm build`.
const usage = 'usage: tsx tooling/contract/src/cli.ts [--template template.yaml]';

const { values } = parseArgs({
  options: { template: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}

const started = performance.now();
try {
  const report = await runContractCheck(values.template ?? join(findWorkspaceRoot(), 'template.yaml'));
  const { lines, ok } = formatReport(report, (performance.now() - started) / 1000);
  console.log(lines.join('\n'));
  process.exitCode = ok ? 0 : 1;
} catch (error) {
  console.error(`✗ contract check could not run: ${(error as Error).message}`);
  process.exitCode = 1;
}
