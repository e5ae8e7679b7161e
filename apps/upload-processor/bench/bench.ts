/**
 * upload-processor benchmark: `pnpm bench` from the repo root (turbo builds dist/ first), or `pnpm bench`
 * here after `pnpm build`. Timings on a shared machine are noise in absolute terms, so every timing is
 * read as a ratio against a baseline measured in the same run. Goals are reported, never asserted: the
 * bench exits non-zero only when it could not measure (a child failed, a stub saw the wrong calls).
 *
 * 1. Bundle size: dist/index.mjs in KB (1024 bytes) against a 400 KB goal, and what fills it: the bytes
 *    each package contributes to the output, from dist/meta.json (esbuild's metafile).
 * 2. Cold start: a fresh `node`, started as Lambda's bootstrap starts it, imports the bundle — as built,
 *    and as deployed with its compile cache — and serves one EventBridge "Object Created" event; one stub HTTP server on 127.0.0.1 answers the three services that first request uses —
 *    S3 GetObject (path-style, as the SDK addresses an IP endpoint), DynamoDB GetItem/PutItem/UpdateItem
 *    (JSON protocol) and SNS Publish (query protocol). The same for an empty handler is the baseline.
 *    (a) spawn→exit wall time, (b) import()→first response inside the child. Variants interleaved;
 *    medians and p90s; ratios ×empty. Goal: (a) as deployed ≤ 1.5× empty.
 *    The harness is @repo/testing/cold-start; bench/check-response.mjs is what each response must be.
 * 3. Stream pass: scanObject over a 100 MB object (random bytes behind a PNG header, in memory, fed as an
 *    async iterable of 64 KiB chunks, as the SDK's body stream is) against a plain SHA-256 over the same
 *    iterable — the one pass the scan cannot avoid. Alternating rounds; MB/s medians (MB = 1024² bytes)
 *    and their ratio. Goal: scanObject ≥ 0.8× the plain hash.
 *
 * The last line is `BENCH_JSON {…}` with every figure, for tools to grep.
 */
import { createHash, randomFillSync, randomUUID } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { arch, availableParallelism, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  coldStart,
  deployedBundle,
  lambdaColdStartEnvironment,
  type Summary,
  summarize,
} from '@repo/testing/cold-start';
import { scanObject } from '../src/scan-object.ts';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const distDir = join(appDir, 'dist');
const checkScript = fileURLToPath(new URL('./check-response.mjs', import.meta.url));

const bundleGoalKb = 400;
const topContributors = 12;
const coldStartGoalRatio = 1.5;
const coldStartRuns = 20;
const coldStartWarmups = 2;
const scanGoalRatio = 0.8;
const MB = 1024 * 1024;
const scanObjectBytes = 100 * MB;
const scanChunkBytes = 64 * 1024;
const scanRounds = 9;
const scanWarmups = 2;
// Nothing reaches stdout on the cold start's happy path (Powertools logs each outcome at INFO).
const logLevel = 'ERROR';

const kb = (bytes: number) => bytes / 1024;
const fixed = (value: number, digits = 1) => value.toFixed(digits);
const ratio = (value: number) => `${value.toFixed(2)}×`;

console.log(
  `upload-processor bench — node ${process.version} ${platform()}/${arch()}, ${availableParallelism()} CPUs`,
);

