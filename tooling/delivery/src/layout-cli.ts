// pnpm check:layout [--root <dir>]: exits 1, one line per problem, when a function bundle includes tooling/
// code, an app's "dependencies" name a tooling/ workspace, a packages/ workspace ships in no function, or
// an app has no dist/meta.json (run pnpm build first). The rules and why meta.json decides: layout.ts.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findWorkspaceRoot } from '@repo/sam-template/read-template';
import { isRecord } from '@repo/sam-template/template-values';
import { type AppFacts, checkLayout, type Workspace } from './layout.ts';

const { values } = parseArgs({ options: { root: { type: 'string' } } });
const root = values.root ?? findWorkspaceRoot();

/** Every folder under `<root>/<top>` with a package.json, sorted, with the manifest parsed. */
function readWorkspaces(top: string): (Workspace & { manifest: Record<string, unknown> })[] {
  const folder = join(root, top);
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(folder, entry.name, 'package.json')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const parsed: unknown = JSON.parse(readFileSync(join(folder, name, 'package.json'), 'utf8'));
      const manifest = isRecord(parsed) ? parsed : {};
      const dir = `${top}/${name}`;
      return { name: typeof manifest.name === 'string' ? manifest.name : dir, dir, manifest };
    });
}

/** The keys of an app's dist/meta.json `inputs`, or why there are none. */
function readBundleInputs(appDir: string): AppFacts['bundleInputs'] {
  const path = join(root, appDir, 'dist', 'meta.json');
  if (!existsSync(path)) return 'missing';
  try {
    const metafile: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return isRecord(metafile) && isRecord(metafile.inputs) ? Object.keys(metafile.inputs) : 'malformed';
  } catch (error) {
    if (error instanceof SyntaxError) return 'malformed'; // cut short: a build interrupted mid-write
    throw error;
  }
}

const namesUnder = (field: unknown): string[] => (isRecord(field) ? Object.keys(field) : []);
const apps = readWorkspaces('apps').map(({ name, dir, manifest }) => ({
  name,
  dir,
  dependencies: namesUnder(manifest.dependencies),
  devDependencies: namesUnder(manifest.devDependencies),
  bundleInputs: readBundleInputs(dir),
}));
const packages = readWorkspaces('packages');
const tooling = readWorkspaces('tooling');
const problems = checkLayout({ root, apps, packages, tooling });

if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(
  `layout OK: ${apps.length} function bundles hold no tooling/ code, and each of the ${packages.length} ` +
    'packages/ workspaces ships in at least one',
);
