/**
 * @repo/image benchmark: `pnpm bench` from the repo root or here. Timings on a shared machine are noise
 * in absolute terms, so every timing is read as a ratio against baselines measured in the same run, on
 * the same photos, with the same sharp settings: configureSharp({ memoryMb: 1769 }), the template's
 * ImageResizerFunction size, where Lambda allots exactly one vCPU (libvips concurrency 1, cache off).
 *
 * Photo set: generated once with fixed seeds into .bench/photos (gitignored) — 3 × 12 MP JPEG q90 (one
 * with EXIF orientation 6), 2 × 24 MP JPEG q90, 1 × 12 MP PNG; gradients, waves and gaussian noise.
 *
 * 1. Time per image for (a) the naive port, one sharp pipeline per size, run one after another;
 *    (b) the floor, decode + orient + one resize to 1,200 px, no encoding; (c) resizeImage. The three run
 *    back to back per photo, in an order rotated every round, for `rounds` rounds after a warm-up round.
 *    The figure is CPU ms (process.cpuUsage, every thread): with one vCPU that is what the function is
 *    billed for, whereas wall time on this 2-core machine lets resizeImage's four concurrent encodes
 *    overlap. Wall ms is printed too. Ratios are medians of per-photo, per-round ratios, so drift
 *    between rounds cancels. Goals: naive/ours ≥ 2× on JPEG and ≥ 3× on PNG; ours/floor ≤ 1.25×.
 *    Slower than the naive port on any photo is a failure: exit code 1.
 * 2. Peak RSS of a fresh `node --import tsx` process (peak-rss-child.ts) that processes one 24 MP JPEG
 *    three times, as a warm container would; for resizeImage and the naive port, against a process that
 *    only imports the same modules. Read as VmHWM, not maxRSS, which a spawned child inherits from this
 *    process (see peak-rss-child.ts). Goal for resizeImage: ≤ 150 MB. tsx's loader is in all three.
 * 3. Cost per input type at 1,769 MB on arm64, from resizeImage's CPU ms: GB-s per image and dollars per
 *    million images at Lambda's published arm64 price (us-east-1, first tier), requests included.
 *
 * The last line is `BENCH_JSON {…}` with every figure, for tools to grep.
 */
import { readFile } from 'node:fs/promises';
import { arch, availableParallelism, platform } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { outputOf } from '@repo/testing/run-process';
import sharp from 'sharp';
import { configureSharp, sharpSettingsFor } from '../src/resize-image.ts';
import { loadPhotoSet, type Photo, type PhotoKind } from './photo-set.ts';
import { type VariantName, variants } from './variants.ts';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const photoDir = join(packageDir, '.bench', 'photos');
const childScript = fileURLToPath(new URL('./peak-rss-child.ts', import.meta.url));

/** template.yaml: ImageResizerFunction MemorySize (arm64). */
const memoryMb = 1769;
/** Lambda arm64 duration price, us-east-1, first 7.5 billion GB-s a month; plus $0.20 per million requests. */
const pricePerGbSecond = 0.0000133334;
const pricePerRequest = 0.2 / 1_000_000;

const warmupRounds = 1;
const rounds = 9;
const rssCalls = 3;
const rssRepeats = 3;
const goals = {
  naiveOverOurs: { 'JPEG 12 MP': 2, 'JPEG 24 MP': 2, 'PNG 12 MP': 3 } satisfies Record<PhotoKind, number>,
  oursOverFloorMax: 1.25,
  peakRssMbMax: 150,
};

const variantNames = Object.keys(variants) as VariantName[];
const kinds = Object.keys(goals.naiveOverOurs) as PhotoKind[];
const fixed = (value: number, digits = 1) => value.toFixed(digits);
const times = (value: number, digits = 2) => `${value.toFixed(digits)}×`;
const mb = (kb: number) => kb / 1024;
const verdict = (ok: boolean) => (ok ? 'OK' : 'NOT MET');

const benchStarted = performance.now();
configureSharp({ memoryMb });
const settings = sharpSettingsFor(memoryMb);
console.log(
  `@repo/image bench — node ${process.version} ${platform()}/${arch()}, ${availableParallelism()} CPUs; ` +
    `sharp ${sharp.versions.sharp ?? '?'}, libvips ${sharp.versions.vips}`,
);
console.log(
  `sharp settings for all variants: configureSharp({ memoryMb: ${memoryMb} }) → concurrency ` +
    `${sharp.concurrency()}, cache off (Lambda at ${memoryMb} MB has one vCPU)`,
);