// Cold starts run private copies in a temporary folder: a build running meanwhile empties dist/ first.
const workDir = await mkdtemp(join(tmpdir(), 'upload-processor-bench-'));
try {
  // 1. Bundle size --------------------------------------------------------------------------------------
  const bundle = await readFile(join(distDir, 'index.mjs')).catch(() => {
    throw new Error(`${distDir}/index.mjs is missing: run \`pnpm build\` first (root \`pnpm bench\` does)`);
  });
  const metafile = JSON.parse(await readFile(join(distDir, 'meta.json'), 'utf8')) as Metafile;
  const bundledFile = join(workDir, 'bundled', 'index.mjs');
  await mkdir(join(workDir, 'bundled'));
  await writeFile(bundledFile, bundle);
  // The bundle ends in `//# sourceMappingURL=index.mjs.map`; with --enable-source-maps node reads it at
  // import, as on Lambda, so the map goes along.
  await copyFile(join(distDir, 'index.mjs.map'), `${bundledFile}.map`);

  const bundleBytes = bundle.byteLength;
  const bundleGoalMet = kb(bundleBytes) <= bundleGoalKb;
  const contributors = bundleContributors(metafile);
  const sdkBytes = contributors
    .filter(({ name }) => name.startsWith('@aws-sdk/') || name.startsWith('@smithy/'))
    .reduce((sum, { bytes }) => sum + bytes, 0);
  console.log('\n1. Bundle size');
  console.log(
    `   dist/index.mjs  ${fixed(kb(bundleBytes))} KB   goal ≤ ${bundleGoalKb} KB   ` +
      `${bundleGoalMet ? 'OK' : `NOT MET (${fixed(kb(bundleBytes) - bundleGoalKb)} KB over)`}`,
  );
  console.log(`   top contributors (bytes in the output, by package; dist/meta.json):`);
  for (const { name, bytes } of contributors.slice(0, topContributors)) {
    console.log(
      `     ${name.padEnd(34)} ${fixed(kb(bytes)).padStart(6)} KB  ${fixed((bytes / bundleBytes) * 100).padStart(4)} %`,
    );
  }
  const rest = contributors.slice(topContributors);
  console.log(
    `     ${`${rest.length} others`.padEnd(34)} ${fixed(kb(rest.reduce((sum, { bytes }) => sum + bytes, 0))).padStart(6)} KB`,
  );
  console.log(
    `   AWS SDK in all (@aws-sdk/* + @smithy/*): ${fixed(kb(sdkBytes))} KB ` +
      `(${fixed((sdkBytes / bundleBytes) * 100)} %)`,
  );

  // 2. Cold start -----------------------------------------------------------------------------------------
  const emptyFile = join(workDir, 'empty', 'index.mjs');
  await mkdir(join(workDir, 'empty'));
  await writeFile(emptyFile, 'export const handler = async () => [];\n');

  const bucket = 'uploads-bench';
  const key = 'uploads/2026/11/27/notes.txt';
  const objectBody = Buffer.from('Meeting notes, 27 November: the upload-processor bench reads this.\n');
  const objectEtag = createHash('md5').update(objectBody).digest('hex');
  const objectSha256 = createHash('sha256').update(objectBody).digest('hex');
  const eventFile = join(workDir, 'object-created.json');
  await writeFile(eventFile, JSON.stringify(objectCreated(bucket, key, objectBody.byteLength, objectEtag)));

  const stub = await startServiceStub({ bucket, key, body: objectBody, etag: objectEtag });
  const childEnv = lambdaColdStartEnvironment({
    functionName: 'upload-processor',
    workDir,
    variables: {
      AWS_ENDPOINT_URL: stub.url,
      UPLOADS_TABLE_NAME: 'uploads',
      UPLOADS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:uploads',
      POWERTOOLS_LOG_LEVEL: logLevel,
    },
  });
  // As sam build ships it: the bundle with the compile cache lambda.mk writes (tooling/bundler).
  const deployed = await deployedBundle(bundledFile, join(workDir, 'deployed'));
  const variants = [
    { name: 'empty', label: 'empty handler', file: emptyFile, records: false, env: {} },
    { name: 'bundled', label: 'dist/index.mjs', file: bundledFile, records: true, env: {} },
    {
      name: 'deployed',
      label: '+ compile cache',
      file: deployed.handlerFile,
      records: true,
      env: deployed.env,
    },
  ] as const;
  type VariantName = (typeof variants)[number]['name'];
  const samples: Record<VariantName, { wallMs: number[]; firstResponseMs: number[] }> = {
    empty: { wallMs: [], firstResponseMs: [] },
    bundled: { wallMs: [], firstResponseMs: [] },
    deployed: { wallMs: [], firstResponseMs: [] },
  };

  for (let round = 0; round < coldStartWarmups + coldStartRuns; round++) {
    // Rotate which variant goes first, so drift (neighbours, CPU frequency) hits all alike.
    const order = variants.map((_, index) => variants[(index + round) % variants.length]);
    for (const variant of order) {
      if (!variant) continue;
      const sample = await coldStart({
        handlerFile: variant.file,
        eventFile,
        env: { ...childEnv, ...variant.env },
        args: [checkScript, ...(variant.records ? [objectSha256] : [])],
      });
      if (round < coldStartWarmups) continue;
      samples[variant.name].wallMs.push(sample.wallMs);
      samples[variant.name].firstResponseMs.push(sample.firstResponseMs);
    }
  }
  await stub.close();
  // Every run of a bundle made exactly the calls of one first-time upload: the stub really served them.
  const bundledRuns =
    (coldStartWarmups + coldStartRuns) * variants.filter((variant) => variant.records).length;
  // Keys in the stub's (sorted) order.
  const expectedCalls = {
    'DynamoDB.GetItem': bundledRuns,
    'DynamoDB.PutItem': bundledRuns,
    // One moves the object's `latest` item, one marks the version notified.
    'DynamoDB.UpdateItem': 2 * bundledRuns,
    'S3.GetObject': bundledRuns,
    'SNS.Publish': bundledRuns,
  };
  if (JSON.stringify(stub.calls()) !== JSON.stringify(expectedCalls)) {
    throw new Error(
      `service stub saw ${JSON.stringify(stub.calls())}, expected ${JSON.stringify(expectedCalls)}`,
    );
  }

  const coldStartStats = Object.fromEntries(
    variants.map(({ name }) => [
      name,
      {
        wallMs: summarize(samples[name].wallMs),
        firstResponseMs: summarize(samples[name].firstResponseMs),
      },
    ]),
  ) as { [Name in VariantName]: { wallMs: Summary; firstResponseMs: Summary } };
  const coldStartRatios = {
    wall: coldStartStats.deployed.wallMs.median / coldStartStats.empty.wallMs.median,
    firstResponse:
      coldStartStats.deployed.firstResponseMs.median / coldStartStats.empty.firstResponseMs.median,
  };
  const coldStartGoalMet = coldStartRatios.wall <= coldStartGoalRatio;

  console.log(
    `\n2. Cold start: fresh node process started as Lambda's bootstrap starts it, first EventBridge "Object Created" served` +
      `\n   (S3 GetObject, DynamoDB GetItem + PutItem + 2 UpdateItem, SNS Publish against one local stub);` +
      `\n   ${coldStartRuns} runs per variant after ${coldStartWarmups} warm-ups, interleaved; ms`,
  );
  const columns = `${'median'.padStart(6)}  ${'p90'.padStart(6)}  ${'×empty'.padStart(6)}`;
  console.log(`${''.padEnd(19)}${'(a) spawn→exit'.padEnd(28)}(b) import()→first response`);
  console.log(`${''.padEnd(19)}${columns}      ${columns}`);
  const cells = (name: VariantName, measure: 'wallMs' | 'firstResponseMs') => {
    const { median, p90 } = coldStartStats[name][measure];
    const times =
      name === 'empty' ? '     —' : ratio(median / coldStartStats.empty[measure].median).padStart(6);
    return `${fixed(median).padStart(6)}  ${fixed(p90).padStart(6)}  ${times}`;
  };
  for (const { name, label } of variants) {
    const goal =
      name === 'deployed'
        ? `   goal (a) ≤ ${coldStartGoalRatio}×: ${coldStartGoalMet ? 'OK' : 'NOT MET'}`
        : '';
    console.log(
      `   ${label.padEnd(15)} ${cells(name, 'wallMs')}      ${cells(name, 'firstResponseMs')}${goal}`,
    );
  }

  // 3. Stream pass throughput ------------------------------------------------------------------------------
  const object = Buffer.allocUnsafe(scanObjectBytes);
  randomFillSync(object);
  pngHeader().copy(object);
  const chunks = async function* (): AsyncGenerator<Uint8Array> {
    for (let offset = 0; offset < object.byteLength; offset += scanChunkBytes) {
      yield object.subarray(offset, offset + scanChunkBytes);
    }
  };
  // The largest object config allows, so the scan never stops early; the default preview size.
  const scanOptions = { maxBytes: 5 * 1024 ** 3, previewBytes: 1024 };
  const plainSha256 = async () => {
    const hash = createHash('sha256');
    for await (const chunk of chunks()) hash.update(chunk);
    return hash.digest('hex');
  };
  const expectedDigest = createHash('sha256').update(object).digest('hex');
  const scan = await scanObject(chunks(), scanOptions);
  if (
    scan.sha256 !== expectedDigest ||
    scan.size !== scanObjectBytes ||
    scan.detectedContentType !== 'image/png'
  ) {
    throw new Error(`scanObject got ${JSON.stringify(scan)}; expected a ${scanObjectBytes}-byte image/png`);
  }
  if ((await plainSha256()) !== expectedDigest) throw new Error('the plain hash pass got another digest');

  const timeMbPerS = async (pass: () => Promise<unknown>) => {
    const started = performance.now();
    await pass();
    return scanObjectBytes / MB / ((performance.now() - started) / 1000);
  };
  const scanPass = () => scanObject(chunks(), scanOptions);
  const scanMbPerS: number[] = [];
  const plainMbPerS: number[] = [];
  const roundRatios: number[] = [];
  for (let round = 0; round < scanWarmups + scanRounds; round++) {
    let scanned: number;
    let plain: number;
    if (round % 2 === 0) {
      scanned = await timeMbPerS(scanPass);
      plain = await timeMbPerS(plainSha256);
    } else {
      plain = await timeMbPerS(plainSha256);
      scanned = await timeMbPerS(scanPass);
    }
    if (round < scanWarmups) continue;
    scanMbPerS.push(scanned);
    plainMbPerS.push(plain);
    roundRatios.push(scanned / plain);
  }
  const scanStats = { scanObject: summarize(scanMbPerS), plainHash: summarize(plainMbPerS) };
  const scanRatio = scanStats.scanObject.median / scanStats.plainHash.median;
  const scanGoalMet = scanRatio >= scanGoalRatio;
  const sortedRatios = [...roundRatios].sort((a, b) => a - b);

  console.log(
    `\n3. Stream pass: ${scanObjectBytes / MB} MB in memory (PNG header + random bytes), ` +
      `${scanChunkBytes / 1024} KiB chunks from an async iterable;` +
      `\n   ${scanRounds} alternating rounds after ${scanWarmups} warm-ups; MB/s (MB = 1024² bytes)`,
  );
  console.log(`${''.padEnd(37)}${'median'.padStart(7)}  ${'p90'.padStart(7)}`);
  console.log(
    `   plain createHash('sha256')        ${fixed(scanStats.plainHash.median, 0).padStart(7)}  ${fixed(scanStats.plainHash.p90, 0).padStart(7)}`,
  );
  console.log(
    `   scanObject (size, SHA-256, type)  ${fixed(scanStats.scanObject.median, 0).padStart(7)}  ${fixed(scanStats.scanObject.p90, 0).padStart(7)}` +
      `   ${ratio(scanRatio)} plain   goal ≥ ${scanGoalRatio}×: ${scanGoalMet ? 'OK' : 'NOT MET'}`,
  );
  console.log(
    `   per-round ratio spread: ${ratio(sortedRatios[0] ?? Number.NaN)} – ${ratio(sortedRatios.at(-1) ?? Number.NaN)}`,
  );

  console.log(
    `BENCH_JSON ${JSON.stringify({
      node: process.version,
      cpus: availableParallelism(),
      bundle: {
        file: 'dist/index.mjs',
        kb: round(kb(bundleBytes)),
        goal: { kbMax: bundleGoalKb, met: bundleGoalMet },
        sdkKb: round(kb(sdkBytes)),
        top: contributors
          .slice(0, topContributors)
          .map(({ name, bytes }) => ({ name, kb: round(kb(bytes)) })),
      },
      coldStart: {
        runs: coldStartRuns,
        warmups: coldStartWarmups,
        wallMs: mapStats(coldStartStats, 'wallMs'),
        firstResponseMs: mapStats(coldStartStats, 'firstResponseMs'),
        ratioToEmpty: {
          wall: round(coldStartRatios.wall),
          firstResponse: round(coldStartRatios.firstResponse),
        },
        goal: { wallRatioMax: coldStartGoalRatio, met: coldStartGoalMet },
      },
      scan: {
        objectMb: scanObjectBytes / MB,
        chunkKiB: scanChunkBytes / 1024,
        rounds: scanRounds,
        mbPerS: {
          scanObject: round(scanStats.scanObject.median),
          plainHash: round(scanStats.plainHash.median),
        },
        ratio: round(scanRatio),
        roundRatios: {
          min: round(sortedRatios[0] ?? Number.NaN),
          max: round(sortedRatios.at(-1) ?? Number.NaN),
        },
        goal: { ratioMin: scanGoalRatio, met: scanGoalMet },
      },
    })}`,
  );

  function mapStats(
    stats: { [Name in VariantName]: { wallMs: Summary; firstResponseMs: Summary } },
    measure: 'wallMs' | 'firstResponseMs',
  ) {
    return Object.fromEntries(
      variants.map(({ name }) => [
        name,
        { median: round(stats[name][measure].median), p90: round(stats[name][measure].p90) },
      ]),
    );
  }
} finally {
  await rm(workDir, { recursive: true, force: true });
}

