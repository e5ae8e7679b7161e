import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));

/** A throwaway repository root holding these files (path relative to the root → contents). */
export function scratchRepo(files: Record<string, string>): { root: string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), 'delivery-'));
  writeFileSync(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - apps/*\n');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** An app folder's package.json with this `lambda` object (or none). */
export function appManifest(name: string, lambda?: Record<string, unknown>): string {
  return `${JSON.stringify({ name, private: true, ...(lambda && { lambda }) }, null, 2)}\n`;
}

/**
 * Runs `src/<cli>.ts` as the root scripts do (tsx), against `root`. A loaded machine takes seconds to
 * start tsx; the timeout only bounds a hung CLI, which fails the test saying so.
 */
export function runCli(cli: string, args: string[], root: string) {
  const script = fileURLToPath(new URL(`../src/${cli}.ts`, import.meta.url));
  const result = spawnSync(tsx, [script, ...args, '--root', root], { encoding: 'utf8', timeout: 120_000 });
  if (result.error) throw new Error(`tsx src/${cli}.ts did not finish: ${result.error.message}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
