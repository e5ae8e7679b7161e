/**
 * `pnpm enqueue-resize [--prefix uploads/] [--bucket B] [--queue-url U] [--stack-file .local/stack.json]
 * [--sizes thumbnail,small] [--format webp] [--dry-run]`: a backfill. Lists every object under the prefix
 * and sends one resize job per object to the batch worker's queue.
 *
 * With a `pnpm dev` running, its stack file supplies endpoint, region, bucket and queue: no flags needed.
 * Against AWS, pass --bucket and --queue-url; region, credentials and AWS_ENDPOINT_URL come from the SDK's
 * usual chain. The work is `enqueueResizeJobs`; the rest of this file is the command line around it.
 */
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  type BatchResultErrorEntry,
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { defaultSizes } from '@repo/image/outputs';
import type { OutputFormat } from '@repo/image/resize-image';
import { findWorkspaceRoot } from '@repo/sam-template/read-template';
import pLimit from 'p-limit';
import * as z from 'zod/mini';
import type { ResizeJob } from '../src/jobs.ts';

// SendMessageBatch takes at most 10 entries (and 256 KiB in all; a job is well under 2 KiB).
const entriesPerBatch = 10;

export interface EnqueueOptions {
  s3: S3Client;
  sqs: SQSClient;
  bucket: string;
  /** Key prefix to list, e.g. `uploads/` (empty: the whole bucket). */
  prefix: string;
  queueUrl: string;
  /** Size names for every job; the worker's configured sizes when absent. */
  sizes?: string[];
  format?: OutputFormat;
  /** List and count only: nothing is sent. */
  dryRun?: boolean;
  /** Attempts per entry, the first included, and the first backoff (doubled after each retry). */
  retry?: { attempts: number; baseDelayMs: number };
  /** SendMessageBatch calls in flight at once. */
  concurrency?: number;
  /** Called after each listed page, for progress lines on long backfills. */
  onProgress?: (counts: Omit<EnqueueCounts, 'failures'>) => void;
}

/** A job SQS would not take, after its retries. */
export interface FailedJob {
  key: string;
  code: string;
  message: string;
}

export interface EnqueueCounts {
  /** Objects listed under the prefix, folder markers excluded. */
  objects: number;
  /** Zero-length `…/` keys the console creates for folders: not images, never sent. */
  folderMarkers: number;
  sent: number;
  failed: number;
  failures: FailedJob[];
}

/**
 * Lists every object under `prefix` (ListObjectsV2, page by page) and sends one resize job per object to
 * `queueUrl` in SendMessageBatch calls of up to 10. Entries SQS fails are retried with exponential backoff
 * (not a sender fault, which no retry can fix) and reported if they never succeed. A call that throws
 * (after the SDK's own retries: no such queue, access denied) ends the run with an EnqueueAbortedError.
 */
export async function enqueueResizeJobs({
  s3,
  sqs,
  bucket,
  prefix,
  queueUrl,
  sizes,
  format,
  dryRun = false,
  retry = { attempts: 4, baseDelayMs: 200 },
  concurrency = 4,
  onProgress,
}: EnqueueOptions): Promise<EnqueueCounts> {
  const counts: EnqueueCounts = { objects: 0, folderMarkers: 0, sent: 0, failed: 0, failures: [] };
  const limit = pLimit(concurrency);
  const snapshot = () => ({
    objects: counts.objects,
    folderMarkers: counts.folderMarkers,
    sent: counts.sent,
    failed: counts.failed,
  });

  const sendBatch = async (keys: string[]): Promise<void> => {
    // Ids need only be unique within one call; the index in the batch is, and stays so on retries.
    let pending: SendMessageBatchRequestEntry[] = keys.map((key, index) => ({
      Id: String(index),
      MessageBody: JSON.stringify(jobFor({ bucket, key, sizes, format })),
    }));
    const keyOf = (id: string | undefined) => keys[Number(id)] ?? `(entry ${id})`;
    let lastErrors: BatchResultErrorEntry[] = [];
    for (let attempt = 1; attempt <= retry.attempts && pending.length > 0; attempt++) {
      if (attempt > 1) await sleep(retry.baseDelayMs * 2 ** (attempt - 2));
      let result: SendMessageBatchCommandOutput;
      try {
        result = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
      } catch (error) {
        throw new EnqueueAbortedError(
          `SendMessageBatch failed for ${keyOf(pending[0]?.Id)} and ${pending.length - 1} more`,
          snapshot(),
          { cause: error },
        );
      }
      const failedEntries = result.Failed ?? [];
      counts.sent += pending.length - failedEntries.length;
      const failedIds = new Set(failedEntries.map((entry) => entry.Id));
      const permanent = failedEntries.filter((entry) => entry.SenderFault);
      for (const entry of permanent) fail(keyOf(entry.Id), entry);
      const permanentIds = new Set(permanent.map((entry) => entry.Id));
      lastErrors = failedEntries.filter((entry) => !entry.SenderFault);
      pending = pending.filter((entry) => failedIds.has(entry.Id) && !permanentIds.has(entry.Id));
    }
    const lastErrorOf = new Map(lastErrors.map((entry) => [entry.Id, entry]));
    for (const entry of pending) fail(keyOf(entry.Id), lastErrorOf.get(entry.Id));
  };

  const fail = (key: string, entry: BatchResultErrorEntry | undefined) => {
    counts.failed++;
    counts.failures.push({
      key,
      code: entry?.Code ?? 'Unknown',
      message: entry?.Message ?? 'no error detail from SQS',
    });
  };

  let continuationToken: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: continuationToken }),
    );
    const keys: string[] = [];
    for (const object of page.Contents ?? []) {
      if (!object.Key) continue;
      if (object.Key.endsWith('/')) counts.folderMarkers++;
      else keys.push(object.Key);
    }
    counts.objects += keys.length;
    if (!dryRun) {
      const batches = chunk(keys, entriesPerBatch);
      await Promise.all(batches.map((batch) => limit(() => sendBatch(batch))));
    }
    onProgress?.(snapshot());
    continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (continuationToken);
  return counts;
}