// Helpers ---------------------------------------------------------------------------------------------------

/** The part of esbuild's metafile read here (esbuild is @repo/bundler's dependency, not this app's). */
interface Metafile {
  outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }> }>;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Bytes in dist/index.mjs per package (workspace packages as @repo/*, this app's own code as src/). */
function bundleContributors(metafile: Metafile): { name: string; bytes: number }[] {
  const output = metafile.outputs['dist/index.mjs'];
  if (!output) throw new Error(`dist/meta.json has no dist/index.mjs output`);
  const byPackage = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
    const name =
      /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1] ??
      /^(?:\.\.\/)+packages\/([^/]+)\//.exec(path)?.[1]?.replace(/^/, '@repo/') ??
      (path.startsWith('src/') ? 'upload-processor src/' : path);
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  return [...byPackage]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
}

/** A real-shaped EventBridge "Object Created" event (as image-resizer's tests/unit/events.ts builds one). */
function objectCreated(bucket: string, key: string, size: number, etag: string) {
  return {
    version: '0',
    id: 'b6d5e1f2-3a4b-4c5d-8e9f-0a1b2c3d4e5f',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '123456789012',
    time: '2026-11-27T10:00:00Z',
    region: 'us-east-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: { key, size, etag, sequencer: '0055AED6DCD90281E5' },
      'request-id': 'C3D13FE58DE4C810',
      requester: '123456789012',
      'source-ip-address': '203.0.113.7',
      reason: 'PutObject',
    },
  };
}

