import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { ParsedResult } from '@aws-lambda-powertools/parser/types';
import middy from '@middy/core';
import { createDocumentClient } from '@repo/aws/dynamodb';
import { createS3Client } from '@repo/aws/s3';
import { createSnsClient } from '@repo/aws/sns';
import { messagesOf, objectsOf, type S3Delivery, s3DeliverySchema } from '@repo/events/s3';
import { s3EventId } from '@repo/logging/correlation';
import { createLogger } from '@repo/logging/logger';
import { createMetrics, withMetrics } from '@repo/logging/metrics';
import { withLogging } from '@repo/logging/middleware';
import {
  createTracer,
  rejectedOutcome,
  type Tracer,
  traceClient,
  traceWork,
  withTracing,
} from '@repo/logging/tracer';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { readConfig } from './config.ts';
import {
  type Delivery,
  type Dependencies as RecordDependencies,
  type RecordOutcome,
  recordUpload,
} from './record-upload.ts';

export interface Dependencies extends RecordDependencies {
  logger: Logger;
  /** Business metrics (CloudWatch EMF); none in tests that do not look at them. */
  metrics?: Metrics;
  /** X-Ray tracing (Powertools tracer); none in tests that do not look at traces. */
  tracer?: Tracer;
}

type ParsedEvent = ParsedResult<unknown, S3Delivery>;
type Result = RecordOutcome[] | SQSBatchResponse;

/**
 * Builds the upload-processor handler. EventBridge and S3 notification events: permanent problems are
 * logged once and the event is done; faults throw, so Lambda retries and then uses the on-failure
 * destination. S3 events delivered through SQS: each message stands alone, and the ones that failed
 * are reported as batch item failures (a malformed message is logged once and not retried).
 */
export function createHandler({ logger, metrics, tracer, ...deps }: Dependencies) {
  const recordAll = async (
    objects: ReturnType<typeof objectsOf>,
    delivery: Delivery,
    messageId?: string,
  ): Promise<RecordOutcome[]> => {
    const outcomes: RecordOutcome[] = [];
    for (const object of objects) {
      logger.appendKeys({ bucket: object.bucket, key: object.key, sequencer: object.sequencer });
      const outcome = await traceWork(
        tracer,
        'record-upload',
        { bucket: object.bucket, objectKey: object.key, messageId },
        () => recordUpload(object, deps, delivery),
        rejectedOutcome,
      );
      recordOutcomeMetrics(metrics, outcome);
      if (outcome.status === 'rejected') {
        logger.error('Upload not recorded (permanent, not retried)', {
          reason: outcome.reason,
          error: outcome.message,
        });
      } else if (outcome.status === 'skipped') {
        logger.info('Object skipped', { reason: outcome.reason });
      } else {
        logger.info(`Upload ${outcome.status}`, {
          version: outcome.record.version,
          size: outcome.record.size,
        });
      }
      outcomes.push(outcome);
    }
    return outcomes;
  };

  return middy<ParsedEvent, Result, Error, Context>()
    .use(withTracing(tracer))
    .use(withLogging(logger, s3EventId))
    .use(withMetrics(metrics))
    .use(parser({ schema: s3DeliverySchema, safeParse: true }))
    .handler(async (event, context): Promise<Result> => {
      if (!event.success) {
        logger.error('Ignoring an event that carries no S3 object event', {
          issues: event.error.message.slice(0, 2_000),
        });
        return [];
      }
      const delivery = {
        deadline: (deps.now?.() ?? new Date()).getTime() + context.getRemainingTimeInMillis(),
      };
      const messages = messagesOf(event.data);
      const viaSqs = 'Records' in event.data && event.data.Records.some((record) => 'body' in record);
      if (!viaSqs) {
        const [message] = messages;
        if (!message || 'malformed' in message) {
          logger.error('Ignoring a message that carries no S3 object event', { reason: message?.malformed });
          return [];
        }
        return recordAll(objectsOf(message.event), delivery);
      }
      const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
      for (const message of messages) {
        if ('malformed' in message) {
          logger.error('Malformed message (permanent, not retried)', {
            messageId: message.messageId,
            reason: message.malformed,
          });
          continue;
        }
        try {
          await recordAll(objectsOf(message.event), delivery, message.messageId);
        } catch (error) {
          logger.warn('Message failed; SQS will redeliver it', {
            messageId: message.messageId,
            error: error as Error,
          });
          batchItemFailures.push({ itemIdentifier: message.messageId ?? '' });
        }
      }
      return { batchItemFailures };
    });
}

/** UploadsRecorded, NotificationsPublished and BytesIn for new records; duplicates and rejections by reason. */
function recordOutcomeMetrics(metrics: Metrics | undefined, outcome: RecordOutcome): void {
  if (!metrics) return;
  if (outcome.status === 'recorded') {
    metrics.addMetric('UploadsRecorded', 'Count', 1);
    metrics.addMetric('BytesIn', 'Bytes', outcome.record.size);
  }
  if (outcome.status === 'recorded' || outcome.status === 'announced') {
    metrics.addMetric('NotificationsPublished', 'Count', 1);
  }
  if (outcome.status === 'duplicate') metrics.addMetric('DuplicateDeliveries', 'Count', 1);
  if (outcome.status === 'rejected') {
    const single = metrics.singleMetric();
    single.addDimension('reason', outcome.reason);
    single.addMetric('UploadsRejected', 'Count', 1);
  }
}

// One container, one set of clients: built at cold start, reused by every invocation.
const config = readConfig();
const clientSettings = { maxAttempts: config.AWS_MAX_ATTEMPTS };
const tracer = createTracer({ serviceName: config.POWERTOOLS_SERVICE_NAME });

export const handler = createHandler({
  logger: createLogger({
    serviceName: config.POWERTOOLS_SERVICE_NAME,
    logLevel: config.POWERTOOLS_LOG_LEVEL,
  }),
  metrics: createMetrics({ serviceName: config.POWERTOOLS_SERVICE_NAME }),
  tracer,
  s3: traceClient(tracer, createS3Client(clientSettings)),
  db: traceClient(tracer, createDocumentClient(clientSettings)),
  sns: traceClient(tracer, createSnsClient(clientSettings)),
  tableName: config.UPLOADS_TABLE_NAME,
  topicArn: config.UPLOADS_TOPIC_ARN,
  settings: {
    inputPrefix: config.INPUT_PREFIX,
    maxObjectBytes: config.MAX_OBJECT_BYTES,
    previewBytes: config.TEXT_PREVIEW_BYTES,
  },
});
