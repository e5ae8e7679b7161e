import type { S3ObjectRef } from '@repo/events/s3';
import { createLogger } from '@repo/logging/logger';
import { quietObservability } from '@repo/testing/observability';
import { describe, expect, it, vi } from 'vitest';
import { type ObjectOutcome, PermanentError } from '../src/outcome.ts';
import { type ObjectWork, processObject } from '../src/process-object.ts';

interface Done {
  status: 'done';
  bytes: number;
}

const object: S3ObjectRef = { bucket: 'photos', key: 'uploads/cat.jpg', eventName: 'PutObject' };

function setUp(run: ObjectWork<Done>['run']) {
  const logger = createLogger({ serviceName: 'test', logLevel: 'SILENT' });
  const logged = {
    info: vi.spyOn(logger, 'info'),
    error: vi.spyOn(logger, 'error'),
    warn: vi.spyOn(logger, 'warn'),
  };
  const counted: ObjectOutcome<Done>[] = [];
  const work: ObjectWork<Done> = {
    name: 'test-work',
    run,
    describe: (done) => ['Work done', { bytes: done.bytes }],
    count: (_metrics, outcome) => {
      counted.push(outcome);
    },
  };
  return { observability: quietObservability({ logger }), logged, counted, work };
}

describe('processObject', () => {
  it('returns work done, counts it and logs the work’s own line with the object', async () => {
    const { observability, logged, counted, work } = setUp(async () => ({ status: 'done', bytes: 42 }));

    const outcome = await processObject(object, work, observability, 'message-1');

    expect(outcome).toEqual({ status: 'done', bytes: 42 });
    expect(counted).toEqual([outcome]);
    expect(logged.info).toHaveBeenCalledExactlyOnceWith('Work done', {
      bucket: 'photos',
      key: 'uploads/cat.jpg',
      messageId: 'message-1',
      bytes: 42,
    });
    expect(logged.error).not.toHaveBeenCalled();
  });

  it('turns a thrown PermanentError into a rejected outcome, counted and logged once at ERROR', async () => {
    const { observability, logged, counted, work } = setUp(async () => {
      throw new PermanentError('corrupt', 'Corrupt or truncated image: premature end');
    });

    const outcome = await processObject(object, work, observability);

    const rejected = {
      status: 'rejected',
      reason: 'corrupt',
      message: 'Corrupt or truncated image: premature end',
    };
    expect(outcome).toEqual(rejected);
    expect(counted).toEqual([rejected]);
    expect(logged.error).toHaveBeenCalledExactlyOnceWith('Object rejected (permanent)', {
      bucket: 'photos',
      key: 'uploads/cat.jpg',
      reason: 'corrupt',
      error: 'Corrupt or truncated image: premature end',
    });
    expect(logged.info).not.toHaveBeenCalled();
  });

  it('logs a rejected outcome the work returned the same way', async () => {
    const { observability, logged, work } = setUp(async () => ({
      status: 'rejected',
      reason: 'object-gone',
      message: 'The specified key does not exist.',
    }));

    await processObject(object, work, observability);

    expect(logged.error).toHaveBeenCalledExactlyOnceWith(
      'Object rejected (permanent)',
      expect.objectContaining({ reason: 'object-gone' }),
    );
  });

  it('logs a skip at INFO with its reason', async () => {
    const { observability, logged, counted, work } = setUp(async () => ({
      status: 'skipped',
      reason: 'folder-marker',
    }));

    const outcome = await processObject(object, work, observability);

    expect(outcome).toEqual({ status: 'skipped', reason: 'folder-marker' });
    expect(counted).toEqual([outcome]);
    expect(logged.info).toHaveBeenCalledExactlyOnceWith('Object skipped', {
      bucket: 'photos',
      key: 'uploads/cat.jpg',
      reason: 'folder-marker',
    });
  });

  it('throws a fault as it came, having counted and logged nothing, so that Lambda or SQS retries', async () => {
    const fault = Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown' });
    const { observability, logged, counted, work } = setUp(async () => {
      throw fault;
    });

    await expect(processObject(object, work, observability)).rejects.toBe(fault);
    expect(counted).toEqual([]);
    expect(logged.info).not.toHaveBeenCalled();
    expect(logged.error).not.toHaveBeenCalled();
  });
});