// Photo set -------------------------------------------------------------------------------------------------
const { photos, generated } = await loadPhotoSet(photoDir);
const inputs = new Map<string, Buffer>();
for (const photo of photos) inputs.set(photo.name, await readFile(photo.file));
console.log(
  `\nPhoto set in ${relative(packageDir, photoDir)}/ (${generated ? `${generated} generated now` : 'cached'})`,
);
for (const photo of photos) {
  const orientation = photo.orientation === 1 ? '' : `  EXIF orientation ${photo.orientation}`;
  console.log(
    `   ${photo.name.padEnd(16)} ${photo.kind.padEnd(11)} ${`${photo.width}×${photo.height}`.padEnd(10)}` +
      ` ${fixed(photo.bytes / 1024 / 1024).padStart(5)} MB${orientation}`,
  );
}

// Every variant must produce what it claims before its time means anything.
for (const photo of photos) await checkOutputs(photo, inputFor(photo));

// 1. Time per image -----------------------------------------------------------------------------------------
interface Sample {
  cpuMs: number;
  wallMs: number;
}
const samples = new Map<string, Record<VariantName, Sample[]>>(
  photos.map((photo) => [photo.name, { naive: [], floor: [], ours: [] }]),
);
for (let round = 0; round < warmupRounds + rounds; round++) {
  for (const [index, photo] of photos.entries()) {
    const input = inputFor(photo);
    // Rotate who goes first, so no variant always runs right after another's garbage.
    const shift = (round + index) % variantNames.length;
    const order = [...variantNames.slice(shift), ...variantNames.slice(0, shift)];
    for (const name of order) {
      const sample = await timeOnce(name, input);
      if (round >= warmupRounds) samples.get(photo.name)?.[name].push(sample);
    }
  }
}

interface Timing {
  cpuMs: Record<VariantName, number>;
  wallMs: Record<VariantName, number>;
  naiveOverOurs: number;
  oursOverFloor: number;
}
const timingOf = (runs: Record<VariantName, Sample[]>[]): Timing => {
  const pooled = (name: VariantName, measure: keyof Sample) =>
    median(runs.flatMap((run) => run[name].map((sample) => sample[measure])));
  const byVariant = (measure: keyof Sample) =>
    Object.fromEntries(variantNames.map((name) => [name, pooled(name, measure)])) as Record<
      VariantName,
      number
    >;
  const pairedRatios = (top: VariantName, bottom: VariantName) =>
    median(
      runs.flatMap((run) =>
        run[top].map((sample, i) => sample.cpuMs / (run[bottom][i]?.cpuMs ?? Number.NaN)),
      ),
    );
  return {
    cpuMs: byVariant('cpuMs'),
    wallMs: byVariant('wallMs'),
    naiveOverOurs: pairedRatios('naive', 'ours'),
    oursOverFloor: pairedRatios('ours', 'floor'),
  };
};
const runsOf = (photo: Photo) => samples.get(photo.name) ?? { naive: [], floor: [], ours: [] };
const perPhoto = new Map(photos.map((photo) => [photo.name, timingOf([runsOf(photo)])]));
const perKind = new Map(
  kinds.map((kind) => [kind, timingOf(photos.filter((photo) => photo.kind === kind).map(runsOf))]),
);

console.log(
  `\n1. Time per image: CPU ms, median of ${rounds} rounds after ${warmupRounds} warm-up, variants back to back` +
    `\n   per photo in rotating order; ratios are medians of per-round ratios. Wall ms for reference.`,
);
const header =
  `${'CPU ms: naive'.padStart(13)}${'floor'.padStart(8)}${'ours'.padStart(8)}` +
  `${'naive/ours'.padStart(12)}${'ours/floor'.padStart(12)}     ${'wall ms: naive'.padStart(14)}` +
  `${'floor'.padStart(8)}${'ours'.padStart(8)}`;
