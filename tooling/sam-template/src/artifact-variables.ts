/**
 * The template's environment variables that name the artifact's own files under /var/task — the compile
 * cache `sam build` ships (tooling/bundler/src/compile-cache.mjs). They mean something in Lambda only: a
 * process started on this machine from the template's variables (pnpm dev, a bench) leaves them out, or
 * Node.js would make /var/task here and fill a cache of its own in it, which later runs would read.
 */
export const artifactOnlyVariables: ReadonlySet<string> = new Set([
  'NODE_COMPILE_CACHE',
  'NODE_COMPILE_CACHE_PORTABLE',
]);

/**
 * A function's environment variables as the template declares them (Globals merged, values unresolved),
 * for a process started on this machine: without those that only mean something inside the artifact.
 */
export function localVariables(properties: Record<string, unknown>): Record<string, unknown> {
  const variables =
    (properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  return Object.fromEntries(Object.entries(variables).filter(([name]) => !artifactOnlyVariables.has(name)));
}
