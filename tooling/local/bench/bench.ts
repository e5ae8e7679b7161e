/**
 * Local stack benchmark: `pnpm bench` from the repo root (turbo builds first), or `pnpm bench` here.
 * End-to-end throughput through `pnpm dev` with the repo's template on moto, at an account concurrency
 * of 1 and at the default (10), in one run: how much the execution environments buy on this machine.
 *
 * 1. API: `PUT /users/{id}` by as many signed-in users as the account concurrency, each replacing
 *    their own record, one request at a time (so none is throttled), after a warm-up that starts that
 *    many environments; requests per second — the local Cognito authorizer verifies every token.
 * 2. Uploads: `uploads` JPEGs (1600×1000) put at once, after a warm-up batch of as many; uploads per
 *    second until all four outputs of every one are under `processed/`. image-resizer and
 *    upload-processor both take every upload and share the account's concurrency: what is over it is
 *    throttled and waits (1 s, doubling) as Lambda's asynchronous invocation does — the figure includes
 *    those waits.
 * Rounds alternate the order (1, 10, 10, 1, …); each figure is the median of its rounds. Throttles are
 * counted from the stack file's per-function statistics.
 *
 * Ratios are what to read: this machine's absolute rates say little about another's, or about AWS.
 * The last line is `BENCH_JSON {…}` with every figure, for tools to grep.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, platform } from 'node:os';
import { performance } from 'node:perf_hooks';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { eventually } from '@repo/testing/wait';
import sharp from 'sharp';
import { defaultLimits } from '../src/function-host.ts';
import type { StackFile } from '../src/local-stack.ts';
import { startDev } from '../tests/dev-process.ts';

const rounds = 2;
const apiRequests = 120;
const uploads = 12;
const settings = [1, defaultLimits.account];

interface Sample {
  concurrency: number;
  apiPerSecond: number;
  uploadsPerSecond: number;
  throttles: number;
}

const image = await sharp({
  create: { width: 1600, height: 1000, channels: 3, background: { r: 30, g: 120, b: 140 } },
})
  .jpeg({ quality: 85 })
  .toBuffer();

async function measure(concurrency: number, round: number): Promise<Sample> {
  const dev = await startDev(['--concurrency', String(concurrency)], 180_000);
  try {
    // One signed-in user per request in flight, each replacing their own record: API Gateway's
    // authorizer and users-api's authorization run on every request, as in AWS.
    const users: { headers: Record<string, string>; id: string }[] = [];
    for (let n = 0; n < concurrency; n += 1) {
      const headers = {
        'content-type': 'application/json',
        ...(await dev.signIn(`bench-${round}-${concurrency}-${n}@example.com`)),
      };
      const created = await fetch(`${dev.stack.apiUrl}/users`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 'Bench User', email: `bench-${n}@example.com` }),
      });
      if (created.status !== 201) throw new Error(`POST /users answered ${created.status}`);
      users.push({ headers, id: ((await created.json()) as { id: string }).id });
    }
    const put = async ({ headers, id }: { headers: Record<string, string>; id: string }, n: number) => {
      const response = await fetch(`${dev.stack.apiUrl}/users/${id}`, {
        method: 'PUT',
        headers,
        body: JSON.stringify({ name: `Bench User ${n}`, email: `bench-${n}@example.com` }),
      });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`PUT /users/{id} answered ${response.status}`);
    };
    /** `total` requests, one per user at a time, all users at once. */
    const drive = async (total: number) => {
      let next = 0;
      await Promise.all(
        users.map(async (user) => {
          while (next < total) await put(user, next++);
        }),
      );
    };
    await drive(concurrency * 2);
    const apiStarted = performance.now();
    await drive(apiRequests);
    const apiSeconds = (performance.now() - apiStarted) / 1000;

    const s3 = new S3Client({
      endpoint: dev.stack.endpoint,
      region: dev.stack.region,
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const bucket = dev.stack.resources.UploadsBucket?.ref as string;
    /** Puts `uploads` images at once and waits for every output so far; seconds taken. */
    const uploadAll = async (batch: string) => {
      const started = performance.now();
      await Promise.all(
        Array.from({ length: uploads }, (_, index) =>
          s3.send(
            new PutObjectCommand({ Bucket: bucket, Key: `uploads/${batch}-${index}.jpg`, Body: image }),
          ),
        ),
      );
      await outputs(batch === 'warm-up' ? uploads * 4 : uploads * 8);
      return (performance.now() - started) / 1000;
    };
    const outputs = (expected: number) =>
      eventually(
        async () => {
          let count = 0;
          let token: string | undefined;
          do {
            const page = await s3.send(
              new ListObjectsV2Command({ Bucket: bucket, Prefix: 'processed/', ContinuationToken: token }),
            );
            count += page.KeyCount ?? 0;
            token = page.NextContinuationToken;
          } while (token);
          return count >= expected ? true : undefined;
        },
        600_000,
        `${expected} outputs`,
        25,
      );
    // The first batch starts the environments (cold starts); the second is measured.
    await uploadAll('warm-up');
    const uploadSeconds = await uploadAll('measured');
    s3.destroy();
    const stats = (JSON.parse(readFileSync(dev.stackFile, 'utf8')) as StackFile).concurrency ?? {};
    return {
      concurrency,
      apiPerSecond: apiRequests / apiSeconds,
      uploadsPerSecond: uploads / uploadSeconds,
      throttles: Object.values(stats).reduce((sum, stat) => sum + stat.throttles, 0),
    };
  } finally {
    await dev.stop();
  }
}

