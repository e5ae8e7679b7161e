/**
 * Node.js 24 against Node.js 22, every function, one run: `pnpm exec turbo run bench
 * --filter=@repo/runtime-bench` (turbo builds the five apps first), or `pnpm bench` here after `pnpm build`.
 * Both Nodes come from @repo/node (the repository's own 24 and the 22 it installs beside it). Timings on
 * a shared machine are noise in absolute terms, so both Nodes run interleaved, each against an empty
 * handler on the same Node, and the tables read as ratios: ×empty, and Node 24 / Node 22.
 *
 * 1. Bundle size: each app bundled by @repo/bundler with esbuild target node22 (as `pnpm build` and
 *    `sam build` do) and node24, into this run's temporary folder; KB = 1024 bytes.
 * 2. Cold start: a fresh process of each Node imports the function's dist/index.mjs (a copy taken at the
 *    start, so a build meanwhile changes nothing) with the environment template.yaml gives it and the
 *    variables Lambda sets, and serves one event (bench/functions.ts) that takes no AWS call; the same
 *    for an empty handler module on the same Node is the baseline. (a) spawn→exit, (b) import() alone
 *    (module evaluation: config read, clients built), (c) import()→first response. Variants and Nodes
 *    interleaved; medians and p90s; ×empty on each Node. The harness is @repo/testing/cold-start.
 * 3. Warm overhead: in a child process of each Node (bench/warm-child.mjs), the real handler on the same
 *    event and an empty async handler, in alternating batches with a Lambda-like context per call; logs
 *    SILENT and metrics disabled, so no stdout write dominates (the tracer stays on, as with
 *    `Tracing: Active`). Overhead = handler − empty, per batch; median and p90 over all batches.
 *
 * Every answer is checked (bench/check-response.mjs), and the AWS endpoint is a local server that counts
 * requests: a wrong answer or any AWS call fails the run. No figure fails it: there are no goals here.
 * The last line is `BENCH_JSON {…}` with every figure, for tools to grep.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { arch, availableParallelism, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleLambda } from '@repo/bundler/bundle-lambda';
import { nodeBinary } from '@repo/node/node-path';
import { findWorkspaceRoot } from '@repo/sam-template/read-template';
import { coldStart, type Summary, summarize } from '@repo/testing/cold-start';
import { outputOf } from '@repo/testing/run-process';
import { declaredFunction } from './function-environment.ts';
import { type BenchedFunction, benchedFunctions } from './functions.ts';

const majors = [22, 24] as const;
type Major = (typeof majors)[number];
const coldStartRuns = 15;
const coldStartWarmups = 2;
const warmRounds = 3;
const warmOptions = { warmupCalls: 2_000, batches: 6, callsPerBatch: 1_000 };
const coldLogLevel = 'ERROR';
/** A 24/22 ratio of medians closer to 1 than this is called even: this machine's noise is about that. */
const evenWithin = 0.05;

const root = findWorkspaceRoot(import.meta.dirname);
const checkScript = fileURLToPath(new URL('./check-response.mjs', import.meta.url));
const warmChildScript = fileURLToPath(new URL('./warm-child.mjs', import.meta.url));
const kb = (bytes: number) => bytes / 1024;
const round = (value: number) => Math.round(value * 100) / 100;

const nodes: Record<Major, { version: string; path: string }> = {
  22: installedNode(22),
  24: installedNode(24),
};

console.log(
  `runtime bench — Node ${nodes[22].version} vs Node ${nodes[24].version}, ${platform()}/${arch()}, ` +
    `${availableParallelism()} CPUs (this process: node ${process.version})`,
);