console.log(`   ${''.padEnd(16)} ${header}`);
const row = (timing: Timing) =>
  `${fixed(timing.cpuMs.naive).padStart(13)}${fixed(timing.cpuMs.floor).padStart(8)}` +
  `${fixed(timing.cpuMs.ours).padStart(8)}${times(timing.naiveOverOurs).padStart(12)}` +
  `${times(timing.oursOverFloor).padStart(12)}     ${fixed(timing.wallMs.naive).padStart(14)}` +
  `${fixed(timing.wallMs.floor).padStart(8)}${fixed(timing.wallMs.ours).padStart(8)}`;
for (const photo of photos) {
  const timing = perPhoto.get(photo.name);
  if (timing) console.log(`   ${photo.name.padEnd(16)} ${row(timing)}`);
}

console.log('\n   per input type (all its photos pooled) against the goals:');
const kindGoals = kinds.map((kind) => {
  const timing = perKind.get(kind) as Timing;
  const speedupGoal = goals.naiveOverOurs[kind];
  return {
    kind,
    timing,
    speedupGoal,
    speedupMet: timing.naiveOverOurs >= speedupGoal,
    floorMet: timing.oursOverFloor <= goals.oursOverFloorMax,
  };
});
for (const { kind, timing, speedupGoal, speedupMet, floorMet } of kindGoals) {
  console.log(
    `   ${kind.padEnd(16)} ${row(timing)}` +
      `\n   ${''.padEnd(16)} naive/ours ${times(timing.naiveOverOurs, 3)} goal ≥ ${speedupGoal}×: ${verdict(speedupMet)}` +
      `   ours/floor ${times(timing.oursOverFloor, 3)} goal ≤ ${goals.oursOverFloorMax}×: ${verdict(floorMet)}`,
  );
}
const slowerThanNaive = photos.filter((photo) => (perPhoto.get(photo.name)?.naiveOverOurs ?? 0) < 1);

// 2. Peak RSS ----------------------------------------------------------------------------------------------
const rssPhoto = photos.find((photo) => photo.kind === 'JPEG 24 MP');
if (!rssPhoto) throw new Error('the photo set has no 24 MP JPEG');
const rssRuns = [
  { label: 'idle: imports + configureSharp only', name: 'idle' as const, photo: undefined },
  { label: `ours (resizeImage), ${rssPhoto.name}`, name: 'ours' as const, photo: rssPhoto },
  { label: `naive port, ${rssPhoto.name}`, name: 'naive' as const, photo: rssPhoto },
];
const rssSamples = rssRuns.map(() => ({ afterFirstKb: [] as number[], afterAllKb: [] as number[] }));
const rssSources = new Set<string>();
for (let repeat = 0; repeat < rssRepeats; repeat++) {
  for (const [i, run] of rssRuns.entries()) {
    const sample = await peakRss(run.name, run.photo?.file);
    rssSources.add(sample.source);
    rssSamples[i]?.afterFirstKb.push(sample.afterFirstKb);
    rssSamples[i]?.afterAllKb.push(sample.afterAllKb);
  }
}
// Peak memory is a worst case: the highest of the fresh processes counts.
const rss = rssRuns.map((run, i) => ({
  name: run.name,
  label: run.label,
  afterFirstMb: mb(Math.max(...(rssSamples[i]?.afterFirstKb ?? []))),
  afterAllMb: mb(Math.max(...(rssSamples[i]?.afterAllKb ?? []))),
  spreadMb: spread(rssSamples[i]?.afterAllKb ?? []),
}));
const [rssIdle, rssOurs] = rss as [(typeof rss)[0], (typeof rss)[0]];
const rssGoalMet = rssOurs.afterAllMb <= goals.peakRssMbMax;

console.log(
  `\n2. Peak RSS (${[...rssSources].join(', ')}) of a fresh \`node --import tsx\` process, highest of` +
    ` ${rssRepeats} processes each;\n   sharp settings as above; ${rssCalls} calls per process, as in a warm container; MB`,
);
console.log(
  `   ${''.padEnd(38)}${'1st call'.padStart(9)}${`${rssCalls} calls`.padStart(10)}` +
    `${'over idle'.padStart(11)}${'spread'.padStart(9)}`,
);
for (const entry of rss) {
  const delta = entry.afterAllMb - rssIdle.afterAllMb;
  const over = entry.name === 'idle' ? '—' : `${delta < 0 ? '' : '+'}${fixed(delta)}`;
  const goal =
    entry.name === 'ours' ? `   goal (3 calls) ≤ ${goals.peakRssMbMax} MB: ${verdict(rssGoalMet)}` : '';
  console.log(
    `   ${entry.label.padEnd(38)}${fixed(entry.afterFirstMb).padStart(9)}${fixed(entry.afterAllMb).padStart(10)}` +
      `${over.padStart(11)}${fixed(entry.spreadMb).padStart(9)}${goal}`,
  );
}
console.log(
  '   tsx, which a bundled Lambda does not load, is in every figure: the goal is judged on the absolute peak.',
);

