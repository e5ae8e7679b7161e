/**
 * Observability bench (`pnpm bench` from the repo root): what logging + metrics + tracing cost.
 *
 * 1. Bundle growth per function: each app is bundled as shipped, without the tracer (X-Ray) and without
 *    tracer and metrics (both replaced by no-op stand-ins, bench/stand-ins/*). Growth = shipped ÷ neither.
 *    Goal ≤ 15% per function — a goal, reported, not an assertion.
 * 2. Warm per-invocation overhead, in a child process with Lambda's environment and tracing on (its
 *    subsegments go to a UDP listener here, counted to prove they were sent): a bare handler against the
 *    same work under withLogging (one INFO line), + withMetrics (one metric, one EMF line), + withTracing
 *    (handler subsegment, one annotation). stdout is /dev/null. Overhead = median of per-batch differences
 *    against the bare handler. Goal ≤ 500 µs for the whole stack.
 *
 * The last line is `BENCH_JSON {…}` with every figure.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, stat } from 'node:fs/promises';
import { arch, availableParallelism, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleLambda } from '@repo/bundler/bundle-lambda';
import { startXRayDaemon } from '@repo/testing/xray-daemon';

const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = join(here, '..', '..', '..');
// This run's own folder for the bundle variants: a second bench running at once never rewrites them.
const benchDir = await mkdtemp(join(tmpdir(), 'logging-bench-'));
process.on('exit', () => rmSync(benchDir, { recursive: true, force: true }));
const apps = ['users-api', 'upload-processor', 'image-resizer', 'batch-worker'];
const growthGoal = 0.15;
const warmGoalUs = 500;
const warm = { warmupCalls: 2_000, batches: 10, callsPerBatch: 2_000 };

const standIn = (name: string) => join(here, 'stand-ins', `${name}.mjs`);
const kb = (bytes: number) => bytes / 1024;
const fixed = (value: number, digits = 1) => value.toFixed(digits);
const percent = (value: number) => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)}%`;

console.log(
  `observability bench — node ${process.version} ${platform()}/${arch()}, ${availableParallelism()} CPUs`,
);

// 1. Bundle growth ------------------------------------------------------------------------------------------
const variants = {
  shipped: {},
  noTracer: { '@repo/logging/tracer': standIn('tracer') },
  neither: { '@repo/logging/tracer': standIn('tracer'), '@repo/logging/metrics': standIn('metrics') },
} as const;
type Variant = keyof typeof variants;
const sizes: Record<string, Record<Variant, number>> = {};
for (const app of apps) {
  const appDir = join(repoRoot, 'apps', app);
  const row = {} as Record<Variant, number>;
  for (const [variant, alias] of Object.entries(variants) as [Variant, Record<string, string>][]) {
    const { outFile } = await bundleLambda({ appDir, outDir: join(benchDir, app, variant), alias });
    row[variant] = (await stat(outFile)).size;
  }
  sizes[app] = row;
}
console.log('\n1. Bundle growth from metrics + tracing (KB; growth = shipped ÷ neither − 1)');
console.log(
  `   ${'function'.padEnd(17)}${'neither'.padStart(9)}${'+metrics'.padStart(10)}${'+tracing'.padStart(10)}   growth   goal ≤ ${percent(growthGoal)}`,
);
const growth: Record<
  string,
  { neitherKb: number; metricsKb: number; shippedKb: number; growth: number; met: boolean }
> = {};
for (const app of apps) {
  const { shipped, noTracer, neither } = sizes[app] as Record<Variant, number>;
  const grew = shipped / neither - 1;
  growth[app] = {
    neitherKb: round(kb(neither)),
    metricsKb: round(kb(noTracer - neither)),
    shippedKb: round(kb(shipped)),
    growth: round(grew),
    met: grew <= growthGoal,
  };
  console.log(
    `   ${app.padEnd(17)}${fixed(kb(neither)).padStart(9)}${`+${fixed(kb(noTracer - neither))}`.padStart(10)}${`+${fixed(kb(shipped - noTracer))}`.padStart(10)}   ${percent(grew).padStart(6)}   ${grew <= growthGoal ? 'met' : 'NOT MET'}  (${fixed(kb(shipped))} KB shipped)`,
  );
}

// 2. Warm overhead -----------------------------------------------------------------------------------------
let received = 0;
const daemon = await startXRayDaemon(() => {
  received++;
});
const child = spawn(
  process.execPath,
  [...process.execArgv, join(here, 'warm-child.ts'), JSON.stringify(warm)],
  {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      PATH: process.env.PATH,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      LAMBDA_TASK_ROOT: '/var/task',
      _HANDLER: 'index.handler',
      AWS_LAMBDA_FUNCTION_NAME: 'bench',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_REGION: 'us-east-1',
      AWS_XRAY_DAEMON_ADDRESS: daemon.address,
      POWERTOOLS_LOGGER_SAMPLE_RATE: '0',
    },
  },
);
let stderr = '';
child.stderr.on('data', (chunk: Buffer) => {
  stderr += chunk.toString();
});
const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
// Every datagram was sent before the child exited; this process may still be reading them. Wait until all
// have arrived, or none has for a while (the rest were dropped), not for a fixed time.
const allTraced = warm.batches * warm.callsPerBatch + warm.warmupCalls;
for (let seen = -1; received > seen && received < allTraced; ) {
  seen = received;
  await new Promise((resolve) => setTimeout(resolve, 500));
}
await daemon.close();
const line = stderr.split('\n').find((text) => text.startsWith('WARM_JSON '));
if (code !== 0 || !line) throw new Error(`warm child failed (exit ${code}):\n${stderr}`);
const samples = JSON.parse(line.slice('WARM_JSON '.length)) as Record<
  'bare' | 'logged' | 'measured' | 'traced',
  number[]
>;
// Every traced invocation sends its subsegment; UDP may drop a few under a burst like this one (so does the
// real daemon's socket), so "tracing really ran" means at least 90% of them arrived.
const tracedInvocations = allTraced;
const expectedTraces = Math.floor(tracedInvocations * 0.9);
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = (sorted.length - 1) / 2;
  return ((sorted[Math.floor(middle)] ?? Number.NaN) + (sorted[Math.ceil(middle)] ?? Number.NaN)) / 2;
};
const overhead = (name: 'logged' | 'measured' | 'traced') =>
  median(samples[name].map((value, batch) => value - (samples.bare[batch] ?? Number.NaN)));
const warmFigures = {
  bareUs: round(median(samples.bare)),
  loggingUs: round(overhead('logged')),
  loggingMetricsUs: round(overhead('measured')),
  loggingMetricsTracingUs: round(overhead('traced')),
  tracesReceived: received,
  tracedInvocations,
};
const warmMet = warmFigures.loggingMetricsTracingUs <= warmGoalUs;
console.log(
  `\n2. Warm per-invocation overhead over a bare handler (µs; ${warm.batches} rotating batches × ${warm.callsPerBatch} calls,` +
    `\n   tracing on: ${received} subsegments received from ${tracedInvocations} traced invocations over UDP)`,
);
console.log(
  `   bare handler                         ${fixed(warmFigures.bareUs, 2).padStart(8)} µs/invocation`,
);
console.log(`   + logging (context, 1 INFO line)     ${fixed(warmFigures.loggingUs, 2).padStart(8)} µs`);
console.log(
  `   + metrics (1 metric, 1 EMF line)     ${fixed(warmFigures.loggingMetricsUs, 2).padStart(8)} µs`,
);
console.log(
  `   + tracing (subsegment, annotation)   ${fixed(warmFigures.loggingMetricsTracingUs, 2).padStart(8)} µs   goal ≤ ${warmGoalUs} µs: ${warmMet ? 'met' : 'NOT MET'}`,
);
if (received < expectedTraces) {
  console.log(
    `\nFAIL: ${received} subsegments received for ${tracedInvocations} traced invocations: was tracing on?`,
  );
  process.exitCode = 1;
}

console.log(
  `BENCH_JSON ${JSON.stringify({
    node: process.version,
    cpus: availableParallelism(),
    bundleGrowth: { goal: growthGoal, functions: growth },
    warm: { ...warm, ...warmFigures, goalUs: warmGoalUs, met: warmMet },
  })}`,
);

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
