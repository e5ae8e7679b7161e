/**
 * Observability bench (`pnpm bench` from the repo root): what logging + metrics + tracing cost, and what the
 * tracer costs against issue 19's budgets, (a) no tracing, (b) the old Powertools Tracer on the AWS X-Ray SDK
 * (bench/xray-sdk-tracer.ts, 4b845ae's @repo/logging/tracer, bench-only), (c) the shipped OpenTelemetry
 * tracer and (d) the same tracer exporting OTLP/JSON over HTTP to a collector extension's receiver instead
 * of UDP to the X-Ray daemon (bench/otlp-http-exporter.ts via bench/otlp-sdk-trace.ts, bench-only: the
 * export path issue 19 asks to choose by measurement), side by side in one run.
 *
 * 1. Bundle growth per function: each app is bundled as shipped (c), with the old tracer (b), without the
 *    tracer (a: a no-op stand-in, bench/stand-ins/*) and without tracer and metrics ("neither"). What each
 *    tracer adds = its build − (a). Goal: the shipped tracer adds ≤ 40 KB; metrics + tracing ≤ 15% growth.
 * 2. Cold-start init: a fresh node process (@repo/testing/cold-start) imports users-api's bundle built (a),
 *    (b) and (c), with Lambda's tracing environment, interleaved; median import() time, its difference and
 *    ratio to (a). Goal: the shipped tracer adds ≤ 10 ms.
 * 3. Warm per-invocation overhead, in child processes with Lambda's environment and tracing on (spans go to
 *    a UDP listener here): a bare handler against the same work under withLogging (one INFO line),
 *    + withMetrics (one metric, one EMF line), + withTracing (invocation span, one annotation). One child per
 *    tracer (the X-Ray SDK's async hook would tax every arm sharing its process), run in alternating rounds;
 *    stdout is /dev/null. Each figure is the median of per-batch differences inside a child. Goals: the
 *    shipped tracer adds ≤ 200 µs; the whole stack ≤ 500 µs.
 * 4. Spans lost under that burst: datagrams each child sent (counted at node:dgram) against those the
 *    listener received; for (d), spans POSTed against those a local OTLP/HTTP receiver counted. Goal: none
 *    lost with the shipped tracer.
 *
 * Every goal is reported (met / NOT MET), not asserted. The last line is `BENCH_JSON {…}` with every figure.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { arch, availableParallelism, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleLambda } from '@repo/bundler/bundle-lambda';
import { coldStart, lambdaColdStartEnvironment, summarize } from '@repo/testing/cold-start';
import { startXRayDaemon } from '@repo/testing/xray-daemon';

const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = join(here, '..', '..', '..');
// This run's own folder for the bundle variants: a second bench running at once never rewrites them.
const benchDir = await mkdtemp(join(tmpdir(), 'logging-bench-'));
process.on('exit', () => rmSync(benchDir, { recursive: true, force: true }));
const apps = ['users-api', 'upload-processor', 'image-resizer', 'batch-worker'];
const growthGoal = 0.15;
const warmGoalUs = 500;
// Issue 19's budgets for the shipped tracer.
const budget = { bundleKb: 40, initMs: 10, warmUs: 200, spansLost: 0 };
const cold = { app: 'users-api', runs: 20, warmups: 2 };
const warm = { warmupCalls: 2_000, batches: 10, callsPerBatch: 2_000 };
// One child per tracer per round, in alternating order: drift between rounds hits both tracers alike.
const warmRounds: Tracing[][] = [
  ['opentelemetry', 'xray-sdk', 'otlp-http'],
  ['otlp-http', 'xray-sdk', 'opentelemetry'],
];
type Tracing = 'xray-sdk' | 'opentelemetry' | 'otlp-http';
const tracingNames = ['xray-sdk', 'opentelemetry', 'otlp-http'] as const satisfies readonly Tracing[];
const tracings: Record<Tracing, string> = {
  'xray-sdk': '(b) X-Ray SDK (old)',
  opentelemetry: '(c) OpenTelemetry',
  'otlp-http': '(d) OTel → OTLP/HTTP',
};

const standIn = (name: string) => join(here, 'stand-ins', name);
const kb = (bytes: number) => bytes / 1024;
const fixed = (value: number, digits = 1) => value.toFixed(digits);
const signed = (value: number, digits = 1) => `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;
const percent = (value: number) => `${signed(value * 100)}%`;
const verdict = (met: boolean) => (met ? 'met' : 'NOT MET');

console.log(
  `observability bench — node ${process.version} ${platform()}/${arch()}, ${availableParallelism()} CPUs`,
);

// 1. Bundle growth ------------------------------------------------------------------------------------------
const variants = {
  shipped: {},
  // 4b845ae's tracer with 4b845ae's semver stand-in (only the X-Ray SDK's AWS SDK v2 patcher loads semver).
  xraySdk: { '@repo/logging/tracer': join(here, 'xray-sdk-tracer.ts'), semver: standIn('xray-semver.cjs') },
  // (d): the shipped tracer exporting OTLP/JSON over HTTP (bench/otlp-http-exporter.ts) instead of UDP.
  otlpHttp: { '@opentelemetry/sdk-trace': join(here, 'otlp-sdk-trace.ts') },
  noTracer: { '@repo/logging/tracer': standIn('tracer.mjs') },
  neither: { '@repo/logging/tracer': standIn('tracer.mjs'), '@repo/logging/metrics': standIn('metrics.mjs') },
} as const;
type Variant = keyof typeof variants;
const bundleFile = (app: string, variant: Variant) => join(benchDir, app, variant, 'index.mjs');
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
console.log(
  '\n1. Bundle growth (KB): what metrics and each tracer add; growth = shipped ÷ neither − 1' +
    '\n   (a) = +metrics, no tracing; (b), (c), (d) = what that tracer adds to (a)',
);
console.log(
  `   ${'function'.padEnd(17)}${'neither'.padStart(8)}${'+metrics'.padStart(10)}${'(b) X-Ray SDK'.padStart(15)}${'(c) OTel'.padStart(10)}${'(d) OTLP'.padStart(10)}` +
    `   growth (goal ≤ ${percent(growthGoal)})   (c) ≤ ${budget.bundleKb} KB`,
);
const growth: Record<
  string,
  {
    neitherKb: number;
    metricsKb: number;
    xraySdkTracerKb: number;
    tracerKb: number;
    otlpHttpTracerKb: number;
    shippedKb: number;
    growth: number;
    met: boolean;
    tracerMet: boolean;
  }
> = {};
for (const app of apps) {
  const { shipped, xraySdk, otlpHttp, noTracer, neither } = sizes[app] as Record<Variant, number>;
  const grew = shipped / neither - 1;
  const tracerKb = kb(shipped - noTracer);
  growth[app] = {
    neitherKb: round(kb(neither)),
    metricsKb: round(kb(noTracer - neither)),
    xraySdkTracerKb: round(kb(xraySdk - noTracer)),
    tracerKb: round(tracerKb),
    otlpHttpTracerKb: round(kb(otlpHttp - noTracer)),
    shippedKb: round(kb(shipped)),
    growth: round(grew),
    met: grew <= growthGoal,
    tracerMet: tracerKb <= budget.bundleKb,
  };
  console.log(
    `   ${app.padEnd(17)}${fixed(kb(neither)).padStart(8)}${signed(kb(noTracer - neither)).padStart(10)}` +
      `${signed(kb(xraySdk - noTracer)).padStart(15)}${signed(tracerKb).padStart(10)}${signed(kb(otlpHttp - noTracer)).padStart(10)}` +
      `   ${percent(grew).padStart(6)} ${verdict(grew <= growthGoal).padEnd(16)}${verdict(tracerKb <= budget.bundleKb).padStart(7)}` +
      `  (${fixed(kb(shipped))} KB shipped)`,
  );
}

// 2. Cold-start init ----------------------------------------------------------------------------------------
const coldVariants = [
  { name: 'noTracer', label: '(a) no tracing' },
  { name: 'xraySdk', label: tracings['xray-sdk'] },
  { name: 'shipped', label: tracings.opentelemetry },
  { name: 'otlpHttp', label: tracings['otlp-http'] },
] as const satisfies readonly { name: Variant; label: string }[];
type ColdVariant = (typeof coldVariants)[number]['name'];
// GET /users/{id} with an id that is not a UUID: users-api answers 404 before any DynamoDB call, so no
// network stub is needed; the invocation span is still made and sent. Only init (import()) is compared: the
// first response of that 404 path (its error's stack read through the source map by a tracer) is no real
// request's.
const getUser = JSON.parse(
  await readFile(join(repoRoot, 'apps', cold.app, 'events', 'get-user.json'), 'utf8'),
) as { pathParameters: Record<string, string> };
const eventFile = join(benchDir, 'get-unknown-user.json');
await writeFile(eventFile, JSON.stringify({ ...getUser, pathParameters: { id: 'not-a-user-id' } }));
const coldEnv = lambdaColdStartEnvironment({
  functionName: cold.app,
  workDir: benchDir,
  variables: {
    USERS_TABLE_NAME: 'users',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    // (d)'s collector: nobody listens either (only init is compared; the first response's POST is refused).
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
  },
});
const initMs: Record<ColdVariant, number[]> = { noTracer: [], xraySdk: [], shipped: [], otlpHttp: [] };
for (let run = 0; run < cold.warmups + cold.runs; run++) {
  // Rotate the order too, so no variant always follows the same one.
  const order = coldVariants.map((_, index) => coldVariants[(index + run) % coldVariants.length]);
  for (const variant of order) {
    if (!variant) continue;
    const sample = await coldStart({
      handlerFile: bundleFile(cold.app, variant.name),
      eventFile,
      env: coldEnv,
    });
    if (run < cold.warmups) continue;
    initMs[variant.name].push(sample.importMs);
  }
}
const initStats = Object.fromEntries(
  coldVariants.map(({ name }) => [name, summarize(initMs[name])]),
) as Record<ColdVariant, ReturnType<typeof summarize>>;
const initAddedMs = (name: ColdVariant) => initStats[name].median - initStats.noTracer.median;
const initMet = initAddedMs('shipped') <= budget.initMs;
console.log(
  `\n2. Cold-start init of ${cold.app}: fresh node process, import() of the bundle (module evaluation);` +
    `\n   ${cold.runs} runs per variant after ${cold.warmups} warm-ups, interleaved; ms`,
);
console.log(
  `   ${''.padEnd(22)}${'median'.padStart(7)}${'p90'.padStart(7)}${'×(a)'.padStart(7)}${'added'.padStart(8)}`,
);
for (const { name, label } of coldVariants) {
  const { median, p90 } = initStats[name];
  const compared =
    name === 'noTracer'
      ? `${'—'.padStart(7)}${'—'.padStart(8)}`
      : `${`${fixed(median / initStats.noTracer.median, 2)}×`.padStart(7)}${signed(initAddedMs(name)).padStart(8)}`;
  const goal = name === 'shipped' ? `   goal ≤ ${budget.initMs} ms added: ${verdict(initMet)}` : '';
  console.log(
    `   ${label.padEnd(22)}${fixed(median).padStart(7)}${fixed(p90).padStart(7)}${compared}${goal}`,
  );
}

// 3. Warm overhead and 4. spans lost -------------------------------------------------------------------------
type Arm = 'bare' | 'logged' | 'measured' | 'traced';
const warmSamples: Record<Tracing, Record<Arm, number[]>> = {
  'xray-sdk': { bare: [], logged: [], measured: [], traced: [] },
  opentelemetry: { bare: [], logged: [], measured: [], traced: [] },
  'otlp-http': { bare: [], logged: [], measured: [], traced: [] },
};
const spans: Record<Tracing, { sent: number; received: number; tracedInvocations: number }> = {
  'xray-sdk': { sent: 0, received: 0, tracedInvocations: 0 },
  opentelemetry: { sent: 0, received: 0, tracedInvocations: 0 },
  'otlp-http': { sent: 0, received: 0, tracedInvocations: 0 },
};
for (const round of warmRounds) {
  for (const tracing of round) {
    const result = await runWarmChild(tracing);
    for (const arm of Object.keys(result.samples) as Arm[])
      warmSamples[tracing][arm].push(...result.samples[arm]);
    spans[tracing].sent += result.sent;
    spans[tracing].received += result.received;
    spans[tracing].tracedInvocations += result.tracedInvocations;
  }
}
const median = (values: number[]) => summarize(values).median;
/** Median over batches of `arm` − `baseline`, each pair timed in the same child, one after the other. */
const added = (tracing: Tracing, arm: Arm, baseline: Arm) =>
  median(
    warmSamples[tracing][arm].map(
      (value, batch) => value - (warmSamples[tracing][baseline][batch] ?? Number.NaN),
    ),
  );
