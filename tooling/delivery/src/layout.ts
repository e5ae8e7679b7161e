/**
 * The three-folder layout, checked against what the function bundles really contain:
 * `apps/*` are the functions, `packages/*` is code that ships inside them, `tooling/*` runs only on a
 * laptop or in CI and never ships. `pnpm check:layout` (layout-cli.ts) reads the facts; this module only
 * judges them, so every rule is tested on in-memory fixtures.
 *
 * Why a bundle's inputs are the reachability graph: `pnpm build` bundles each app with esbuild from
 * `src/handler.ts`, and esbuild follows every import from that entry, transitively, through workspace
 * packages and node_modules alike (and through the modules the bundler substitutes by alias), recording
 * each file it read in the metafile's `inputs` (`apps/<app>/dist/meta.json`). So a file among the inputs
 * is reached from the function's code, and a file that is not is in no function, whatever package.json
 * says: `dependencies` can name a package no import uses, and says nothing about which of its files are
 * used. Type-only imports are erased before esbuild resolves anything, so a package used only for its
 * types (which ship nothing) is rightly absent. An input that tree shaking reduced to no bytes still
 * counts: it was imported, and the next change to it may ship.
 */
import { posix } from 'node:path';

/** A workspace package: its package.json "name" and where it lives. */
export interface Workspace {
  /** package.json "name" (the folder, when the manifest has none). */
  name: string;
  /** Folder relative to the repository root, with `/`: `packages/aws`. */
  dir: string;
}

/** An app and what its build recorded. */
export interface AppFacts extends Workspace {
  /** The names under package.json "dependencies": what the function's artifact installs. */
  dependencies: readonly string[];
  /** The names under "devDependencies": tests, scripts and the build use them, nothing ships. */
  devDependencies: readonly string[];
  /**
   * The keys of dist/meta.json's `inputs` as esbuild wrote them: relative to the folder esbuild ran in,
   * which bundle-lambda sets to the app's folder (`absWorkingDir`). 'missing': no dist/meta.json;
   * 'malformed': one that is not an esbuild metafile.
   */
  bundleInputs: readonly string[] | 'missing' | 'malformed';
}

export interface LayoutFacts {
  /** Absolute repository root, with `/`. */
  root: string;
  apps: readonly AppFacts[];
  packages: readonly Workspace[];
  tooling: readonly Workspace[];
}

/**
 * A bundle input as a path relative to the repository root, resolved as tooling/contract's load-facts
 * does (`resolve(appDir, input)`); undefined for one outside the repository.
 */
export function inputPathInRepo(root: string, appDir: string, input: string): string | undefined {
  const path = posix.relative(root, posix.resolve(root, appDir, input));
  return path === '..' || path.startsWith('../') || posix.isAbsolute(path) ? undefined : path;
}

/** The workspace whose folder holds `path` (root-relative), if any. */
const workspaceOf = (workspaces: readonly Workspace[], path: string): Workspace | undefined =>
  workspaces.find((workspace) => path.startsWith(`${workspace.dir}/`));

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Every way the repository breaks the layout, one line each, saying what to do; empty when it holds.
 * Fails: a bundle input under tooling/, an app "dependencies" entry naming a tooling workspace, a
 * packages/ workspace no bundle includes a file of, and an app without a (readable) dist/meta.json.
 */
export function checkLayout({ root, apps, packages, tooling }: LayoutFacts): string[] {
  const problems: string[] = [];
  const reached = new Set<string>();
  let everyBundleRead = true;
  const toolingByName = new Map(tooling.map((workspace) => [workspace.name, workspace]));

  for (const app of [...apps].sort((a, b) => byText(a.dir, b.dir))) {
    const { bundleInputs } = app;
    if (bundleInputs === 'missing' || bundleInputs === 'malformed') {
      everyBundleRead = false;
      problems.push(
        bundleInputs === 'missing'
          ? `${app.dir}/dist/meta.json is missing: run pnpm build`
          : `${app.dir}/dist/meta.json is not an esbuild metafile (no "inputs" object): run pnpm build`,
      );
    } else {
      const shipped = new Set<string>();
      for (const input of bundleInputs) {
        const path = inputPathInRepo(root, app.dir, input);
        if (path === undefined) continue;
        if (path.startsWith('tooling/')) shipped.add(path);
        const owner = workspaceOf(packages, path);
        if (owner) reached.add(owner.dir);
      }
      for (const path of [...shipped].sort(byText)) {
        const owner = workspaceOf(tooling, path);
        problems.push(
          `${app.dir}: its bundle includes ${path}${owner ? ` (${owner.name})` : ''}, and tooling/ code never ` +
            'ships: move what the function uses into a packages/ workspace and import it from there',
        );
      }
    }
    // Only "dependencies": a devDependency on tooling (the bundler, test helpers) is what tooling/ is for.
    for (const dependency of [...app.dependencies].sort(byText)) {
      const workspace = toolingByName.get(dependency);
      if (!workspace) continue;
      problems.push(
        `${app.dir}: package.json "dependencies" names ${dependency} (${workspace.dir}), and tooling/ code ` +
          'never ships: move it to "devDependencies" if only tests and scripts use it, or move what the ' +
          'function uses into a packages/ workspace',
      );
    }
  }

  // With a bundle unread, a package only that app reaches would be reported wrongly; the missing
  // meta.json already fails the check, and the next run (after pnpm build) judges every package.
  if (everyBundleRead) {
    for (const workspace of [...packages].sort((a, b) => byText(a.dir, b.dir))) {
      if (reached.has(workspace.dir)) continue;
      problems.push(
        `${workspace.dir} (${workspace.name}) ships in no function: move it to tooling/ or delete it ` +
          "(no app's bundle includes any of its files)",
      );
    }
  }
  return problems;
}
