import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { subscribedQueue } from '@repo/aws-local/sqs-queues';
import { defaultSizes } from '@repo/image/outputs';
import { type JournalEntry, readJournal } from '@repo/local/journal';
import { localIdToken } from '@repo/local/local-token';
import { redriveRoutes } from '@repo/local/redrive-route';
import { findWorkspaceRoot, readTemplate } from '@repo/sam-template/read-template';
import { ApiClient } from './api-client.ts';
import { startSoakDev } from './dev-stack.ts';
import { makeSoakFiles } from './files.ts';
import { checkInvariants, type ParkedQueue } from './invariants.ts';
import { sendJobs } from './jobs-flow.ts';
import { drainAnnouncements, peekQueue, readOutputs, readRecords } from './observe.ts';
import { planSoak, type SoakSize } from './plan.ts';
import { faultCounts, flowFigures, retryCounts, type SoakReport } from './report.ts';
import { redrive, waitUntilQuiet } from './settle.ts';
import { runUploadsFlow, type UploadFacts } from './uploads-flow.ts';
import { readBack, runUsersFlow } from './users-flow.ts';

export interface SoakOptions {
  profile: string;
  seed: number;
  size: SoakSize;
  /** Seconds the system may take to go quiet, each time it is waited for. */
  quietTimeoutSeconds: number;
  visibilityTimeout: number;
  /** The account's concurrency pnpm dev runs with. */
  concurrency: number;
  log: (line: string) => void;
  /** Gets each line pnpm dev prints. */
  echo?: (line: string) => void;
}

const sizes = defaultSizes.map((size) => size.name);

/**
 * One soak: starts pnpm dev under the fault profile, drives the load (uploads and users-API callers at
 * once, then re-deliveries, then backfill jobs), waits for quiet, redrives every failure queue once,
 * waits again, reads what the system left, stops pnpm dev and checks every invariant against it all.
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const { profile, seed, size } = options;
  const started = performance.now();
  const log = (line: string) =>
    options.log(`${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s  ${line}`);
  const plan = planSoak(size, seed);
  const root = findWorkspaceRoot();
  const template = readTemplate(join(root, 'template.yaml'));
  const routes = redriveRoutes(template);

  log(`soak: starting pnpm dev --faults ${profile} --faults-seed ${seed}`);
  const [dev, files] = await Promise.all([
    startSoakDev({
      profile,
      seed,
      visibilityTimeout: options.visibilityTimeout,
      concurrency: options.concurrency,
      echo: options.echo,
    }),
    makeSoakFiles(),
  ]);
  const { stack } = dev;
  const config = {
    endpoint: stack.endpoint,
    region: stack.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const db = new DynamoDBClient(config);
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const sns = new SNSClient(config);
  const sqs = new SQSClient(config);
  const ref = (logicalId: string) => {
    const resource = stack.resources[logicalId];
    if (!resource) throw new Error(`the stack has no ${logicalId}`);
    return resource.ref;
  };
  try {
    const announcementsQueue = await subscribedQueue(
      { sns, sqs },
      ref('UploadsTopic'),
      `soak-announcements-${seed}`,
    );
    const apiUrl = stack.apiUrl as string;
    const api = new ApiClient();
    const callers = await Promise.all(
      Array.from({ length: size.users }, async (_, index) => {
        const email = `soak-${seed}-${index}@example.com`;
        const token = await localIdToken(stack, { email });
        const userId = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString())
          .sub as string;
        return { authorization: token, userId, email };
      }),
    );

    log(`soak: ${size.uploads} uploads and ${size.requests} users-API requests from ${size.users} callers`);
    const [uploads, users] = await Promise.all([
      runUploadsFlow({
        api,
        apiUrl,
        files,
        callers,
        uploads: plan.uploads,
        concurrency: size.uploadConcurrency,
      }),
      runUsersFlow({ api, apiUrl, callers, scripts: plan.users }),
    ]);

    const feedingQueues: Record<string, string> = Object.fromEntries(
      Object.entries(stack.asyncDelivery ?? {}).map(([functionId, url]) => [`${functionId} deliveries`, url]),
    );
    for (const route of routes)
      if (route.kind === 'queue') feedingQueues[route.sourceQueueId] = ref(route.sourceQueueId);

    const redelivered = await redeliver(uploads, dev.journal, stack.asyncDelivery ?? {}, sqs);
    log(`soak: ${redelivered} S3 events delivered a second time; ${plan.jobs.length} backfill jobs`);
    const jobsQueueId = routes.find((route) => route.kind === 'queue')?.sourceQueueId ?? 'ResizeJobsQueue';
    const jobsDlqId = routes.find((route) => route.kind === 'queue')?.queueId ?? 'ResizeJobsDlq';
    const jobs = await sendJobs(sqs, ref(jobsQueueId), plan.jobs, uploads);

    const notQuiet: string[] = [];
    const settle = async (when: string) => {
      log(`soak: waiting for the system to go quiet (${when})`);
      const busy = await waitUntilQuiet({
        sqs,
        stackFile: dev.stackFile,
        journal: dev.journal,
        feedingQueues,
        timeoutMs: options.quietTimeoutSeconds * 1000,
      });
      if (busy) notQuiet.push(`${when}: ${busy}`);
    };
    await settle('after the load');

    const parked: ParkedQueue[] = [];
    for (const route of routes) {
      const before = await peekQueue(sqs, ref(route.queueId));
      parked.push({ queueId: route.queueId, before, after: [] });
      if (before.length === 0) continue;
      log(`soak: pnpm redrive ${route.queueId} (${before.length} messages)`);
      const { code, output } = await redrive(dev.stackFile, route.queueId);
      if (code !== 0) notQuiet.push(`pnpm redrive ${route.queueId} exited with ${code}: ${output.trim()}`);
    }
    if (parked.some((queue) => queue.before.length > 0)) await settle('after the redrive');
    for (const queue of parked) queue.after = await peekQueue(sqs, ref(queue.queueId));

    log('soak: reading what the system left');
    const [records, announcements, finalUsers] = await Promise.all([
      readRecords(db, ref('UploadsTable')),
      drainAnnouncements(sqs, announcementsQueue),
      readBack(api, apiUrl, callers),
    ]);
    const outputs = new Map<string, Awaited<ReturnType<typeof readOutputs>>>();
    for (const upload of uploads) {
      if (upload.versions.length === 0) continue;
      outputs.set(
        upload.key,
        await readOutputs(s3, ref('UploadsBucket'), upload.key.slice('uploads/'.length), sizes),
      );
    }

    await dev.stop();
    const journal = readJournal(dev.journal);
    const violations = checkInvariants({
      uploads,
      users,
      readBack: finalUsers,
      attempts: api.attempts,
      jobs,
      records,
      announcements,
      outputs,
      journal,
      parked,
      notQuiet,
      jobsDlqId,
    });
    const operations: Record<string, number> = {
      uploads: uploads.length,
      users: plan.users.flat().length + callers.length,
    };
    return {
      profile,
      seed,
      seconds: (performance.now() - started) / 1000,
      flows: [
        ...flowFigures(api.attempts, (flow) => operations[flow] ?? 0),
        ...jobFigures(journal, jobs.length),
      ],
      faults: faultCounts(journal),
      retries: retryCounts(journal),
      parked,
      violations,
    };
  } finally {
    await dev.stop();
    for (const client of [db, s3, sns, sqs]) client.destroy();
  }
}

/**
 * Delivers the S3 event of each upload planned for it a second time — the same event, as EventBridge's
 * at-least-once delivery may — to every function it went to, once the journal shows its first delivery.
 */
