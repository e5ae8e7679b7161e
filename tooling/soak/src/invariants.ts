import type { JournalEntry } from '@repo/local/journal';
import type { Attempt } from './api-client.ts';
import type { JobFacts } from './jobs-flow.ts';
import type { Announcement, FoundOutput, ParkedEntry, RecordItem } from './observe.ts';
import type { UploadFacts } from './uploads-flow.ts';
import { sameUserState, type UserHistory, type UserState } from './users-flow.ts';

/** A broken promise, with what it concerns: an upload's key, a job, a user id, a request's trace id. */
export interface Violation {
  invariant: string;
  subject: string;
  detail: string;
}

/** A failure queue, before and after `pnpm redrive`. */
export interface ParkedQueue {
  queueId: string;
  before: ParkedEntry[];
  after: ParkedEntry[];
}

/** Everything the soak saw and found, once the system was quiet after the redrive. */
export interface SoakFacts {
  uploads: UploadFacts[];
  users: UserHistory[];
  readBack: Map<string, UserState | undefined>;
  attempts: Attempt[];
  jobs: JobFacts[];
  records: RecordItem[];
  announcements: Announcement[];
  /** Per upload key, the outputs found. */
  outputs: Map<string, Record<string, FoundOutput>>;
  journal: JournalEntry[];
  parked: ParkedQueue[];
  /** Why the system did not go quiet (before or after the redrive), if it did not. */
  notQuiet: string[];
  /** The batch worker's DLQ, by logical id. */
  jobsDlqId: string;
}

type LogEntry = Extract<JournalEntry, { type: 'log' }>;
const logsOf = (journal: JournalEntry[]) =>
  journal.filter((entry): entry is LogEntry => entry.type === 'log');
const field = (entry: LogEntry, name: string) => entry.record[name] as string | undefined;

/** Checks every invariant the soak promises; an empty list is a pass. */
export function checkInvariants(facts: SoakFacts): Violation[] {
  return [
    ...quiet(facts),
    ...uploadRecords(facts),
    ...announcements(facts),
    ...imageOutputs(facts),
    ...jobs(facts),
    ...apiAnswers(facts),
    ...acknowledgedWrites(facts),
    ...failureQueues(facts),
  ];
}

function quiet({ notQuiet }: SoakFacts): Violation[] {
  return notQuiet.map((detail) => ({ invariant: 'the system goes quiet', subject: 'stack', detail }));
}

/** Each upload version: exactly one record; no record of a version nobody uploaded. */
function uploadRecords({ uploads, records }: SoakFacts): Violation[] {
  const violations: Violation[] = [];
  const byKey = Map.groupBy(records, (record) => record.key);
  for (const upload of uploads) {
    if (upload.failed) {
      violations.push({
        invariant: 'every upload gets in',
        subject: upload.key || `upload ${upload.plan.index}`,
        detail: upload.failed,
      });
    }
    if (upload.versions.length === 0) continue;
    const found = byKey.get(upload.key) ?? [];
    for (const version of new Set(upload.versions.map((uploaded) => uploaded.version))) {
      const count = found.filter((record) => record.version === version).length;
      if (count !== 1)
        violations.push({
          invariant: 'each upload version: exactly one record',
          subject: `${upload.key} (${version})`,
          detail: `${count} records`,
        });
      else if (!found.find((record) => record.version === version)?.notifiedAt)
        violations.push({
          invariant: 'each upload version: announced',
          subject: `${upload.key} (${version})`,
          detail: 'its record was never marked announced',
        });
    }
    for (const record of found)
      if (!upload.versions.some((uploaded) => uploaded.version === record.version))
        violations.push({
          invariant: 'each upload version: exactly one record',
          subject: `${upload.key} (${record.version})`,
          detail: 'a record of a version nobody uploaded',
        });
  }
  return violations;
}

/**
 * Each upload version: at least one announcement, all with one deduplication key; more than one only
 * where the injector lost a publish's answer in an invocation that worked on that key.
 */
