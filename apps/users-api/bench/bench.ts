/**
 * users-api benchmark: `pnpm bench` from the repo root (turbo builds dist/ first), or `pnpm bench` here
 * after `pnpm build`. Timings on a shared machine are noise in absolute terms, so every timing is read
 * as a ratio or difference against a baseline measured in the same run.
 *
 * 1. Bundle size: dist/index.mjs in KB (1024 bytes) against a 400 KB budget; over budget exits 1.
 * 2. AWS SDK bundled vs left to the runtime: a second build with `@aws-sdk/*` and `@smithy/*` external
 *    (in a folder of the run's own under .bench, resolving the SDK from this app's node_modules as the
 *    runtime's copy would).
 * 3. Cold start: a fresh `node`, started as Lambda's bootstrap starts it, imports a bundle and serves
 *    GET /users/{id} (events/get-user.json), its GetItem answered by a DynamoDB stub on 127.0.0.1; an
 *    empty handler is the baseline, and more variants split the start into its parts (built-ins,
 *    compile, source map, evaluation, first request; see the section). (a) spawn→exit, (b) import(),
 *    (c) import()→first response inside the child; init = (a) − the first request. Variants interleaved
 *    and rotated; medians and p90s. Goal (issue 19): deployed init ≤ 1.3× the empty handler's — a goal,
 *    not an assertion. Then CPU time by owner from a few profiled starts. The harness is
 *    @repo/testing/cold-start; bench/check-response.mjs is what each response must be.
 * 4. Warm overhead: in-process µs/request of the middy + Powertools chain (createHandler) against a bare
 *    function doing the same route's work (getUser + JSON response), DynamoDB mocked, logs at ERROR so
 *    stdout writes don't dominate. Overhead = median of per-batch differences. Goal ≤ 300 µs.
 *
 * The last line is `BENCH_JSON {…}` with every figure, for tools to grep.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { arch, availableParallelism, platform } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '@repo/aws/dynamodb';
import { bundleLambda } from '@repo/bundler/bundle-lambda';
import { createLogger } from '@repo/logging/logger';
import { lambdaNodeArgs } from '@repo/node/node-path';
import {
  coldStart,
  deployedBundle,
  lambdaColdStartEnvironment,
  type Summary,
  summarize,
} from '@repo/testing/cold-start';
import { cpuTimeByOwner } from '@repo/testing/cpu-profile';
import { lambdaContext } from '@repo/testing/lambda-context';
import { quietObservability } from '@repo/testing/observability';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createUserStore, type User } from '../src/users.ts';

const appDir = fileURLToPath(new URL('..', import.meta.url));
// A folder of this run's own under .bench (inside the app, so the external-SDK bundle resolves the SDK from
// this app's node_modules): a second bench running at once never rewrites or deletes a file this one runs.
await mkdir(join(appDir, '.bench'), { recursive: true });
const benchDir = await mkdtemp(join(appDir, '.bench', 'run-'));
process.on('exit', () => rmSync(benchDir, { recursive: true, force: true }));
const bundledFile = join(appDir, 'dist', 'index.mjs');
const eventFile = join(appDir, 'events', 'get-user.json');
const checkScript = fileURLToPath(new URL('./check-response.mjs', import.meta.url));

const budgetKb = 400;
// Issue 19: users-api's init within 1.3× an empty handler's on the same Node.js.
const coldStartGoalRatio = 1.3;
const warmOverheadGoalUs = 300;
const coldStartRuns = 20;
const coldStartWarmups = 2;
const coldStartProfiles = 5;
const warmupCalls = 2_000;
const warmBatches = 10;
const callsPerBatch = 2_000;
// Same level for the cold-start children and the warm chain: nothing reaches stdout on the happy path.
const logLevel = 'ERROR';

const kb = (bytes: number) => bytes / 1024;
const fixed = (value: number, digits = 1) => value.toFixed(digits);
const ratio = (value: number) => `${value.toFixed(2)}×`;

const event = JSON.parse(await readFile(eventFile, 'utf8')) as APIGatewayProxyEvent;
const userId = event.pathParameters?.id;
if (!userId) throw new Error(`${eventFile} has no pathParameters.id`);

console.log(
  `users-api bench — node ${process.version} ${platform()}/${arch()}, ${availableParallelism()} CPUs`,
);

// 1. Bundle size ---------------------------------------------------------------------------------------
const bundle = await readFile(bundledFile).catch(() => {
  throw new Error(`${bundledFile} is missing: run \`pnpm build\` first (root \`pnpm bench\` does)`);
});
const bundledBytes = bundle.byteLength;
// Cold starts run a private copy: a build running meanwhile (tests, watch) empties dist/ first.
const bundledCopy = join(benchDir, 'bundled', 'index.mjs');
await mkdir(join(benchDir, 'bundled'));
await writeFile(bundledCopy, bundle);
// With --enable-source-maps (as deployed) Node reads the map at import: it belongs to the cold start.
await writeFile(`${bundledCopy}.map`, await readFile(`${bundledFile}.map`));
const overBudget = kb(bundledBytes) > budgetKb;
console.log('\n1. Bundle size');
console.log(
  `   dist/index.mjs  ${fixed(kb(bundledBytes))} KB   budget ≤ ${budgetKb} KB   ${overBudget ? 'OVER' : 'OK'}`,
);

// 2. AWS SDK bundled vs left to the runtime -----------------------------------------------------------------
const external = await bundleLambda({ appDir, outDir: join(benchDir, 'external'), externalAwsSdk: true });
const externalBytes = (await stat(external.outFile)).size;
console.log('\n2. AWS SDK bundled vs left to the runtime');
console.log(`   SDK bundled (dist/index.mjs)                    ${fixed(kb(bundledBytes)).padStart(6)} KB`);
console.log(
  `   @aws-sdk/* + @smithy/* external (in .bench/run-…) ${fixed(kb(externalBytes)).padStart(6)} KB` +
    `   (${fixed(kb(bundledBytes - externalBytes))} KB less; the SDK then loads from node_modules)`,
);

// 3. Cold start -------------------------------------------------------------------------------------------
// Every child is a fresh `node` started as Lambda's bootstrap starts it (@repo/testing/cold-start), in the
// environment Lambda gives the function. The variants split the cold start into its parts, in one run:
//   empty        an empty handler: Node.js starting, the runtime's own work, exiting — the baseline;
//   builtins     an empty handler that loads the Node.js built-ins the bundle uses, as the bundle does
//                (process.getBuiltinModule, tooling/bundler); builtinsEsm: the same as ES imports, which
//                the bundle did before (for the record: what the bundler's plugin saves);
//   bundled      dist/index.mjs compiled at start (no compile cache);
//   deployed     as sam build ships it: with the compile cache lambda.mk writes (NODE_COMPILE_CACHE);
//   deployedNoSourceMaps  the same without --enable-source-maps (what reading the map costs);
//   external     the SDK left to node_modules (section 2).
const emptyFile = join(benchDir, 'empty', 'index.mjs');
await mkdir(join(benchDir, 'empty'));
await writeFile(emptyFile, "export const handler = async () => ({ statusCode: 200, body: '{}' });\n");
// esbuild's metafile: the bundle's inputs name each built-in the bundler took as node-builtin:<id>.
const meta = JSON.parse(await readFile(join(appDir, 'dist', 'meta.json'), 'utf8')) as {
  outputs: Record<string, { entryPoint?: string; inputs: Record<string, unknown> }>;
};
const builtinIds = Object.keys(
  Object.values(meta.outputs).find((output) => output.entryPoint)?.inputs ?? {},
).flatMap((input) => (input.startsWith('node-builtin:') ? [input.slice('node-builtin:'.length)] : []));
if (!builtinIds.includes('node:http')) throw new Error(`dist/meta.json names no node:http: ${builtinIds}`);
const builtinsFile = join(benchDir, 'builtins', 'index.mjs');
const builtinsEsmFile = join(benchDir, 'builtins-esm', 'index.mjs');
await mkdir(join(benchDir, 'builtins'));
await mkdir(join(benchDir, 'builtins-esm'));
await writeFile(
  builtinsFile,
  `for (const id of ${JSON.stringify(builtinIds)}) process.getBuiltinModule(id);\n` +
    "export const handler = async () => ({ statusCode: 200, body: '{}' });\n",
);
await writeFile(
  builtinsEsmFile,
  `${builtinIds.map((id) => `import '${id}';`).join('\n')}\n` +
    "export const handler = async () => ({ statusCode: 200, body: '{}' });\n",
);
const deployed = await deployedBundle(bundledFile, join(benchDir, 'deployed'));

const dynamodb = await startDynamoDbStub();
const childEnv = lambdaColdStartEnvironment({
  functionName: 'users-api',
  workDir: benchDir,
  variables: { AWS_ENDPOINT_URL: dynamodb.url, USERS_TABLE_NAME: 'users', POWERTOOLS_LOG_LEVEL: logLevel },
});
const variants = [
  { name: 'empty', label: 'empty handler', file: emptyFile, servesUser: false, env: {} },
  { name: 'builtins', label: 'its built-ins only', file: builtinsFile, servesUser: false, env: {} },
  { name: 'builtinsEsm', label: '…as ES imports', file: builtinsEsmFile, servesUser: false, env: {} },
  { name: 'bundled', label: 'no compile cache', file: bundledCopy, servesUser: true, env: {} },
  { name: 'deployed', label: 'as deployed', file: deployed.handlerFile, servesUser: true, env: deployed.env },
  {
    name: 'deployedNoSourceMaps',
    label: '…no source maps',
    file: deployed.handlerFile,
    servesUser: true,
    env: { ...deployed.env, NODE_OPTIONS: '' },
  },
  { name: 'external', label: 'SDK external', file: external.outFile, servesUser: true, env: {} },
] as const;
type VariantName = (typeof variants)[number]['name'];
const samples = Object.fromEntries(
  variants.map(({ name }) => [name, { wallMs: [], importMs: [], firstResponseMs: [] }]),
) as unknown as Record<VariantName, { wallMs: number[]; importMs: number[]; firstResponseMs: number[] }>;

for (let round = 0; round < coldStartWarmups + coldStartRuns; round++) {
  // Rotate the order too, so that no variant always follows the same one.
  const order = variants.map((_, index) => variants[(index + round) % variants.length]);
  for (const variant of order) {
    if (!variant) continue;
    const sample = await coldStart({
      handlerFile: variant.file,
      eventFile,
      env: { ...childEnv, ...variant.env },
      args: [checkScript, ...(variant.servesUser ? [userId] : [])],
    });
    if (round < coldStartWarmups) continue;
    samples[variant.name].wallMs.push(sample.wallMs);
    samples[variant.name].importMs.push(sample.importMs);
    samples[variant.name].firstResponseMs.push(sample.firstResponseMs);
  }
}

// Where the CPU time of the deployed cold start goes, by owner: a few more starts under V8's sampling
// profiler (which slows them: shares, not times, are what it gives).
const profileDir = join(benchDir, 'profiles');
for (let run = 0; run < coldStartProfiles; run++) {
  await coldStart({
    handlerFile: deployed.handlerFile,
    eventFile,
    env: { ...childEnv, ...deployed.env },
    args: [checkScript, userId],
    nodeArgs: [
      ...lambdaNodeArgs(512),
      '--cpu-prof',
      '--cpu-prof-dir',
      profileDir,
      '--cpu-prof-interval',
      '100',
    ],
  });
}
const profiles = (await readdir(profileDir)).map((name) => join(profileDir, name));
const cpuByOwner = cpuTimeByOwner(profiles, deployed.handlerFile);
const cpuTotalMs = cpuByOwner.reduce((sum, [, ms]) => sum + ms, 0);
await dynamodb.close();
// Every run of a real bundle made exactly one GetItem call: the first request really reached DynamoDB.
const expectedGetItems =
  (coldStartWarmups + coldStartRuns) * variants.filter((variant) => variant.servesUser).length +
  coldStartProfiles;
if (dynamodb.getItemCalls() !== expectedGetItems) {
  throw new Error(`DynamoDB stub saw ${dynamodb.getItemCalls()} GetItem calls, expected ${expectedGetItems}`);
}

const coldStartStats = Object.fromEntries(
  variants.map(({ name }) => [
    name,
    {
      wallMs: summarize(samples[name].wallMs),
      importMs: summarize(samples[name].importMs),
      firstResponseMs: summarize(samples[name].firstResponseMs),
    },
  ]),
) as { [Name in VariantName]: { wallMs: Summary; importMs: Summary; firstResponseMs: Summary } };
const median = (name: VariantName, measure: 'wallMs' | 'importMs' | 'firstResponseMs') =>
  coldStartStats[name][measure].median;
// Lambda's Init Duration is the start up to the handler's import; the first request is the invoke's.
const firstRequestMs = (name: VariantName) => median(name, 'firstResponseMs') - median(name, 'importMs');
const initMs = (name: VariantName) => median(name, 'wallMs') - firstRequestMs(name);
const initRatio = initMs('deployed') / initMs('empty');
const coldStartGoalMet = initRatio <= coldStartGoalRatio;
const anatomy = {
  nodeStartMs: median('empty', 'wallMs'),
  builtinsMs: median('builtins', 'importMs'),
  builtinsAsEsImportsMs: median('builtinsEsm', 'importMs'),
  compileSavedByCacheMs: median('bundled', 'importMs') - median('deployed', 'importMs'),
  sourceMapMs: median('deployed', 'importMs') - median('deployedNoSourceMaps', 'importMs'),
  evaluationMs: median('deployedNoSourceMaps', 'importMs') - median('builtins', 'importMs'),
  firstRequestMs: firstRequestMs('deployed'),
};

console.log(
  `\n3. Cold start: fresh node process started as Lambda's bootstrap starts it, first GET /users/{id}` +
    `\n   served (GetItem against a local stub); ${coldStartRuns} runs per variant after ${coldStartWarmups} warm-ups, interleaved; ms`,
);
const header = `${'median'.padStart(7)} ${'p90'.padStart(6)}`;
console.log(
  `${''.padEnd(26)}${'(a) spawn→exit'.padEnd(15)} ${'(b) import()'.padEnd(14)} ${'(c) →1st response'.padEnd(15)}  init ×empty`,
);
console.log(`${''.padEnd(26)}${header}  ${header}  ${header}`);
for (const { name, label } of variants) {
  const cell = (measure: 'wallMs' | 'importMs' | 'firstResponseMs') => {
    const { median: value, p90 } = coldStartStats[name][measure];
    return `${fixed(value).padStart(7)} ${fixed(p90).padStart(6)}`;
  };
  const times = name === 'empty' ? '' : ratio(initMs(name) / initMs('empty')).padStart(8);
  console.log(
    `   ${label.padEnd(23)}${cell('wallMs')}  ${cell('importMs')}  ${cell('firstResponseMs')}  ${times}`,
  );
}
console.log(
  `   init = (a) − the first request ((c) − (b)), Lambda's Init Duration; as deployed ` +
    `${fixed(initMs('deployed'))} vs ${fixed(initMs('empty'))} ms empty = ${ratio(initRatio)}` +
    `   goal ≤ ${coldStartGoalRatio}×: ${coldStartGoalMet ? 'met' : 'NOT MET'}`,
);
console.log('\n   Where the deployed cold start goes (medians above, ms):');
const line = (label: string, ms: number) => console.log(`     ${label.padEnd(58)} ${fixed(ms).padStart(6)}`);
line('Node.js starts, runs an empty handler, exits (empty, a)', anatomy.nodeStartMs);
line(`built-ins the bundle loads: ${builtinIds.length} (builtins, b)`, anatomy.builtinsMs);
line('   the same as ES imports, before tooling/bundler took them (b)', anatomy.builtinsAsEsImportsMs);
line(
  'compile of index.mjs saved by the compile cache (bundled b − deployed b)',
  anatomy.compileSavedByCacheMs,
);
line('reading the source map (deployed b − no source maps b)', anatomy.sourceMapMs);
line('module evaluation and what is left of compile (b, minus built-ins)', anatomy.evaluationMs);
line('first request: route, DynamoDB GetItem signed and sent, answer (c − b)', anatomy.firstRequestMs);
console.log(
  `\n   CPU time of ${coldStartProfiles} profiled deployed cold starts, by owner (sampling at 100 µs slows` +
    ` them; shares count):`,
);
for (const [owner, ms] of cpuByOwner.slice(0, 12)) {
  console.log(`     ${owner.padEnd(45)} ${fixed((100 * ms) / cpuTotalMs).padStart(5)} %`);
}
console.log(
  `   compile cache shipped: ${fixed(kb(deployed.cacheBytes))} KB (${deployed.cacheFolder.split('/').at(-1)})`,
);

// 4. Warm per-request overhead -------------------------------------------------------------------------------
// handler.ts reads its config at module scope: the environment must be in place before it is imported.
Object.assign(process.env, {
  USERS_TABLE_NAME: 'users',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  POWERTOOLS_LOG_LEVEL: logLevel,
});
const { createHandler } = await import('../src/handler.ts');

const storedUser: User = {
  id: userId,
  name: 'Ada',
  email: 'ada@example.com',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};
mockClient(DynamoDBDocumentClient).on(GetCommand).resolves({ Item: storedUser });
const users = createUserStore({ db: createDocumentClient({ maxAttempts: 3 }), tableName: 'users' });
const logger = createLogger({ serviceName: 'users-api', logLevel });
const fullChain = createHandler({
  users,
  observability: quietObservability({ logger }),
  config: { MAX_BODY_BYTES: 16 * 1024, CORS_ALLOWED_ORIGIN: '*', ADMIN_GROUP: 'admins' },
});

type Invoke = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
/** What the GET /users/{id} route does, without any middleware. */
const bare: Invoke = async (event) => {
  const user = await users.getUser(event.pathParameters?.id ?? '');
  return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(user) };
};
// middy types its event as the normalized one; the raw API Gateway event is what Lambda passes in.
const full: Invoke = (event, context) => fullChain(event as Parameters<typeof fullChain>[0], context);