/**
 * The first 41 bytes of a PNG: signature, a 13-byte IHDR (1920×1080 RGB) and the header of an IDAT chunk,
 * which is where file-type decides "image/png" (before it, an acTL chunk would mean APNG).
 */
function pngHeader(): Buffer {
  const header = Buffer.alloc(41);
  header.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 0);
  header.writeUInt32BE(13, 8);
  header.write('IHDR', 12, 'latin1');
  header.writeUInt32BE(1920, 16);
  header.writeUInt32BE(1080, 20);
  header.set([8, 2, 0, 0, 0], 24); // bit depth 8, colour type RGB, deflate, adaptive filter, no interlace
  header.writeUInt32BE(0, 29); // CRC: file-type does not check it
  header.writeUInt32BE(scanObjectBytes - 41 - 4, 33); // IDAT: the random rest, bar a CRC-sized tail
  header.write('IDAT', 37, 'latin1');
  return header;
}

/**
 * S3, DynamoDB and SNS on one port of 127.0.0.1, as the handler's clients reach them through
 * AWS_ENDPOINT_URL: S3 GetObject of the one object (path-style, honouring If-Match like S3), DynamoDB
 * GetItem / PutItem / UpdateItem answering `{}` (no item yet, writes accepted), SNS Publish answering a
 * PublishResponse. Anything else is a 400, so an unexpected call fails the child loudly.
 */
