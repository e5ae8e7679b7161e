import { readdirSync } from 'node:fs';
import { getCompileCacheDir } from 'node:module';

/** What a cold start that missed the artifact's compile cache ran on, and what the artifact carries. */
export interface CompileCacheMiss {
  /** This Node.js, as Node names its cache folders: `v24.22.3-arm64`. */
  running: string;
  /** The artifact's cache folders (`v24.22.3-arm64-1c717fce-0`): the Node.js it was made for. */
  shipped: string[];
}

/**
 * Whether this cold start missed the compile cache the template gives the function (NODE_COMPILE_CACHE,
 * made at build time by tooling/bundler/src/compile-cache.mjs). Node.js looks in a folder named after its
 * own version, architecture and V8 flags; when the runtime runs another Node.js than the one the cache
 * was made with, that folder is absent (Node cannot create it in the read-only /var/task) or empty, and
 * the function compiles its bundle as if there were no cache. Undefined when no cache is configured or
 * this Node.js found its own.
 */
export function compileCacheMiss(
  env: NodeJS.ProcessEnv = process.env,
  folderInUse: string | undefined = getCompileCacheDir(),
): CompileCacheMiss | undefined {
  const root = env.NODE_COMPILE_CACHE;
  if (!root) return undefined;
  if (folderInUse && entries(folderInUse).length > 0) return undefined;
  return { running: `${process.version}-${process.arch}`, shipped: entries(root) };
}

function entries(folder: string): string[] {
  try {
    return readdirSync(folder).sort();
  } catch {
    return [];
  }
}