// 3. Cost ---------------------------------------------------------------------------------------------------
const gbSecondsFor = (cpuMs: number) => (cpuMs / 1000) * (memoryMb / 1024);
const dollarsPerMillionFor = (cpuMs: number) =>
  (gbSecondsFor(cpuMs) * pricePerGbSecond + pricePerRequest) * 1_000_000;
const costs = kindGoals.map(({ kind, timing }) => ({
  kind,
  ms: timing.cpuMs.ours,
  gbSeconds: gbSecondsFor(timing.cpuMs.ours),
  dollarsPerMillion: dollarsPerMillionFor(timing.cpuMs.ours),
  naiveDollarsPerMillion: dollarsPerMillionFor(timing.cpuMs.naive),
}));
console.log(
  `\n3. Cost at ${memoryMb} MB on arm64: GB-s = s × ${memoryMb}/1024; $${pricePerGbSecond} per GB-s` +
    ' (us-east-1, first 7.5 B GB-s/month)' +
    '\n   + $0.20 per 1M requests; resizing only (no S3 reads or writes, no cold start)',
);
console.log(
  `   ${''.padEnd(16)}${'ours ms'.padStart(8)}${'GB-s/image'.padStart(12)}${'$/1M images'.padStart(13)}`,
);
for (const cost of costs) {
  console.log(
    `   ${cost.kind.padEnd(16)}${fixed(cost.ms).padStart(8)}${cost.gbSeconds.toFixed(4).padStart(12)}` +
      `${cost.dollarsPerMillion.toFixed(2).padStart(13)}   (naive port: $${cost.naiveDollarsPerMillion.toFixed(2)})`,
  );
}
console.log(
  `   Caveat: measured on this ${arch()} machine, not on a Graviton core; the arm64 smoke test proves it` +
    '\n   runs there, not how fast.',
);

// Verdict ---------------------------------------------------------------------------------------------------
const unmet = [
  ...kindGoals.flatMap(({ kind, timing, speedupGoal, speedupMet, floorMet }) => [
    ...(speedupMet ? [] : [`${kind}: naive/ours ${times(timing.naiveOverOurs, 3)} < ${speedupGoal}×`]),
    ...(floorMet
      ? []
      : [`${kind}: ours/floor ${times(timing.oursOverFloor, 3)} > ${goals.oursOverFloorMax}×`]),
  ]),
  ...(rssGoalMet ? [] : [`peak RSS ${fixed(rssOurs.afterAllMb)} MB > ${goals.peakRssMbMax} MB`]),
];
const goalCount = kindGoals.length * 2 + 1;
console.log(
  `\nGoals: ${goalCount - unmet.length} of ${goalCount} met${unmet.length ? ` — not met: ${unmet.join('; ')}` : ''}` +
    ` (bench took ${fixed((performance.now() - benchStarted) / 1000)} s)`,
);
for (const photo of slowerThanNaive) {
  const ratio = perPhoto.get(photo.name)?.naiveOverOurs ?? Number.NaN;
  console.log(
    `FAIL: resizeImage is slower than the naive port on ${photo.name} (naive/ours ${times(ratio)})`,
  );
  process.exitCode = 1;
}

const roundAll = (record: Record<string, number>) =>
  Object.fromEntries(Object.entries(record).map(([key, value]) => [key, round(value)]));
