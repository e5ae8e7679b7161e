import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { ParsedResult } from '@aws-lambda-powertools/parser/types';
import middy from '@middy/core';
import { createDocumentClient } from '@repo/aws/dynamodb';
import { createS3Client } from '@repo/aws/s3';
import { createSnsClient } from '@repo/aws/sns';
import { messagesOf, objectsOf, type S3Delivery, s3DeliverySchema } from '@repo/events/s3';
import { s3EventId } from '@repo/logging/correlation';
import { createObservability, type Observability, observe } from '@repo/logging/observability';
import { traceClient } from '@repo/logging/tracer';
import { processObject } from '@repo/object-processing/process-object';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { readConfig } from './config.ts';
import type { Delivery, RecordOutcome, RecordUploadDependencies } from './record-upload.ts';
import { recordWork } from './record-work.ts';

export interface UploadProcessorDependencies extends RecordUploadDependencies {
  observability: Observability;
}

type ParsedEvent = ParsedResult<unknown, S3Delivery>;
type Result = RecordOutcome[] | SQSBatchResponse;

/**
 * Builds the upload-processor handler. EventBridge and S3 notification events: permanent problems are
 * logged once and the event is done; faults throw, so Lambda retries and then uses the on-failure
 * destination. S3 events delivered through SQS: each message stands alone, and the ones that failed
 * are reported as batch item failures (a malformed message is logged once and not retried).
 */
export function createHandler({ observability, ...deps }: UploadProcessorDependencies) {
  const { logger } = observability;
  const recordAll = async (
    objects: ReturnType<typeof objectsOf>,
    delivery: Delivery,
    messageId?: string,
  ): Promise<RecordOutcome[]> => {
    const work = recordWork(deps, delivery);
    const outcomes: RecordOutcome[] = [];
    for (const object of objects) outcomes.push(await processObject(object, work, observability, messageId));
    return outcomes;
  };

  return middy<ParsedEvent, Result, Error, Context>()
    .use(observe(observability, s3EventId))
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

// One container, one set of clients: built at cold start, reused by every invocation.
const config = readConfig();
const clientSettings = { maxAttempts: config.AWS_MAX_ATTEMPTS };
const observability = createObservability({
  serviceName: config.POWERTOOLS_SERVICE_NAME,
  logLevel: config.POWERTOOLS_LOG_LEVEL,
});
const { tracer } = observability;

export const handler = createHandler({
  observability,
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