function announcements({ uploads, announcements, journal }: SoakFacts): Violation[] {
  const violations: Violation[] = [];
  const byKey = Map.groupBy(announcements, (announcement) => announcement.key);
  const lostPublishes = new Set(
    journal
      .filter(
        (entry) =>
          entry.type === 'aws-fault' &&
          entry.service === 'sns' &&
          entry.operation === 'Publish' &&
          (entry.fault.kind === 'lost-answer' ||
            (entry.fault.kind === 'error' && entry.fault.when === 'after')),
      )
      .map((entry) => (entry as { traceId?: string }).traceId),
  );
  const tracesOfKey = new Map<string, Set<string>>();
  for (const entry of logsOf(journal)) {
    const key = field(entry, 'key');
    const traceId = field(entry, 'xray_trace_id');
    if (entry.functionId !== 'UploadProcessorFunction' || !key || !traceId) continue;
    tracesOfKey.set(key, (tracesOfKey.get(key) ?? new Set()).add(traceId));
  }
  for (const upload of uploads) {
    const found = byKey.get(upload.key) ?? [];
    for (const version of new Set(upload.versions.map((uploaded) => uploaded.version))) {
      const subject = `${upload.key} (${version})`;
      const ofVersion = found.filter((announcement) => announcement.version === version);
      if (ofVersion.length === 0) {
        violations.push({
          invariant: 'each upload version: at least one notification',
          subject,
          detail: 'none on the subscribed queue',
        });
        continue;
      }
      if (new Set(ofVersion.map((announcement) => announcement.deduplicationKey)).size > 1)
        violations.push({
          invariant: 'repeated notifications carry one deduplication key',
          subject,
          detail: `${new Set(ofVersion.map((announcement) => announcement.deduplicationKey)).size} keys`,
        });
      const excused = [...(tracesOfKey.get(upload.key) ?? [])].some((traceId) => lostPublishes.has(traceId));
      if (ofVersion.length > 1 && !excused)
        violations.push({
          invariant: 'more than one notification only where a publish’s answer was lost',
          subject,
          detail: `${ofVersion.length} notifications, no lost publish answer on its invocations`,
        });
    }
  }
  return violations;
}

/** Each valid image: four outputs of the right dimensions; each hostile file: none, and one rejection logged. */
function imageOutputs({ uploads, outputs, journal }: SoakFacts): Violation[] {
  const violations: Violation[] = [];
  const completed = new Set(
    journal
      .filter(
        (entry) => entry.type === 'invocation' && entry.functionId === 'ImageResizerFunction' && entry.ok,
      )
      .map((entry) => (entry as { requestId: string }).requestId),
  );
  const rejections = Map.groupBy(
    logsOf(journal).filter(
      (entry) =>
        entry.functionId === 'ImageResizerFunction' &&
        field(entry, 'message') === 'Object rejected (permanent)' &&
        completed.has(field(entry, 'function_request_id') ?? ''),
    ),
    (entry) => field(entry, 'key') ?? '',
  );
  for (const upload of uploads) {
    if (upload.versions.length === 0) continue;
    const found = outputs.get(upload.key) ?? {};
    if (upload.expected) {
      for (const [size, expected] of Object.entries(upload.expected)) {
        const output = found[size];
        if (
          !output ||
          'undecodable' in output ||
          output.width !== expected.width ||
          output.height !== expected.height
        )
          violations.push({
            invariant: 'each valid image: four outputs of the right dimensions',
            subject: `${upload.key} ${size}`,
            detail: !output
              ? 'missing'
              : 'undecodable' in output
                ? `does not decode: ${output.undecodable}`
                : `${output.width}×${output.height}, expected ${expected.width}×${expected.height}`,
          });
      }
    } else {
      const written = Object.keys(found);
      if (written.length > 0)
        violations.push({
          invariant: 'each hostile file: no output',
          subject: upload.key,
          detail: `${upload.hostile}: wrote ${written.join(', ')}`,
        });
      const logged = rejections.get(upload.key)?.length ?? 0;
      if (logged !== 1)
        violations.push({
          invariant: 'each hostile file: one logged permanent rejection',
          subject: upload.key,
          detail: `${upload.hostile}: ${logged} rejections logged by completed invocations`,
        });
    }
  }
  return violations;
}

/**
 * Which soak job each SQS message id carried: the id SQS gave it when sent, and the ids of its copies
 * (a redrive sends a DLQ's message back as a new one), read off the batches the journal recorded.
 */
function soakJobsByMessageId(jobs: JobFacts[], journal: JournalEntry[]): Map<string, string> {
  const byMessageId = new Map<string, string>();
  for (const job of jobs) if (job.messageId) byMessageId.set(job.messageId, job.soakId);
  for (const entry of journal) {
    if (entry.type !== 'invocation' || entry.functionId !== 'BatchWorkerFunction') continue;
    const records = (entry.event as { Records?: SqsRecord[] } | undefined)?.Records ?? [];
    for (const record of records) {
      const soakJob = record.messageAttributes?.soakJob?.stringValue;
      if (record.messageId && soakJob) byMessageId.set(record.messageId, soakJob);
    }
  }
  return byMessageId;
}

interface SqsRecord {
  messageId?: string;
  messageAttributes?: Record<string, { stringValue?: string }>;
}