// The bare, logging and metrics arms are the same code in every child: their figures pool all of them.
const pooled = (arm: Arm, baseline?: Arm) =>
  median(
    tracingNames.flatMap((tracing) =>
      warmSamples[tracing][arm].map(
        (value, batch) => value - (baseline ? (warmSamples[tracing][baseline][batch] ?? Number.NaN) : 0),
      ),
    ),
  );
const warmFigures = {
  bareUs: round(pooled('bare')),
  loggingUs: round(pooled('logged', 'bare')),
  loggingMetricsUs: round(pooled('measured', 'bare')),
  tracingUs: {
    'xray-sdk': round(added('xray-sdk', 'traced', 'measured')),
    opentelemetry: round(added('opentelemetry', 'traced', 'measured')),
    'otlp-http': round(added('otlp-http', 'traced', 'measured')),
  },
  loggingMetricsTracingUs: {
    'xray-sdk': round(added('xray-sdk', 'traced', 'bare')),
    opentelemetry: round(added('opentelemetry', 'traced', 'bare')),
    'otlp-http': round(added('otlp-http', 'traced', 'bare')),
  },
};
const warmMet = warmFigures.loggingMetricsTracingUs.opentelemetry <= warmGoalUs;
const warmTracingMet = warmFigures.tracingUs.opentelemetry <= budget.warmUs;
const batchesPerTracing = warmRounds.length * warm.batches;
console.log(
  `\n3. Warm per-invocation overhead (µs; per tracer ${warmRounds.length} child processes × ${warm.batches} rotating` +
    `\n   batches × ${warm.callsPerBatch} calls, alternating; tracing on, spans over UDP, (d) over HTTP; median of per-batch` +
    '\n   differences)',
);
console.log(
  `   bare handler                          ${fixed(warmFigures.bareUs, 2).padStart(8)} µs/invocation`,
);
console.log(`   + logging (context, 1 INFO line)      ${fixed(warmFigures.loggingUs, 2).padStart(8)} µs`);
console.log(
  `   + metrics (1 metric, 1 EMF line)      ${fixed(warmFigures.loggingMetricsUs, 2).padStart(8)} µs`,
);
console.log(
  '   + tracing (invocation span, annotation), what the tracer adds to logging + metrics; whole stack:',
);
for (const tracing of tracingNames) {
  const goals =
    tracing === 'opentelemetry'
      ? `   goals ≤ ${budget.warmUs} µs: ${verdict(warmTracingMet)}; stack ≤ ${warmGoalUs} µs: ${verdict(warmMet)}`
      : '';
  console.log(
    `     ${tracings[tracing].padEnd(22)}${signed(warmFigures.tracingUs[tracing], 2).padStart(16)} µs` +
      `${fixed(warmFigures.loggingMetricsTracingUs[tracing], 2).padStart(9)} µs${goals}`,
  );
}

