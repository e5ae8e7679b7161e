import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { S3ObjectRef } from '@repo/events/s3';
import type { Observability } from '@repo/logging/observability';
import { traceWork } from '@repo/logging/tracer';
import {
  type ObjectOutcome,
  PermanentError,
  type RejectedOutcome,
  rejectedBy,
  type SkippedOutcome,
} from './outcome.ts';

/** One kind of work on an S3 object (resize it, record it), as processObject runs it. */
export interface ObjectWork<Done extends { status: string }> {
  /** Names the work's trace subsegment (`### resize`). */
  name: string;
  /** Does the work: returns what it did or why it skipped; throws a PermanentError or a fault. */
  run(object: S3ObjectRef): Promise<ObjectOutcome<Done>>;
  /** The log line for work done, and its fields (the object's bucket and key are added). */
  describe(done: Done): [message: string, fields: Record<string, unknown>];
  /** Counts an outcome in the function's business metrics. */
  count(metrics: Metrics, outcome: ObjectOutcome<Done>): void;
}

/**
 * Processes one S3 object, the same way in every function: runs the work in its own trace subsegment
 * (annotated with bucket, objectKey and the SQS messageId; marked with `rejected = <reason>` when the
 * object is refused), turns a PermanentError into a `rejected` outcome, counts the outcome, and logs it
 * once — `Object rejected (permanent)` at ERROR, `Object skipped` at INFO, the work's own line when
 * done — each with the bucket, key and message id, so that concurrent jobs never share log keys. A
 * fault (throttling, 5xx, no time left) is thrown as it came, for Lambda or SQS to retry.
 */
export async function processObject<Done extends { status: string }>(
  object: S3ObjectRef,
  work: ObjectWork<Done>,
  { logger, metrics, tracer }: Observability,
  messageId?: string,
): Promise<ObjectOutcome<Done>> {
  const outcome = await traceWork(
    tracer,
    work.name,
    { bucket: object.bucket, objectKey: object.key, messageId },
    async () => {
      try {
        return await work.run(object);
      } catch (error) {
        if (error instanceof PermanentError) return rejectedBy(error);
        throw error;
      }
    },
    (done) => (isRejected(done) ? done.reason : undefined),
  );
  work.count(metrics, outcome);
  const where = { bucket: object.bucket, key: object.key, ...(messageId === undefined ? {} : { messageId }) };
  if (isRejected(outcome)) {
    logger.error('Object rejected (permanent)', { ...where, reason: outcome.reason, error: outcome.message });
  } else if (isSkipped(outcome)) {
    logger.info('Object skipped', { ...where, reason: outcome.reason });
  } else {
    const [message, fields] = work.describe(outcome as Done);
    logger.info(message, { ...where, ...fields });
  }
  return outcome;
}

function isRejected<Done extends { status: string }>(
  outcome: ObjectOutcome<Done>,
): outcome is RejectedOutcome {
  return outcome.status === 'rejected' && 'message' in outcome;
}

function isSkipped<Done extends { status: string }>(outcome: ObjectOutcome<Done>): outcome is SkippedOutcome {
  return outcome.status === 'skipped';
}