const runDir = await mkdtemp(join(tmpdir(), 'runtime-bench-'));
const awsEndpoint = await startAwsEndpoint();
try {
  const emptyFile = join(runDir, 'empty', 'index.mjs');
  await mkdir(join(runDir, 'empty'));
  await writeFile(emptyFile, "export const handler = async () => ({ statusCode: 200, body: '{}' });\n");
  const subjects = [];
  for (const fn of benchedFunctions) subjects.push(await prepare(fn));

  // 1. Bundle size ------------------------------------------------------------------------------------
  console.log('\n1. Bundling each app with esbuild target node22 and node24 …');
  const bundles = new Map<string, Record<Major, Buffer>>();
  for (const { fn } of subjects) {
    const built = {} as Record<Major, Buffer>;
    for (const major of majors) {
      const outDir = join(runDir, fn.app, `target-node${major}`);
      const { outFile } = await bundleLambda({
        appDir: join(root, 'apps', fn.app),
        outDir,
        metafile: false,
        target: `node${major}`,
      });
      built[major] = await readFile(outFile);
    }
    bundles.set(fn.app, built);
  }

  // 2. Cold start ---------------------------------------------------------------------------------------
  console.log(
    `2. Cold starts: ${coldStartRuns} per function, Node and variant after ${coldStartWarmups} warm-ups, interleaved …`,
  );
  type Measure = 'wallMs' | 'importMs' | 'firstResponseMs';
  const measures: Measure[] = ['wallMs', 'importMs', 'firstResponseMs'];
  type Samples = Record<Measure, number[]>;
  const noSamples = (): Samples => ({ wallMs: [], importMs: [], firstResponseMs: [] });
  const cold = new Map(
    subjects.map(({ fn }) => [
      fn.app,
      Object.fromEntries(
        majors.map((major) => [major, { handler: noSamples(), empty: noSamples() }]),
      ) as Record<Major, { handler: Samples; empty: Samples }>,
    ]),
  );
  for (let run = 0; run < coldStartWarmups + coldStartRuns; run++) {
    // Alternate the order of Nodes and of variants so that drift hits each alike.
    const order = run % 2 === 0 ? majors : [...majors].reverse();
    for (const subject of subjects) {
      for (const major of order) {
        const variants = [
          { name: 'handler', file: subject.bundleFile, app: subject.fn.app },
          { name: 'empty', file: emptyFile, app: 'empty' },
        ] as const;
        for (const variant of run % 2 === 0 ? variants : [...variants].reverse()) {
          const sample = await coldStart({
            execPath: nodes[major].path,
            handlerFile: variant.file,
            eventFile: subject.eventFile,
            env: { ...subject.environment(major), POWERTOOLS_LOG_LEVEL: coldLogLevel },
            args: [checkScript, variant.app],
          });
          if (run < coldStartWarmups) continue;
          const samples = cold.get(subject.fn.app)?.[major][variant.name];
          for (const measure of measures) samples?.[measure].push(sample[measure]);
        }
      }
    }
  }

  // 3. Warm overhead ------------------------------------------------------------------------------------
  console.log(
    `3. Warm: ${warmRounds} child processes per function and Node, interleaved, each ${warmOptions.batches} ` +
      `alternating batches × ${warmOptions.callsPerBatch} calls after ${warmOptions.warmupCalls} warm-up calls …`,
  );
  const warm = new Map(
    subjects.map(({ fn }) => [
      fn.app,
      Object.fromEntries(
        majors.map((major) => [major, { handlerUs: [] as number[], emptyUs: [] as number[] }]),
      ) as Record<Major, { handlerUs: number[]; emptyUs: number[] }>,
    ]),
  );
  for (let warmRound = 0; warmRound < warmRounds; warmRound++) {
    for (const subject of subjects) {
      for (const major of warmRound % 2 === 0 ? majors : [...majors].reverse()) {
        const batches = await runWarmChild(major, subject, emptyFile);
        const into = warm.get(subject.fn.app)?.[major];
        into?.handlerUs.push(...batches.handlerUs);
        into?.emptyUs.push(...batches.emptyUs);
      }
    }
  }

  if (awsEndpoint.requests.length > 0) {
    throw new Error(
      `${awsEndpoint.requests.length} AWS call(s) reached the bench's endpoint, first ${awsEndpoint.requests[0]}: ` +
        'an event in bench/functions.ts no longer takes a path without AWS calls',
    );
  }

  // Report ----------------------------------------------------------------------------------------------
  const report: Record<string, unknown> = {};
  const summaries: string[] = [];
  for (const { fn } of subjects) {
    const built = bundles.get(fn.app) as Record<Major, Buffer>;
    const coldOf = cold.get(fn.app) as Record<Major, { handler: Samples; empty: Samples }>;
    const warmOf = warm.get(fn.app) as Record<Major, { handlerUs: number[]; emptyUs: number[] }>;
    const figuresOf = (major: Major): FunctionFigures => {
      const { handler, empty } = coldOf[major];
      const coldStats = (measure: Measure) => {
        const handlerStats = summarize(handler[measure]);
        const emptyStats = summarize(empty[measure]);
        return {
          handler: handlerStats,
          empty: emptyStats,
          ratioToEmpty: handlerStats.median / emptyStats.median,
        };
      };
      const { handlerUs, emptyUs } = warmOf[major];
      return {
        bundleKb: kb(built[major].byteLength),
        cold: {
          wallMs: coldStats('wallMs'),
          importMs: coldStats('importMs'),
          firstResponseMs: coldStats('firstResponseMs'),
        },
        warm: {
          handlerUs: summarize(handlerUs),
          emptyUs: summarize(emptyUs),
          overheadUs: summarize(handlerUs.map((us, batch) => us - (emptyUs[batch] ?? Number.NaN))),
        },
      };
    };
    const figures: Record<Major, FunctionFigures> = { 22: figuresOf(22), 24: figuresOf(24) };
    const identical = built[22].equals(built[24]);
    printTable(fn, figures, identical);
    summaries.push(summaryLine(fn.app, figures));
    report[fn.app] = jsonFigures(figures, identical);
  }

  console.log(
    `\nNode 24 / Node 22, medians (under ${times(1 - evenWithin)}: Node 24 better; over ${times(1 + evenWithin)}: ` +
      'Node 22 better; between: even)',
  );
  console.log(
    `   ${''.padEnd(18)}${'bundle'.padStart(8)}${'spawn→exit'.padStart(12)}${'×empty'.padStart(8)}` +
      `${'import()'.padStart(10)}${'warm overhead'.padStart(15)}   better`,
  );
  for (const line of summaries) console.log(line);

  console.log(
    `BENCH_JSON ${JSON.stringify({
      nodes: { 22: nodes[22].version, 24: nodes[24].version },
      cpus: availableParallelism(),
      coldStart: { runs: coldStartRuns, warmups: coldStartWarmups, logLevel: coldLogLevel },
      warm: { rounds: warmRounds, ...warmOptions, logLevel: 'SILENT', metrics: 'disabled' },
      functions: report,
    })}`,
  );
} finally {
  await awsEndpoint.close();
  await rm(runDir, { recursive: true, force: true });
}