const lost = (tracing: Tracing) => spans[tracing].sent - spans[tracing].received;
const spansMet = lost('opentelemetry') <= budget.spansLost;
console.log(
  `\n4. Spans lost under that burst (${batchesPerTracing * warm.callsPerBatch + warmRounds.length * warm.warmupCalls}` +
    ' traced invocations per tracer, back to back): spans sent by the child (datagrams; (d) spans POSTed)' +
    '\n   vs received here',
);
for (const tracing of tracingNames) {
  const { sent, received } = spans[tracing];
  const goal = tracing === 'opentelemetry' ? `   goal ${budget.spansLost} lost: ${verdict(spansMet)}` : '';
  console.log(
    `   ${tracings[tracing].padEnd(22)}${String(sent).padStart(8)} sent${String(received).padStart(8)} received` +
      `${String(lost(tracing)).padStart(6)} lost${goal}`,
  );
}

const goals = {
  tracingBundleKb: {
    budget: budget.bundleKb,
    worstKb: Math.max(...apps.map((app) => growth[app]?.tracerKb ?? Number.NaN)),
    met: apps.every((app) => growth[app]?.tracerMet),
  },
  tracingInitMs: { budget: budget.initMs, addedMs: round(initAddedMs('shipped')), met: initMet },
  tracingWarmUs: { budget: budget.warmUs, addedUs: warmFigures.tracingUs.opentelemetry, met: warmTracingMet },
  spansLost: { budget: budget.spansLost, lost: lost('opentelemetry'), met: spansMet },
};
console.log("\nIssue 19's budgets for the shipped (OpenTelemetry) tracer, against no tracing, this run:");
console.log(
  `   bundle: adds ≤ ${budget.bundleKb} KB to every function   worst +${fixed(goals.tracingBundleKb.worstKb)} KB   ${verdict(goals.tracingBundleKb.met)}`,
);
console.log(
  `   cold-start init: adds ≤ ${budget.initMs} ms (${cold.app})     ${signed(initAddedMs('shipped'))} ms   ${verdict(initMet)}` +
    `   (X-Ray SDK: ${signed(initAddedMs('xraySdk'))} ms)`,
);
console.log(
  `   warm invocation: adds ≤ ${fixed(budget.warmUs / 1000)} ms              ${signed(warmFigures.tracingUs.opentelemetry / 1000, 3)} ms   ${verdict(warmTracingMet)}` +
    `   (X-Ray SDK: ${signed(warmFigures.tracingUs['xray-sdk'] / 1000, 3)} ms)`,
);
console.log(
  `   spans lost under the burst: ${budget.spansLost}                ${String(lost('opentelemetry')).padStart(6)}      ${verdict(spansMet)}` +
    `   (X-Ray SDK: ${lost('xray-sdk')})`,
);