await expectUser(bare);
await expectUser(full);
await timeCalls(bare, warmupCalls);
await timeCalls(full, warmupCalls);
const bareUs: number[] = [];
const fullUs: number[] = [];
const differencesUs: number[] = [];
for (let batch = 0; batch < warmBatches; batch++) {
  // Alternate which goes first so drift (GC, CPU frequency, neighbours) hits both alike.
  let bareBatch: number;
  let fullBatch: number;
  if (batch % 2 === 0) {
    bareBatch = await timeCalls(bare, callsPerBatch);
    fullBatch = await timeCalls(full, callsPerBatch);
  } else {
    fullBatch = await timeCalls(full, callsPerBatch);
    bareBatch = await timeCalls(bare, callsPerBatch);
  }
  bareUs.push(bareBatch);
  fullUs.push(fullBatch);
  differencesUs.push(fullBatch - bareBatch);
}
const warm = {
  bareUsPerRequest: summarize(bareUs).median,
  fullUsPerRequest: summarize(fullUs).median,
  overheadUs: summarize(differencesUs).median,
};
const warmGoalMet = warm.overheadUs <= warmOverheadGoalUs;

console.log(
  `\n4. Warm per-request overhead of the middy + Powertools chain, in process, DynamoDB mocked;` +
    `\n   ${warmBatches} alternating batches × ${callsPerBatch} calls after ${warmupCalls} warm-up calls each;` +
    `\n   logger at ${logLevel}, so no log line is written (stdout writes would dominate otherwise)`,
);
console.log(`   bare function (getUser + JSON)   ${fixed(warm.bareUsPerRequest).padStart(7)} µs/request`);
console.log(
  `   full chain (createHandler)       ${fixed(warm.fullUsPerRequest).padStart(7)} µs/request` +
    `   (${ratio(warm.fullUsPerRequest / warm.bareUsPerRequest)} bare)`,
);
console.log(
  `   overhead (median of batch diffs) ${fixed(warm.overheadUs).padStart(7)} µs/request` +
    `   goal ≤ ${warmOverheadGoalUs} µs: ${warmGoalMet ? 'met' : 'NOT MET'}`,
);