async function redeliver(
  uploads: UploadFacts[],
  journalPath: string,
  asyncDelivery: Record<string, string>,
  sqs: SQSClient,
): Promise<number> {
  const wanted = uploads.filter((upload) => upload.plan.redeliver && upload.versions.length > 0);
  const deadline = Date.now() + 60_000;
  const events = new Map<string, unknown>();
  while (events.size < wanted.length && Date.now() < deadline) {
    for (const entry of readJournal(journalPath)) {
      const key = eventKey(entry);
      if (key && !events.has(key)) events.set(key, (entry as { event?: unknown }).event);
    }
    if (events.size < wanted.length) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  let sent = 0;
  for (const upload of wanted) {
    const event = events.get(upload.key);
    if (!event) continue;
    for (const queueUrl of Object.values(asyncDelivery))
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(event) }));
    sent++;
  }
  return sent;
}

/** The object key of an asynchronous invocation's S3 event, from its journal entry. */
function eventKey(entry: JournalEntry): string | undefined {
  if (entry.type !== 'invocation' || !entry.trigger.startsWith('async:')) return undefined;
  const event = (entry as { event?: { detail?: { object?: { key?: string } } } }).event;
  return event?.detail?.object?.key;
}

/** The jobs flow's figures: batch-worker invocations from the journal (an SQS batch is one attempt). */
function jobFigures(journal: JournalEntry[], jobs: number) {
  const invocations = journal.filter(
    (entry): entry is Extract<JournalEntry, { type: 'invocation' }> =>
      entry.type === 'invocation' && entry.functionId === 'BatchWorkerFunction',
  );
  if (invocations.length === 0) return [];
  const attempts = invocations.map((entry) => ({
    flow: 'jobs',
    operation: 'batch',
    method: 'SQS',
    path: '',
    status: entry.ok ? 200 : 500,
    ms: entry.durationMs,
    at: entry.at - entry.durationMs,
    traceId: entry.traceId ?? '',
  }));
  return flowFigures(attempts, () => jobs);
}