// Issue 19's export path: the shipped one (c) against (d), OTLP to a collector extension, same tracer.
const exportPaths = Object.fromEntries(
  (
    [
      ['xrayDaemonUdp', 'shipped', 'opentelemetry'],
      ['otlpHttpCollector', 'otlpHttp', 'otlp-http'],
    ] as const
  ).map(([path, variant, tracing]) => [
    path,
    {
      usersApiBundleKb: round(
        kb((sizes[cold.app]?.[variant] ?? Number.NaN) - (sizes[cold.app]?.noTracer ?? 0)),
      ),
      initAddedMs: round(initAddedMs(variant)),
      warmAddedUs: warmFigures.tracingUs[tracing],
      spansLost: lost(tracing),
    },
  ]),
) as Record<
  'xrayDaemonUdp' | 'otlpHttpCollector',
  { usersApiBundleKb: number; initAddedMs: number; warmAddedUs: number; spansLost: number }
>;
console.log(
  `\nExport path (same tracer), against no tracing, this run:${'users-api KB'.padStart(16)}${'init ms'.padStart(9)}${'warm µs'.padStart(9)}${'lost'.padStart(6)}`,
);
for (const [label, path] of [
  ['(c) X-Ray segments, UDP to the daemon', 'xrayDaemonUdp'],
  ['(d) OTLP/HTTP to a collector extension', 'otlpHttpCollector'],
] as const) {
  const figures = exportPaths[path];
  console.log(
    `   ${label.padEnd(53)}${signed(figures.usersApiBundleKb).padStart(16)}${signed(figures.initAddedMs).padStart(9)}` +
      `${signed(figures.warmAddedUs, 1).padStart(9)}${String(figures.spansLost).padStart(6)}`,
  );
}
console.log(
  "   (d)'s collector extension's own init, memory and export to X-Ray are not on this machine: not measured.",
);

