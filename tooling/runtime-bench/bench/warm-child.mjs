// @ts-check
// Warm invocations of one function's bundle and of an empty handler, in one process of the Node.js under
// test (bench/bench.ts spawns it with each Node's binary). Plain JS so that it runs on any Node as is;
// @repo/testing's lambda-context.ts is TypeScript that Node ≥ 22.18 strips by itself.
// Usage: node warm-child.mjs '<options JSON>' (see WarmOptions in bench/bench.ts).
// Prints `{"handlerUs":[…],"emptyUs":[…]}` last: mean µs per call in each batch, batch by batch. Every
// answer is checked after its batch (bench/check-response.mjs); a wrong one exits non-zero.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { lambdaContext } from '@repo/testing/lambda-context';
import { checkResponse } from './check-response.mjs';

/**
 * @typedef {{ handlerFile: string, emptyFile: string, eventFile: string, app: string, functionName: string,
 *   memoryMb: number, timeoutMs: number, warmupCalls: number, batches: number, callsPerBatch: number }} WarmOptions
 * @typedef {{ app: string, invoke: (event: unknown, context: unknown) => Promise<unknown> }} Variant
 */

/** @type {WarmOptions} */
const options = JSON.parse(process.argv[2] ?? '');
const event = JSON.parse(readFileSync(options.eventFile, 'utf8'));
/** @type {Variant} */
const real = { app: options.app, invoke: (await import(pathToFileURL(options.handlerFile).href)).handler };
/** @type {Variant} */
const empty = { app: 'empty', invoke: (await import(pathToFileURL(options.emptyFile).href)).handler };

await timeCalls(real, options.warmupCalls);
await timeCalls(empty, options.warmupCalls);
/** @type {number[]} */
const handlerUs = [];
/** @type {number[]} */
const emptyUs = [];
for (let batch = 0; batch < options.batches; batch++) {
  // Alternate which goes first so drift (GC, CPU frequency, neighbours) hits both alike.
  if (batch % 2 === 0) {
    handlerUs.push(await timeCalls(real, options.callsPerBatch));
    emptyUs.push(await timeCalls(empty, options.callsPerBatch));
  } else {
    emptyUs.push(await timeCalls(empty, options.callsPerBatch));
    handlerUs.push(await timeCalls(real, options.callsPerBatch));
  }
}
process.stdout.write(`${JSON.stringify({ handlerUs, emptyUs })}\n`);
// Like Lambda freezing the sandbox: don't wait for sockets or timers the function left open.
process.exit(0);

/**
 * Mean µs per call over `calls` sequential calls. Each call gets its own copy of the event (middleware
 * may rewrite it in place) and its own Lambda context, both made before the clock starts; the answers
 * are checked after it stops.
 * @param {Variant} variant
 * @param {number} calls
 */
async function timeCalls({ app, invoke }, calls) {
  const inputs = Array.from({ length: calls }, () => ({
    event: structuredClone(event),
    context: lambdaContext({
      functionName: options.functionName,
      memoryLimitInMB: options.memoryMb,
      timeoutMs: options.timeoutMs,
    }),
  }));
  /** @type {unknown[]} */
  const answers = new Array(calls);
  const started = performance.now();
  for (let call = 0; call < calls; call++) {
    const input = /** @type {(typeof inputs)[number]} */ (inputs[call]);
    answers[call] = await invoke(input.event, input.context);
  }
  const elapsedMs = performance.now() - started;
  for (const answer of answers) {
    const failure = checkResponse(answer, app);
    if (failure) {
      process.stderr.write(`warm-child: ${failure}\n`);
      process.exit(1);
    }
  }
  return (elapsedMs * 1000) / calls;
}
