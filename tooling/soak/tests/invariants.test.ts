import type { JournalEntry } from '@repo/local/journal';
import { describe, expect, it } from 'vitest';
import type { Attempt } from '../src/api-client.ts';
import { expectedOutputs } from '../src/files.ts';
import { checkInvariants, type SoakFacts } from '../src/invariants.ts';

const photoKey = 'uploads/u1/a';
const hostileKey = 'uploads/u1/b';
const at = 1;

/** A soak where every promise held: one valid upload, one hostile file, one user, two jobs. */
function healthy(): SoakFacts {
  const log = (functionId: string, record: Record<string, unknown>): JournalEntry => ({
    at,
    type: 'log',
    functionId,
    record,
  });
  return {
    uploads: [
      {
        plan: { index: 0, file: { kind: 'photo', photo: 1 }, redeliver: false },
        uploadId: 'a',
        key: photoKey,
        versions: [{ version: 'e1', etag: 'e1', size: 10 }],
        expected: expectedOutputs(1),
      },
      {
        plan: { index: 1, file: { kind: 'hostile', hostile: 'truncated' }, redeliver: false },
        uploadId: 'b',
        key: hostileKey,
        versions: [{ version: 'e2', etag: 'e2', size: 10 }],
        hostile: 'truncated',
      },
    ],
    users: [
      {
        userId: 'u1',
        email: 'a@example.com',
        possible: [{ name: 'A', email: 'a@example.com' }],
        contradictions: [],
      },
    ],
    readBack: new Map([['u1', { name: 'A', email: 'a@example.com' }]]),
    attempts: [attempt(201, 't-ok')],
    jobs: [
      {
        soakId: 'job-0',
        messageId: 'm0',
        key: photoKey,
        expect: 'done',
        plan: { kind: 'upload', upload: 0 },
      },
      { soakId: 'job-1', messageId: 'm1', expect: 'dlq', plan: { kind: 'malformed' } },
    ],
    records: [
      { key: photoKey, version: 'e1', notifiedAt: 'now' },
      { key: hostileKey, version: 'e2', notifiedAt: 'now' },
    ],
    announcements: [
      { key: photoKey, version: 'e1', deduplicationKey: 'd1' },
      { key: hostileKey, version: 'e2', deduplicationKey: 'd2' },
    ],
    outputs: new Map([
      [photoKey, Object.fromEntries(Object.entries(expectedOutputs(1)))],
      [hostileKey, {}],
    ]),
    journal: [
      {
        at,
        type: 'invocation',
        functionId: 'ImageResizerFunction',
        trigger: 'async:x',
        requestId: 'r-hostile',
        ok: true,
        durationMs: 1,
        coldStart: false,
      },
      log('ImageResizerFunction', {
        message: 'Object rejected (permanent)',
        key: hostileKey,
        function_request_id: 'r-hostile',
      }),
      log('BatchWorkerFunction', { message: 'Image resized', messageId: 'm0' }),
    ],
    parked: [
      {
        queueId: 'ResizeJobsDlq',
        before: [{ messageId: 'm1', soakJob: 'job-1' }],
        after: [{ messageId: 'm9', soakJob: 'job-1' }],
      },
      { queueId: 'ImageResizerFailures', before: [], after: [] },
    ],
    notQuiet: [],
    jobsDlqId: 'ResizeJobsDlq',
  };
}

function attempt(status: number, traceId: string): Attempt {
  return { flow: 'users', operation: 'get', method: 'GET', path: '/users/u1', status, ms: 1, at, traceId };
}

const invariantsOf = (facts: SoakFacts) => checkInvariants(facts).map((violation) => violation.invariant);