if (overBudget) {
  console.log(`\nFAIL: dist/index.mjs is ${fixed(kb(bundledBytes))} KB, over the ${budgetKb} KB budget`);
  process.exitCode = 1;
}

console.log(
  `BENCH_JSON ${JSON.stringify({
    node: process.version,
    cpus: availableParallelism(),
    bundle: { file: 'dist/index.mjs', kb: round(kb(bundledBytes)), budgetKb, ok: !overBudget },
    sdk: { bundledKb: round(kb(bundledBytes)), externalKb: round(kb(externalBytes)) },
    coldStart: {
      runs: coldStartRuns,
      warmups: coldStartWarmups,
      wallMs: mapStats(coldStartStats, 'wallMs'),
      importMs: mapStats(coldStartStats, 'importMs'),
      firstResponseMs: mapStats(coldStartStats, 'firstResponseMs'),
      initMs: { empty: round(initMs('empty')), deployed: round(initMs('deployed')) },
      anatomyMs: Object.fromEntries(Object.entries(anatomy).map(([part, ms]) => [part, round(ms)])),
      cpuShareByOwner: Object.fromEntries(
        cpuByOwner.slice(0, 12).map(([owner, ms]) => [owner, round((100 * ms) / cpuTotalMs)]),
      ),
      compileCacheKb: round(kb(deployed.cacheBytes)),
      goal: { deployedInitRatioMax: coldStartGoalRatio, ratio: round(initRatio), met: coldStartGoalMet },
    },
    warm: {
      batches: warmBatches,
      callsPerBatch,
      logLevel,
      bareUsPerRequest: round(warm.bareUsPerRequest),
      fullUsPerRequest: round(warm.fullUsPerRequest),
      overheadUs: round(warm.overheadUs),
      goal: { overheadUsMax: warmOverheadGoalUs, met: warmGoalMet },
    },
  })}`,
);