console.log(
  `BENCH_JSON ${JSON.stringify({
    node: process.version,
    arch: arch(),
    cpus: availableParallelism(),
    sharp: sharp.versions.sharp,
    vips: sharp.versions.vips,
    sharpSettings: { memoryMb, ...settings },
    rounds,
    warmupRounds,
    measure: 'cpuMs',
    photos: photos.map((photo) => ({
      name: photo.name,
      kind: photo.kind,
      width: photo.width,
      height: photo.height,
      orientation: photo.orientation,
      mb: round(photo.bytes / 1024 / 1024),
      ...serializeTiming(perPhoto.get(photo.name)),
    })),
    kinds: kindGoals.map(({ kind, timing, speedupGoal, speedupMet, floorMet }) => ({
      kind,
      ...serializeTiming(timing),
      goals: {
        naiveOverOursMin: speedupGoal,
        naiveOverOursMet: speedupMet,
        oursOverFloorMax: goals.oursOverFloorMax,
        oursOverFloorMet: floorMet,
      },
    })),
    peakRss: {
      photo: rssPhoto.name,
      calls: rssCalls,
      processes: rssRepeats,
      mb: Object.fromEntries(
        rss.map((entry) => [
          entry.name,
          { afterFirst: round(entry.afterFirstMb), afterAll: round(entry.afterAllMb) },
        ]),
      ),
      source: [...rssSources].join(', '),
      goal: { oursMbMax: goals.peakRssMbMax, met: rssGoalMet },
    },
    cost: {
      memoryMb,
      pricePerGbSecond,
      pricePerMillionRequests: pricePerRequest * 1_000_000,
      perKind: costs.map((cost) => ({
        kind: cost.kind,
        ms: round(cost.ms),
        gbSeconds: Math.round(cost.gbSeconds * 1e6) / 1e6,
        dollarsPerMillion: round(cost.dollarsPerMillion),
        naiveDollarsPerMillion: round(cost.naiveDollarsPerMillion),
      })),
    },
    slowerThanNaive: slowerThanNaive.map((photo) => photo.name),
    goalsUnmet: unmet,
  })}`,
);

function serializeTiming(timing: Timing | undefined) {
  if (!timing) return {};
  return {
    cpuMs: roundAll(timing.cpuMs),
    wallMs: roundAll(timing.wallMs),
    naiveOverOurs: round(timing.naiveOverOurs),
    oursOverFloor: round(timing.oursOverFloor),
  };
}

// Helpers ---------------------------------------------------------------------------------------------------

function inputFor(photo: Photo): Buffer {
  const input = inputs.get(photo.name);
  if (!input) throw new Error(`${photo.name} was not loaded`);
  return input;
}

/** One call of one variant: CPU time of every thread in this process, and wall time. */
async function timeOnce(name: VariantName, input: Buffer): Promise<Sample> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await variants[name](input);
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs };
}

/** The naive port and resizeImage agree on every size, the floor on the largest, all upright. */
async function checkOutputs(photo: Photo, input: Buffer): Promise<void> {
  const dimensions = (outputs: { width: number; height: number }[]) =>
    outputs.map(({ width, height }) => `${width}x${height}`).join(' ');
  const [naive, floor, ours] = [
    dimensions(await variants.naive(input)),
    dimensions(await variants.floor(input)),
    dimensions(await variants.ours(input)),
  ];
  // Orientations 5–8 turn the picture a quarter: a landscape-stored photo comes out portrait.
  const quarterTurn = photo.orientation >= 5;
  const landscapeExpected = quarterTurn ? photo.height > photo.width : photo.width > photo.height;
  const large = ours.split(' ').at(-1) ?? '';
  const [largeWidth = 0, largeHeight = 0] = large.split('x').map(Number);
  if (naive !== ours || floor !== large || landscapeExpected !== largeWidth > largeHeight) {
    throw new Error(`${photo.name}: outputs disagree — naive ${naive}, floor ${floor}, ours ${ours}`);
  }
}

interface RssSample {
  afterFirstKb: number;
  afterAllKb: number;
  source: string;
}

/** Peak RSS of one fresh child process running `name` on `file`. */
async function peakRss(name: VariantName | 'idle', file?: string): Promise<RssSample> {
  const args = ['--import', 'tsx', childScript, name, ...(file ? [file, String(rssCalls)] : [])];
  // Nothing from this process's NODE_OPTIONS may change the child's heap or loaders.
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  const stdout = await outputOf(`peak-rss child ${name}`, process.execPath, args, { cwd: packageDir, env });
  return JSON.parse(stdout) as RssSample;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = (sorted.length - 1) / 2;
  return ((sorted[Math.floor(middle)] ?? Number.NaN) + (sorted[Math.ceil(middle)] ?? Number.NaN)) / 2;
}

function spread(kbValues: number[]): number {
  return mb(Math.max(...kbValues) - Math.min(...kbValues));
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