describe('checkInvariants', () => {
  it('finds nothing wrong when every promise held', () => {
    expect(checkInvariants(healthy())).toEqual([]);
  });

  it('flags an upload version recorded twice, or never, or a record of a version nobody uploaded', () => {
    const twice = healthy();
    twice.records.push({ key: photoKey, version: 'e1', notifiedAt: 'now' });
    expect(invariantsOf(twice)).toEqual(['each upload version: exactly one record']);

    const never = healthy();
    never.records = never.records.filter((record) => record.key !== photoKey);
    expect(invariantsOf(never)).toEqual(['each upload version: exactly one record']);

    const phantom = healthy();
    phantom.records.push({ key: photoKey, version: 'e0', notifiedAt: 'now' });
    expect(checkInvariants(phantom)[0]?.detail).toBe('a record of a version nobody uploaded');
  });

  it('flags a version never announced, and a second announcement no lost publish explains', () => {
    const unannounced = healthy();
    unannounced.announcements = unannounced.announcements.filter(
      (announcement) => announcement.key !== photoKey,
    );
    expect(invariantsOf(unannounced)).toEqual(['each upload version: at least one notification']);

    const twice = healthy();
    twice.announcements.push({ key: photoKey, version: 'e1', deduplicationKey: 'd1' });
    expect(invariantsOf(twice)).toEqual([
      'more than one notification only where a publish’s answer was lost',
    ]);

    // The same, where a publish's answer was lost in an invocation that logged this key: allowed.
    twice.journal.push(
      {
        at,
        type: 'log',
        functionId: 'UploadProcessorFunction',
        record: { message: 'Upload recorded', key: photoKey, xray_trace_id: 't-p' },
      },
      {
        at,
        type: 'aws-fault',
        service: 'sns',
        operation: 'Publish',
        resource: 'topic',
        fault: { kind: 'lost-answer' },
        traceId: 't-p',
      },
    );
    expect(checkInvariants(twice)).toEqual([]);
  });

  it('flags a wrong, missing or undecodable output of a valid image', () => {
    const wrong = healthy();
    wrong.outputs.set(photoKey, {
      ...expectedOutputs(1),
      small: { width: 300, height: 450 },
      large: { undecodable: 'bad' },
    });
    wrong.outputs.get(photoKey) && delete (wrong.outputs.get(photoKey) as Record<string, unknown>).thumbnail;
    expect(
      checkInvariants(wrong)
        .map((violation) => violation.subject)
        .sort(),
    ).toEqual([`${photoKey} large`, `${photoKey} small`, `${photoKey} thumbnail`].sort());
  });

  it('flags an output of a hostile file, and a rejection logged other than once by a completed invocation', () => {
    const output = healthy();
    output.outputs.set(hostileKey, { small: { width: 1, height: 1 } });
    expect(invariantsOf(output)).toEqual(['each hostile file: no output']);

    const died = healthy();
    // The invocation that logged the rejection died before it answered: its rejection does not count.
    died.journal[0] = { ...(died.journal[0] as Extract<JournalEntry, { type: 'invocation' }>), ok: false };
    expect(invariantsOf(died)).toEqual(['each hostile file: one logged permanent rejection']);
  });

  it('flags a job lost, a job both done and parked, and a job that ended where its input says it cannot', () => {
    const lost = healthy();
    lost.journal = lost.journal.filter(
      (entry) => entry.type !== 'log' || entry.functionId !== 'BatchWorkerFunction',
    );
    expect(invariantsOf(lost)).toEqual(['each job: never lost']);

    const both = healthy();
    both.parked[0]?.after.push({ messageId: 'm8', soakJob: 'job-0' });
    expect(invariantsOf(both)).toEqual([
      'each job: never both done and in the DLQ',
      'after the redrive, every failure-queue entry accounted for',
    ]);

    const garbageDone = healthy();
    garbageDone.journal.push({
      at,
      type: 'log',
      functionId: 'BatchWorkerFunction',
      record: { message: 'Image resized', messageId: 'm1' },
    });
    expect(invariantsOf(garbageDone)).toEqual(['each job: never both done and in the DLQ']);
  });

  it('flags a 5xx or an unanswered request with no fault on its trace, and lets one with a fault pass', () => {
    const facts = healthy();
    facts.attempts.push(
      attempt(503, 't-faulted'),
      attempt(502, 't-died'),
      attempt(500, 't-clean'),
      attempt(0, 't-gone'),
    );
    facts.journal.push(
      {
        at,
        type: 'aws-fault',
        service: 'dynamodb',
        operation: 'GetItem',
        resource: 'users',
        fault: { kind: 'reset' },
        traceId: 't-faulted',
      },
      {
        at,
        type: 'lambda-fault',
        functionId: 'UsersApiFunction',
        fault: 'die',
        requestId: 'r',
        traceId: 't-died',
      },
    );
    expect(checkInvariants(facts).map((violation) => [violation.invariant, violation.subject])).toEqual([
      ['a 5xx only where a fault was injected on its path', 'GET /users/u1 (trace t-clean)'],
      ['every request answered', 'GET /users/u1 (trace t-gone)'],
    ]);
  });

  it('flags an acknowledged write the final read does not show, and answers that contradicted one', () => {
    const facts = healthy();
    facts.readBack.set('u1', 'absent');
    (facts.users[0] as SoakFacts['users'][number]).contradictions.push('get showed "absent"');
    expect(invariantsOf(facts)).toEqual([
      'each acknowledged API write visible afterwards',
      'each acknowledged API write visible afterwards',
    ]);
  });

  it('flags what stays in a failure queue after the redrive, except jobs that belong in the DLQ', () => {
    const facts = healthy();
    facts.parked[1]?.after.push({ messageId: 'x', key: photoKey });
    expect(checkInvariants(facts).map((violation) => violation.subject)).toEqual([
      `ImageResizerFailures ${photoKey}`,
    ]);
  });

  it('flags a system that never went quiet', () => {
    const facts = healthy();
    facts.notQuiet.push('after the load: not quiet after 60 s: ResizeJobsQueue: 3 messages');
    expect(invariantsOf(facts)).toEqual(['the system goes quiet']);
  });
});