async function startServiceStub(object: { bucket: string; key: string; body: Buffer; etag: string }) {
  const calls: Record<string, number> = {};
  const count = (call: string) => {
    calls[call] = (calls[call] ?? 0) + 1;
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const requestId = randomUUID();
      const reply = (status: number, headers: Record<string, string | number>, body: string | Buffer) => {
        response.writeHead(status, {
          'content-length': Buffer.byteLength(body),
          'x-amzn-requestid': requestId,
          'x-amz-request-id': requestId,
          ...headers,
        });
        response.end(body);
      };
      const refuse = (what: string) =>
        reply(400, { 'content-type': 'text/plain' }, `bench stub does not answer ${what}`);
      const url = new URL(request.url ?? '/', 'http://stub');
      const target = request.headers['x-amz-target'];

      if (
        request.method === 'GET' &&
        decodeURIComponent(url.pathname) === `/${object.bucket}/${object.key}`
      ) {
        const etag = `"${object.etag}"`;
        const ifMatch = request.headers['if-match'];
        if (ifMatch !== undefined && ifMatch !== etag) {
          reply(412, { 'content-type': 'application/xml' }, '<Error><Code>PreconditionFailed</Code></Error>');
          return;
        }
        count('S3.GetObject');
        reply(
          200,
          {
            'content-type': 'text/plain',
            etag,
            'last-modified': 'Fri, 27 Nov 2026 10:00:00 GMT',
            'accept-ranges': 'bytes',
          },
          object.body,
        );
        return;
      }
      if (request.method === 'POST' && typeof target === 'string') {
        const operation = target.replace(/^DynamoDB_20120810\./, '');
        if (operation === target || !['GetItem', 'PutItem', 'UpdateItem'].includes(operation)) {
          refuse(`X-Amz-Target ${target}`);
          return;
        }
        count(`DynamoDB.${operation}`);
        reply(200, { 'content-type': 'application/x-amz-json-1.0' }, '{}');
        return;
      }
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      if (request.method === 'POST' && form.get('Action') === 'Publish') {
        count('SNS.Publish');
        reply(
          200,
          { 'content-type': 'text/xml' },
          `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">` +
            `<PublishResult><MessageId>${randomUUID()}</MessageId></PublishResult>` +
            `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`,
        );
        return;
      }
      refuse(`${request.method} ${request.url}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    /** Calls answered, by service and operation, in a stable key order. */
    calls: () => Object.fromEntries(Object.entries(calls).sort(([a], [b]) => a.localeCompare(b))),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
