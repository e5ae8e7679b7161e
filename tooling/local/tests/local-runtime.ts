import { nodeForRuntime } from '@repo/node/node-path';
import type { FunctionSpec } from '../src/function-host.ts';

/** A spec's `runtime` and `node` for a Lambda runtime name, as localFunctions gives them (tooling/node's build). */
export function localRuntime(runtime = 'nodejs24.x'): Pick<FunctionSpec, 'runtime' | 'node'> {
  const node = nodeForRuntime(runtime);
  if (!node) throw new Error(`tooling/node installed no Node.js for ${runtime}`);
  return { runtime, node };
}
