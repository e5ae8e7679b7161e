// pnpm codeowners [--check] [--root <dir>]: writes .github/CODEOWNERS from apps/*/package.json
// "lambda.owner", or with --check exits 1 when the checked-in file differs from what would be written.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { findWorkspaceRoot } from '@repo/sam-template/read-template';
import {
  CODEOWNERS_PATH,
  describeDrift,
  OwnershipError,
  ownerOf,
  readAppManifests,
  renderCodeowners,
} from './codeowners.ts';

const { values } = parseArgs({
  options: { check: { type: 'boolean', default: false }, root: { type: 'string' } },
});
const root = values.root ?? findWorkspaceRoot();
const target = join(root, CODEOWNERS_PATH);

let generated: string;
try {
  const apps = readAppManifests(root).map(({ dir, manifest }) => ({ dir, owner: ownerOf(manifest) }));
  generated = renderCodeowners(apps);
} catch (error) {
  if (!(error instanceof OwnershipError)) throw error;
  console.error(`Cannot generate ${CODEOWNERS_PATH}:\n${error.message}`);
  process.exit(1);
}

if (values.check) {
  const drift = describeDrift(existsSync(target) ? readFileSync(target, 'utf8') : undefined, generated);
  if (drift !== undefined) {
    console.error(drift);
    process.exit(1);
  }
  console.log(`${CODEOWNERS_PATH} is up to date`);
} else {
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, generated);
  console.log(`wrote ${CODEOWNERS_PATH}`);
}