console.log(`local stack bench — node ${process.version} ${platform()}, ${availableParallelism()} CPUs`);
console.log(
  `pnpm dev with the repo's template on moto; ${apiRequests} PUT /users/{id}, ${uploads} uploads to four outputs; ` +
    `${rounds} rounds per setting, alternating\n`,
);
const samples: Sample[] = [];
for (let round = 0; round < rounds; round += 1) {
  const order = round % 2 === 0 ? settings : [...settings].reverse();
  for (const concurrency of order) {
    const sample = await measure(concurrency, round);
    samples.push(sample);
    console.log(
      `  round ${round + 1}, concurrency ${String(concurrency).padStart(2)}: ` +
        `${sample.apiPerSecond.toFixed(1)} req/s, ${sample.uploadsPerSecond.toFixed(2)} uploads/s, ` +
        `${sample.throttles} throttles`,
    );
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = (sorted.length - 1) / 2;
  return ((sorted[Math.floor(middle)] ?? Number.NaN) + (sorted[Math.ceil(middle)] ?? Number.NaN)) / 2;
};
const summary = Object.fromEntries(
  settings.map((concurrency) => {
    const mine = samples.filter((sample) => sample.concurrency === concurrency);
    return [
      concurrency,
      {
        apiPerSecond: median(mine.map((sample) => sample.apiPerSecond)),
        uploadsPerSecond: median(mine.map((sample) => sample.uploadsPerSecond)),
        throttles: median(mine.map((sample) => sample.throttles)),
      },
    ];
  }),
);
const [low, high] = settings.map((concurrency) => summary[concurrency]) as [
  (typeof summary)[number],
  (typeof summary)[number],
];
console.log(`
                          concurrency 1   concurrency ${defaultLimits.account}     ratio
  API requests/s          ${low.apiPerSecond.toFixed(1).padStart(13)}   ${high.apiPerSecond.toFixed(1).padStart(14)}   ${(high.apiPerSecond / low.apiPerSecond).toFixed(2).padStart(6)}×
  uploads/s (4 outputs)   ${low.uploadsPerSecond.toFixed(2).padStart(13)}   ${high.uploadsPerSecond.toFixed(2).padStart(14)}   ${(high.uploadsPerSecond / low.uploadsPerSecond).toFixed(2).padStart(6)}×
  throttles (median)      ${String(low.throttles).padStart(13)}   ${String(high.throttles).padStart(14)}
`);
console.log(`BENCH_JSON ${JSON.stringify({ samples, summary })}`);