/** A SendMessageBatch call failed outright; `counts` is how far the run got before it. */
export class EnqueueAbortedError extends Error {
  override readonly name = 'EnqueueAbortedError';
  constructor(
    message: string,
    readonly counts: Omit<EnqueueCounts, 'failures'>,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The job body the worker reads (resizeJobSchema in src/jobs.ts): optional fields only when set. */
function jobFor({
  bucket,
  key,
  sizes,
  format,
}: {
  bucket: string;
  key: string;
  sizes: string[] | undefined;
  format: OutputFormat | undefined;
}): ResizeJob {
  return { bucket, key, ...(sizes ? { sizes } : {}), ...(format ? { format } : {}) };
}

function chunk<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

// Command line ----------------------------------------------------------------------------------------------

const usage = `usage: pnpm enqueue-resize [--prefix uploads/] [--bucket B] [--queue-url U] [--stack-file .local/stack.json]
                           [--sizes thumbnail,small] [--format jpeg|webp|avif] [--dry-run]
Sends one resize job per object under the prefix to the batch worker's queue. Bucket, queue, endpoint and
region default to a running \`pnpm dev\` (its stack file); against AWS pass --bucket and --queue-url.`;

/** The part of @repo/local's StackFile (written by `pnpm dev`) this reads. */
const stackFileSchema = z.object({
  pid: z.number(),
  endpoint: z.string(),
  region: z.string(),
  resources: z.record(z.string(), z.object({ ref: z.string() })),
});
type StackFile = z.output<typeof stackFileSchema>;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

async function main(argv: string[]): Promise<number> {
  let options: CliOptions | 'help';
  try {
    options = await parseOptions(argv);
  } catch (error) {
    // parseArgs throws TypeErrors (ERR_PARSE_ARGS_*) for unknown or malformed flags.
    if (!(error instanceof UsageError || error instanceof TypeError)) throw error;
    console.error(`enqueue-resize: ${error.message}\n${usage}`);
    return 2;
  }
  if (options === 'help') {
    console.log(usage);
    return 0;
  }
  const { bucket, prefix, queueUrl, sizes, format, dryRun, local } = options;
  // A local stack (moto) takes any credentials; path-style, as a localhost endpoint has no bucket DNS.
  const localClient = local
    ? {
        endpoint: local.endpoint,
        region: local.region,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      }
    : {};
  const s3 = new S3Client({ ...localClient, forcePathStyle: Boolean(local) });
  const sqs = new SQSClient(localClient);

  const target = local ? `the pnpm dev stack at ${local.endpoint} (${local.file})` : 'AWS (SDK defaults)';
  console.log(
    `${dryRun ? 'Dry run: listing' : 'Enqueueing'} s3://${bucket}/${prefix} → ${queueUrl}\n   via ${target}` +
      `${sizes ? `; sizes ${sizes.join(',')}` : ''}${format ? `; format ${format}` : ''}`,
  );
  let counts: EnqueueCounts;
  let nextProgressAt = 10_000;
  try {
    counts = await enqueueResizeJobs({
      s3,
      sqs,
      bucket,
      prefix,
      queueUrl,
      sizes,
      format,
      dryRun,
      onProgress: (progress) => {
        if (progress.objects < nextProgressAt) return;
        nextProgressAt += 10_000;
        console.log(`   … ${progress.objects} objects, ${progress.sent} jobs sent`);
      },
    });
  } catch (error) {
    const counts = error instanceof EnqueueAbortedError ? error.counts : undefined;
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    console.error(`enqueue-resize: ${(error as Error).message}${cause}`);
    if (counts) console.error(`   stopped after ${counts.objects} objects listed, ${counts.sent} jobs sent`);
    return 1;
  }

  const markers = counts.folderMarkers;
  const skipped = markers ? ` (${markers} folder marker${markers === 1 ? '' : 's'} skipped)` : '';
  console.log(`Objects found: ${counts.objects}${skipped}`);
  if (dryRun) console.log(`Jobs sent:     0 (dry run; ${counts.objects} would be sent)`);
  else console.log(`Jobs sent:     ${counts.sent}`);
  console.log(`Failed:        ${counts.failed}`);
  for (const failure of counts.failures)
    console.error(`   ${failure.key}: ${failure.code} — ${failure.message}`);
  return counts.failed > 0 ? 1 : 0;
}

interface CliOptions {
  bucket: string;
  queueUrl: string;
  prefix: string;
  sizes: string[] | undefined;
  format: OutputFormat | undefined;
  dryRun: boolean;
  /** Set when a pnpm dev stack file supplies the endpoint. */
  local: { endpoint: string; region: string; file: string } | undefined;
}

async function parseOptions(argv: string[]): Promise<CliOptions | 'help'> {
  const { values } = parseArgs({
    args: argv,
    options: {
      prefix: { type: 'string', default: 'uploads/' },
      bucket: { type: 'string' },
      'queue-url': { type: 'string' },
      'stack-file': { type: 'string' },
      sizes: { type: 'string' },
      format: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const sizes = values.sizes?.split(',').map((name) => name.trim());
  // The worker fails a job that names a size it does not have, permanently: catch typos before sending
  // thousands. template.yaml sets no OUTPUT_SIZES, so the worker's sizes are the defaults.
  const known = defaultSizes.map((size) => size.name);
  const unknown = sizes?.filter((name) => !known.includes(name)) ?? [];
  if (unknown.length > 0)
    throw new UsageError(`unknown size ${unknown.join(', ')}: the worker has ${known.join(', ')}`);
  const formats: readonly string[] = ['jpeg', 'webp', 'avif'] satisfies OutputFormat[];
  if (values.format !== undefined && !formats.includes(values.format))
    throw new UsageError(`--format ${values.format}: the worker writes ${formats.join(', ')}`);
  const format = values.format as OutputFormat | undefined;

  // pnpm runs scripts from the package folder; INIT_CWD is where the user typed the command.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const explicitStack = values['stack-file'];
  // Both named: AWS (or AWS_ENDPOINT_URL), even while a pnpm dev runs — unless its stack file is named too.
  const wantsStack = explicitStack !== undefined || !(values.bucket && values['queue-url']);
  const stackPath = explicitStack
    ? resolve(cwd, explicitStack)
    : join(findWorkspaceRoot(fileURLToPath(new URL('.', import.meta.url))), '.local', 'stack.json');
  const stack = wantsStack ? await readStackFile(stackPath, explicitStack !== undefined) : undefined;

  const bucket = values.bucket ?? stack?.resources.UploadsBucket?.ref;
  const queueUrl = values['queue-url'] ?? stack?.resources.ResizeJobsQueue?.ref;
  if (!bucket || !queueUrl) {
    throw new UsageError(
      stack
        ? `${stackPath} names no ${bucket ? 'ResizeJobsQueue' : 'UploadsBucket'}: pass --${bucket ? 'queue-url' : 'bucket'}`
        : 'no running pnpm dev (.local/stack.json): pass --bucket and --queue-url',
    );
  }
  return {
    bucket,
    queueUrl,
    prefix: values.prefix,
    sizes,
    format,
    dryRun: values['dry-run'],
    local: stack ? { endpoint: stack.endpoint, region: stack.region, file: stackPath } : undefined,
  };
}

/** The stack file of a `pnpm dev` that is still running; a missing or stale one is an error only if named. */
async function readStackFile(path: string, named: boolean): Promise<StackFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    if (named) throw new UsageError(`${path}: no such stack file (is pnpm dev running?)`);
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = stackFileSchema.safeParse(json);
  if (!parsed.success) throw new UsageError(`${path} is not a pnpm dev stack file`);
  try {
    process.kill(parsed.data.pid, 0);
  } catch {
    // pnpm dev deletes its stack file when it stops; one left behind by a crash points at nothing.
    if (named) throw new UsageError(`${path} is stale: its pnpm dev (pid ${parsed.data.pid}) is not running`);
    return undefined;
  }
  return parsed.data;
}

// Run only as a script, not when a test imports enqueueResizeJobs.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