// Helpers ---------------------------------------------------------------------------------------------------

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function mapStats(
  stats: { [Name in VariantName]: { wallMs: Summary; importMs: Summary; firstResponseMs: Summary } },
  measure: 'wallMs' | 'importMs' | 'firstResponseMs',
) {
  return Object.fromEntries(
    variants.map(({ name }) => [
      name,
      { median: round(stats[name][measure].median), p90: round(stats[name][measure].p90) },
    ]),
  );
}

/**
 * A DynamoDB stand-in speaking the JSON protocol on 127.0.0.1: GetItem returns user Ada under the
 * requested id; anything else is an error, so an unexpected call fails the child loudly.
 */
async function startDynamoDbStub() {
  let getItemCalls = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = request.headers['x-amz-target'];
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
        TableName?: string;
        Key?: { id?: { S?: string } };
      };
      const id = input.Key?.id?.S;
      const reply = (status: number, body: unknown) => {
        const json = JSON.stringify(body);
        response.writeHead(status, {
          'content-type': 'application/x-amz-json-1.0',
          'content-length': Buffer.byteLength(json),
          'x-amzn-requestid': randomUUID(),
        });
        response.end(json);
      };
      if (target !== 'DynamoDB_20120810.GetItem' || input.TableName !== 'users' || !id) {
        reply(400, {
          __type: 'com.amazon.coral.validate#ValidationException',
          message: `bench stub answers GetItem on table users only, not ${String(target)}`,
        });
        return;
      }
      getItemCalls++;
      reply(200, {
        Item: {
          id: { S: id },
          name: { S: 'Ada' },
          email: { S: 'ada@example.com' },
          createdAt: { S: '2026-01-01T00:00:00.000Z' },
          updatedAt: { S: '2026-01-01T00:00:00.000Z' },
        },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    getItemCalls: () => getItemCalls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Mean µs per call over `calls` sequential calls. Each call gets its own copy of the event (the
 * normalizer middlewares rewrite it in place) and its own context, made before the clock starts.
 */
async function timeCalls(invoke: Invoke, calls: number): Promise<number> {
  const inputs = Array.from({ length: calls }, () => ({
    event: structuredClone(event),
    context: lambdaContext({ functionName: 'users-api', timeoutMs: 30_000 }),
  }));
  const started = performance.now();
  for (const { event: input, context } of inputs) await invoke(input, context);
  return ((performance.now() - started) * 1000) / calls;
}

async function expectUser(invoke: Invoke): Promise<void> {
  const result = await invoke(
    structuredClone(event),
    lambdaContext({ functionName: 'users-api', timeoutMs: 30_000 }),
  );
  const body = JSON.parse(result.body) as Partial<User>;
  if (result.statusCode !== 200 || body.id !== userId || body.name !== 'Ada') {
    throw new Error(`warm bench: expected user Ada, got ${result.statusCode} ${result.body}`);
  }
}