// Helpers ---------------------------------------------------------------------------------------------------

interface Subject {
  fn: BenchedFunction;
  /** This run's copy of dist/index.mjs. */
  bundleFile: string;
  eventFile: string;
  functionName: string;
  memoryMb: number;
  timeoutMs: number;
  environment(major: Major): Record<string, string>;
}

interface FunctionFigures {
  bundleKb: number;
  cold: Record<
    'wallMs' | 'importMs' | 'firstResponseMs',
    { handler: Summary; empty: Summary; ratioToEmpty: number }
  >;
  warm: { handlerUs: Summary; emptyUs: Summary; overheadUs: Summary };
}

/**
 * Copies the app's dist/index.mjs and its source map into this run's folder (its node_modules linked
 * beside it, so `lambda.external` packages such as sharp resolve as from dist/), writes the event, and
 * puts together the environment Lambda would give the function on a Node of `major`.
 */
async function prepare(fn: BenchedFunction): Promise<Subject> {
  const appDir = join(root, 'apps', fn.app);
  const dir = join(runDir, fn.app);
  await mkdir(join(dir, 'bundle'), { recursive: true });
  const bundleFile = join(dir, 'bundle', 'index.mjs');
  await copyFile(join(appDir, 'dist', 'index.mjs'), bundleFile).catch((cause: unknown) => {
    throw new Error(`apps/${fn.app}/dist/index.mjs is missing: run \`pnpm build\` first`, { cause });
  });
  // With --enable-source-maps (as deployed) Node reads the map at import: it belongs to the cold start.
  await copyFile(join(appDir, 'dist', 'index.mjs.map'), `${bundleFile}.map`);
  await symlink(join(appDir, 'node_modules'), join(dir, 'bundle', 'node_modules'), 'dir');
  const eventFile = join(dir, 'event.json');
  await writeFile(eventFile, JSON.stringify(await fn.event(root)));

  const declared = declaredFunction(join(root, 'template.yaml'), fn.app);
  const functionName = `runtime-bench-${fn.app}`;
  return {
    fn,
    bundleFile,
    eventFile,
    functionName,
    memoryMb: declared.memoryMb,
    timeoutMs: declared.timeoutSeconds * 1000,
    environment: (major) => ({
      // Only what Lambda would set: none of this process's environment (tsx's loader included).
      ...declared.environment,
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_SESSION_TOKEN: 'test',
      // Every AWS call lands on the bench's endpoint, which counts it: there must be none.
      AWS_ENDPOINT_URL: awsEndpoint.url,
      // Nothing from this machine's ~/.aws may change what the SDK does (Lambda has no such files).
      AWS_CONFIG_FILE: join(runDir, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(runDir, 'no-aws-credentials'),
      AWS_LAMBDA_FUNCTION_NAME: functionName,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(declared.memoryMb),
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
      AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${major}.x`,
      LAMBDA_TASK_ROOT: '/var/task',
      _HANDLER: 'index.handler',
      TZ: ':UTC',
      // `Tracing: Active`: the tracer is on; its datagrams go to a port nobody listens on.
      _X_AMZN_TRACE_ID: 'Root=1-6b0912b3-28e02368ba7444aef6f6c61a;Parent=53995c3f42cd8ad8;Sampled=1',
      AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:9',
    }),
  };
}

/** One warm child on Node `major`: the real handler and the empty one, batch by batch. */
async function runWarmChild(
  major: Major,
  subject: Subject,
  emptyFile: string,
): Promise<{ handlerUs: number[]; emptyUs: number[] }> {
  const options = {
    handlerFile: subject.bundleFile,
    emptyFile,
    eventFile: subject.eventFile,
    app: subject.fn.app,
    functionName: subject.functionName,
    memoryMb: subject.memoryMb,
    timeoutMs: subject.timeoutMs,
    ...warmOptions,
  };
  const env = {
    ...subject.environment(major),
    // Nothing reaches stdout per invocation: neither log lines nor EMF metrics (Powertools reads both
    // variables when the bundle builds its logger and metrics, at import).
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
  const stdout = await outputOf(
    `warm child of ${subject.fn.app} on Node ${major}`,
    nodes[major].path,
    [warmChildScript, JSON.stringify(options)],
    { env },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { handlerUs: number[]; emptyUs: number[] };
}

/**
 * A stand-in for every AWS endpoint (AWS_ENDPOINT_URL): it records each request and answers 500, so a
 * handler that made a call would also answer wrongly.
 */
async function startAwsEndpoint() {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(
      `${request.method} ${request.url} (${request.headers['x-amz-target'] ?? request.headers.host})`,
    );
    request.resume();
    response.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"no AWS calls here"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function printTable(fn: BenchedFunction, figures: Record<Major, FunctionFigures>, identical: boolean) {
  const labelWidth = 44;
  const cellWidth = 18;
  console.log(`\n${fn.app} — ${fn.path}`);
  console.log(
    `   ${'median (p90)'.padEnd(labelWidth)}${`Node ${nodes[22].version}`.padStart(cellWidth)}` +
      `${`Node ${nodes[24].version}`.padStart(cellWidth)}${'24/22'.padStart(9)}`,
  );
  const row = (label: string, cell: (major: Major) => string, value: (major: Major) => number, note = '') =>
    console.log(
      `   ${label.padEnd(labelWidth)}${cell(22).padStart(cellWidth)}${cell(24).padStart(cellWidth)}` +
        `${times(value(24) / value(22)).padStart(9)}${note}`,
    );
  const stat = ({ median, p90 }: Summary, digits: number) =>
    `${median.toFixed(digits)} (${p90.toFixed(digits)})`;

  row(
    'bundle KB, esbuild target node22 | node24',
    (major) => figures[major].bundleKb.toFixed(1),
    (major) => figures[major].bundleKb,
    identical ? '   identical bytes' : '   different bytes',
  );
  const coldRows = [
    ['wallMs', 'cold (a) spawn→exit, ms', 1],
    ['importMs', 'cold (b) import(), ms', 2],
    ['firstResponseMs', 'cold (c) import()→first response, ms', 2],
  ] as const;
  for (const [measure, label, digits] of coldRows) {
    const of = (major: Major) => figures[major].cold[measure];
    row(
      label,
      (major) => stat(of(major).handler, digits),
      (major) => of(major).handler.median,
    );
    row(
      '  empty handler',
      (major) => stat(of(major).empty, digits),
      (major) => of(major).empty.median,
    );
    row(
      '  ×empty',
      (major) => times(of(major).ratioToEmpty),
      (major) => of(major).ratioToEmpty,
    );
  }
  const warmOf = (major: Major) => figures[major].warm;
  row(
    'warm, µs per invocation',
    (major) => stat(warmOf(major).handlerUs, 1),
    (major) => warmOf(major).handlerUs.median,
  );
  row(
    '  empty async handler',
    (major) => stat(warmOf(major).emptyUs, 2),
    (major) => warmOf(major).emptyUs.median,
  );
  row(
    '  overhead (handler − empty, per batch)',
    (major) => stat(warmOf(major).overheadUs, 1),
    (major) => warmOf(major).overheadUs.median,
  );
}

function installedNode(major: Major): { version: string; path: string } {
  const build = nodeBinary(major);
  if (!build) throw new Error(`@repo/node installed no Node.js ${major} for ${arch()}: run pnpm install`);
  return build;
}

function times(value: number): string {
  return `${value.toFixed(2)}×`;
}

/**
 * The Node ahead on more of spawn→exit, import() and warm overhead (medians; a 24/22 ratio within
 * `evenWithin` of 1 counts for neither), or 'even'.
 */
function betterNode(figures: Record<Major, FunctionFigures>): 'Node 24' | 'Node 22' | 'even' {
  const ratios = [
    figures[24].cold.wallMs.handler.median / figures[22].cold.wallMs.handler.median,
    figures[24].cold.importMs.handler.median / figures[22].cold.importMs.handler.median,
    figures[24].warm.overheadUs.median / figures[22].warm.overheadUs.median,
  ];
  const node24 = ratios.filter((ratio) => ratio < 1 - evenWithin).length;
  const node22 = ratios.filter((ratio) => ratio > 1 + evenWithin).length;
  return node24 > node22 ? 'Node 24' : node22 > node24 ? 'Node 22' : 'even';
}

/** One function's 24/22 ratios of the medians, and the better Node. */
function summaryLine(app: string, figures: Record<Major, FunctionFigures>): string {
  const ratio = (of: (figures: FunctionFigures) => number) => times(of(figures[24]) / of(figures[22]));
  return (
    `   ${app.padEnd(18)}${ratio((f) => f.bundleKb).padStart(8)}` +
    `${ratio((f) => f.cold.wallMs.handler.median).padStart(12)}` +
    `${ratio((f) => f.cold.wallMs.ratioToEmpty).padStart(8)}${ratio((f) => f.cold.importMs.handler.median).padStart(10)}` +
    `${ratio((f) => f.warm.overheadUs.median).padStart(15)}   ${betterNode(figures)}`
  );
}

function jsonFigures(figures: Record<Major, FunctionFigures>, identicalBundles: boolean) {
  const stats = (summary: Summary) => ({ median: round(summary.median), p90: round(summary.p90) });
  const byNode = Object.fromEntries(
    majors.map((major) => {
      const { bundleKb, cold, warm } = figures[major];
      return [
        `node${major}`,
        {
          bundleKb: round(bundleKb),
          coldStart: Object.fromEntries(
            Object.entries(cold).map(([measure, { handler, empty, ratioToEmpty }]) => [
              measure,
              { handler: stats(handler), empty: stats(empty), ratioToEmpty: round(ratioToEmpty) },
            ]),
          ),
          warm: {
            handlerUs: stats(warm.handlerUs),
            emptyUs: stats(warm.emptyUs),
            overheadUs: stats(warm.overheadUs),
          },
        },
      ];
    }),
  );
  return {
    identicalBundles,
    better: betterNode(figures),
    ...byNode,
    ratio24to22: {
      bundle: round(figures[24].bundleKb / figures[22].bundleKb),
      coldWall: round(figures[24].cold.wallMs.handler.median / figures[22].cold.wallMs.handler.median),
      coldWallRatioToEmpty: round(
        figures[24].cold.wallMs.ratioToEmpty / figures[22].cold.wallMs.ratioToEmpty,
      ),
      coldImport: round(figures[24].cold.importMs.handler.median / figures[22].cold.importMs.handler.median),
      coldFirstResponse: round(
        figures[24].cold.firstResponseMs.handler.median / figures[22].cold.firstResponseMs.handler.median,
      ),
      warmOverhead: round(figures[24].warm.overheadUs.median / figures[22].warm.overheadUs.median),
    },
  };
}
