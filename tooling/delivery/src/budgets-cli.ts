// pnpm check:budgets [--root <dir>]: each app's dist/index.mjs against budgets.json; prints a table and
// exits 1 when an app is over budget, has no budget or has not been built (run pnpm build first).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findWorkspaceRoot } from '@repo/sam-template/read-template';
import { BudgetsFileError, checkBudgets, formatBudgetTable, parseBudgets } from './budgets.ts';
import { readAppManifests } from './codeowners.ts';

const { values } = parseArgs({ options: { root: { type: 'string' } } });
const root = values.root ?? findWorkspaceRoot();
const budgetsPath = join(root, 'budgets.json');

let budgets: ReturnType<typeof parseBudgets>;
try {
  if (!existsSync(budgetsPath)) throw new BudgetsFileError(`${budgetsPath} does not exist`);
  budgets = parseBudgets(JSON.parse(readFileSync(budgetsPath, 'utf8')));
} catch (error) {
  if (!(error instanceof BudgetsFileError || error instanceof SyntaxError)) throw error;
  console.error(`Cannot read budgets.json: ${error.message}`);
  process.exit(1);
}

const sizes = Object.fromEntries(
  readAppManifests(root).map(({ name, dir }) => {
    const bundle = join(root, dir, 'dist', 'index.mjs');
    return [name, existsSync(bundle) ? statSync(bundle).size : undefined];
  }),
);
const { rows, failures } = checkBudgets(sizes, budgets);

console.log(formatBudgetTable(rows));
if (failures.length > 0) {
  console.error(`\n${failures.join('\n')}`);
  process.exit(1);
}