/** Each job: done or in the DLQ, never both, never lost — and which one, as its input decides. */
function jobs({ jobs, journal, parked, jobsDlqId }: SoakFacts): Violation[] {
  const violations: Violation[] = [];
  const soakJobOf = soakJobsByMessageId(jobs, journal);
  const done = new Set(
    logsOf(journal)
      .filter(
        (entry) => entry.functionId === 'BatchWorkerFunction' && field(entry, 'message') === 'Image resized',
      )
      .map((entry) => soakJobOf.get(field(entry, 'messageId') ?? '')),
  );
  const inDlq = new Set(
    parked.find((queue) => queue.queueId === jobsDlqId)?.after.map((entry) => entry.soakJob) ?? [],
  );
  for (const job of jobs) {
    const subject = `${job.soakId} (${job.key ?? 'malformed'})`;
    if (job.failed) {
      violations.push({
        invariant: 'each job: done or in the DLQ',
        subject,
        detail: `never sent: ${job.failed}`,
      });
      continue;
    }
    const isDone = done.has(job.soakId);
    const isParked = inDlq.has(job.soakId);
    if (isDone && isParked)
      violations.push({ invariant: 'each job: never both done and in the DLQ', subject, detail: 'both' });
    else if (!isDone && !isParked)
      violations.push({ invariant: 'each job: never lost', subject, detail: 'neither done nor in the DLQ' });
    else if (job.expect === 'done' && isParked)
      violations.push({
        invariant: 'each job: done when its image is valid',
        subject,
        detail: 'in the DLQ after the redrive',
      });
    else if (job.expect === 'dlq' && isDone)
      violations.push({
        invariant: 'each job: a job no image can satisfy ends in the DLQ',
        subject,
        detail: 'logged as done',
      });
  }
  return violations;
}

/** Every request answered; a 5xx (or no answer) only where a fault was injected on that request's path. */
function apiAnswers({ attempts, journal }: SoakFacts): Violation[] {
  const faulted = new Set(
    journal
      .filter((entry) => entry.type === 'aws-fault' || entry.type === 'lambda-fault')
      .map((entry) => (entry as { traceId?: string }).traceId)
      .filter(Boolean),
  );
  const throttled = new Set(
    journal
      .filter((entry) => entry.type === 'invocation' && entry.errorType === 'TooManyRequestsException')
      .map((entry) => (entry as { traceId?: string }).traceId),
  );
  return attempts
    .filter((attempt) => (attempt.status === 0 || attempt.status >= 500) && !faulted.has(attempt.traceId))
    .map((attempt) => ({
      invariant:
        attempt.status === 0 ? 'every request answered' : 'a 5xx only where a fault was injected on its path',
      subject: `${attempt.method} ${attempt.path} (trace ${attempt.traceId})`,
      detail:
        attempt.status === 0
          ? `no answer: ${attempt.error}`
          : `answered ${attempt.status} with no fault on its path${throttled.has(attempt.traceId) ? ' (its function was throttled: raise --concurrency)' : ''}`,
    }));
}

/** Each acknowledged users-API write visible afterwards, and no answer contradicting one. */
function acknowledgedWrites({ users, readBack }: SoakFacts): Violation[] {
  const violations: Violation[] = [];
  for (const user of users) {
    for (const detail of user.contradictions)
      violations.push({
        invariant: 'each acknowledged API write visible afterwards',
        subject: `user ${user.userId}`,
        detail,
      });
    const final = readBack.get(user.userId);
    if (final === undefined)
      violations.push({
        invariant: 'every request answered',
        subject: `user ${user.userId}`,
        detail: 'the final read got no answer',
      });
    else if (!user.possible.some((state) => sameUserState(state, final)))
      violations.push({
        invariant: 'each acknowledged API write visible afterwards',
        subject: `user ${user.userId}`,
        detail: `read ${JSON.stringify(final)}; acknowledged: ${JSON.stringify(user.possible)}`,
      });
  }
  return violations;
}

/** After the redrive, every failure-queue entry accounted for: done, or back where it belongs. */
function failureQueues({ parked, jobs, jobsDlqId }: SoakFacts): Violation[] {
  const violations: Violation[] = [];
  const expectedInDlq = new Set(jobs.filter((job) => job.expect === 'dlq').map((job) => job.soakId));
  for (const queue of parked) {
    for (const entry of queue.after) {
      if (queue.queueId === jobsDlqId && entry.soakJob && expectedInDlq.has(entry.soakJob)) continue;
      violations.push({
        invariant: 'after the redrive, every failure-queue entry accounted for',
        subject: `${queue.queueId} ${entry.soakJob ?? entry.key ?? entry.messageId}`,
        detail: 'still parked after the redrive',
      });
    }
  }
  return violations;
}