// Tracing that never ran would make every figure above meaningless: each traced invocation sends a span.
for (const tracing of tracingNames) {
  if (spans[tracing].sent < spans[tracing].tracedInvocations) {
    console.log(
      `\nFAIL: ${tracings[tracing]} sent ${spans[tracing].sent} spans for ${spans[tracing].tracedInvocations} traced invocations: was tracing on?`,
    );
    process.exitCode = 1;
  }
}

console.log(
  `BENCH_JSON ${JSON.stringify({
    node: process.version,
    cpus: availableParallelism(),
    bundleGrowth: { goal: growthGoal, functions: growth },
    coldStart: {
      app: cold.app,
      runs: cold.runs,
      warmups: cold.warmups,
      initMs: mapMedians(initStats),
      initAddedMs: {
        xraySdk: round(initAddedMs('xraySdk')),
        opentelemetry: round(initAddedMs('shipped')),
        otlpHttp: round(initAddedMs('otlpHttp')),
      },
      initRatio: {
        xraySdk: round(initStats.xraySdk.median / initStats.noTracer.median),
        opentelemetry: round(initStats.shipped.median / initStats.noTracer.median),
        otlpHttp: round(initStats.otlpHttp.median / initStats.noTracer.median),
      },
    },
    warm: { ...warm, rounds: warmRounds.length, ...warmFigures, goalUs: warmGoalUs, met: warmMet },
    spans,
    exportPaths,
    goals,
  })}`,
);

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function mapMedians(stats: Record<ColdVariant, ReturnType<typeof summarize>>) {
  return Object.fromEntries(
    Object.entries(stats).map(([name, { median, p90 }]) => [
      name,
      { median: round(median), p90: round(p90) },
    ]),
  );
}

/**
 * One warm child with `tracing`'s tracer, its spans counted at a UDP listener of its own, or for (d) at an
 * OTLP/HTTP receiver of its own (as the collector extension's on localhost:4318/v1/traces takes them).
 */
async function runWarmChild(
  tracing: Tracing,
): Promise<{ samples: Record<Arm, number[]>; sent: number; received: number; tracedInvocations: number }> {
  let received = 0;
  const daemon = await startXRayDaemon(() => {
    received++;
  });
  const collector = await startOtlpReceiver((spanCount) => {
    received += spanCount;
  });
  const child = spawn(
    process.execPath,
    [...process.execArgv, join(here, 'warm-child.ts'), JSON.stringify(warm), tracing],
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
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
        AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
        POWERTOOLS_LOGGER_SAMPLE_RATE: '0',
      },
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const line = stderr.split('\n').find((text) => text.startsWith('WARM_JSON '));
  if (code !== 0 || !line) throw new Error(`warm child (${tracing}) failed (exit ${code}):\n${stderr}`);
  const result = JSON.parse(line.slice('WARM_JSON '.length)) as {
    samples: Record<Arm, number[]>;
    spansSent: number;
    tracedInvocations: number;
  };
  // Every datagram was sent before the child exited; this process may still be reading them. Wait until all
  // have arrived, or none has for a while (the rest were dropped), not for a fixed time.
  for (let seen = -1; received > seen && received < result.spansSent; ) {
    seen = received;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await daemon.close();
  await collector.close();
  return {
    samples: result.samples,
    sent: result.spansSent,
    received,
    tracedInvocations: result.tracedInvocations,
  };
}

/** A local OTLP/HTTP (JSON) trace receiver on a free loopback port: counts the spans of each request, answers 200. */
async function startOtlpReceiver(
  onSpans: (count: number) => void,
): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      if (request.method === 'POST' && request.url === '/v1/traces') {
        const { resourceSpans = [] } = JSON.parse(body) as {
          resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[];
        };
        onSpans(
          resourceSpans
            .flatMap(({ scopeSpans = [] }) => scopeSpans)
            .reduce((count, { spans = [] }) => count + spans.length, 0),
        );
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
