import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { createS3Client } from '@repo/aws/s3';
import { configureSharp } from '@repo/image/resize-image';
import { recordResizeMetrics } from '@repo/image-jobs/resize-metrics';
import { type ResizeSettings, resizeUpload } from '@repo/image-jobs/resize-upload';
import { resizeSettingsFrom } from '@repo/image-jobs/settings';
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
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import pLimit from 'p-limit';
import { concurrencyFor } from './concurrency.ts';
import { readConfig } from './config.ts';
import { parseMessage, sizesFor } from './jobs.ts';

export interface Dependencies {
  s3: S3Client;
  logger: Logger;
  /** Business metrics (CloudWatch EMF); none in tests that do not look at them. */
  metrics?: Metrics;
  /** X-Ray tracing (Powertools tracer); none in tests that do not look at traces. */
  tracer?: Tracer;
  settings: ResizeSettings;
  defaultBucket: string;
  /** Jobs in progress at once. */
  concurrency: number;
}

/** A message that can never succeed (malformed, not an image, gone): reported, so SQS's redrive moves it to the DLQ. */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}

/** Not enough time left to start the job: reported, so SQS delivers it again (not a fault of the message). */
export class NoTimeLeftError extends Error {
  override readonly name = 'NoTimeLeftError';
}

/**
 * Builds the batch-worker handler: each SQS message is one resize job (or an S3 notification), processed
 * by Powertools' BatchProcessor with at most `concurrency` jobs at once. The response lists exactly the
 * failed messages; an all-failed batch is reported the same way (not thrown), so SQS redelivers them
 * and its redrive policy, not an invocation error, decides when a poison message reaches the DLQ.
 */
export function createHandler({
  s3,
  logger,
  metrics,
  tracer,
  settings,
  defaultBucket,
  concurrency,
}: Dependencies) {
  const processor = new BatchProcessor(EventType.SQS);
  const limit = pLimit(concurrency);

  const processRecord = async (record: SQSRecord, context: Context): Promise<void> => {
    const parsed = parseMessage(record.body, defaultBucket);
    if ('malformed' in parsed) {
      logger.error('Malformed message (permanent)', {
        messageId: record.messageId,
        reason: parsed.malformed,
      });
      throw new PermanentJobError(parsed.malformed);
    }
    for (const { object, sizes, format } of parsed.objects) {
      const chosen = sizesFor(settings.sizes, sizes);
      if (!chosen) {
        logger.error('Unknown size requested (permanent)', { messageId: record.messageId, sizes });
        throw new PermanentJobError(`unknown size in ${JSON.stringify(sizes)}`);
      }
      const left = context.getRemainingTimeInMillis();
      if (left < settings.minRemainingMs) {
        throw new NoTimeLeftError(
          `${left} ms left, ${settings.minRemainingMs} ms needed: left for redelivery`,
        );
      }
      const outcome = await traceWork(
        tracer,
        'resize',
        { messageId: record.messageId, bucket: object.bucket, objectKey: object.key },
        () =>
          resizeUpload(object, {
            s3,
            settings: { ...settings, sizes: chosen, format: format ?? settings.format },
            remainingMs: () => context.getRemainingTimeInMillis(),
          }),
        rejectedOutcome,
      );
      if (metrics) recordResizeMetrics(metrics, outcome);
      const where = { messageId: record.messageId, bucket: object.bucket, key: object.key };
      if (outcome.status === 'rejected') {
        logger.error('Image not processed (permanent)', {
          ...where,
          reason: outcome.reason,
          error: outcome.message,
        });
        throw new PermanentJobError(`${outcome.reason}: ${outcome.message}`);
      }
      if (outcome.status === 'skipped') logger.info('Object skipped', { ...where, reason: outcome.reason });
      else logger.info('Image resized', { ...where, outputs: outcome.outputs.length });
    }
  };

  // Permanent failures are logged where they are found; the rest (S3 faults, no time left) here, once.
  const processLogged = async (record: SQSRecord, context: Context): Promise<void> => {
    try {
      await processRecord(record, context);
    } catch (error) {
      if (!(error instanceof PermanentJobError)) {
        logger.warn('Job failed; SQS will deliver it again', {
          messageId: record.messageId,
          error: error as Error,
        });
      }
      throw error;
    }
  };

  return middy<SQSEvent, SQSBatchResponse, Error, Context>()
    .use(withTracing(tracer))
    .use(withLogging(logger, (event: SQSEvent) => event.Records?.[0]?.messageId))
    .use(withMetrics(metrics))
    .handler(async (event, context) => {
      const response = await processPartialResponse(
        event,
        // Every record starts at once inside Powertools; the limiter decides how many actually run.
        (record: SQSRecord) => limit(() => processLogged(record, context)),
        processor,
        { context, processInParallel: true, throwOnFullBatchFailure: false },
      );
      metrics?.addMetric(
        'BatchItemsProcessed',
        'Count',
        event.Records.length - response.batchItemFailures.length,
      );
      metrics?.addMetric('BatchItemsFailed', 'Count', response.batchItemFailures.length);
      return response;
    });
}

// One container: config, sharp (one thread per image: jobs are the parallelism), the S3 client.
const config = readConfig();
configureSharp({ memoryMb: 1_769 });
const concurrency =
  config.MAX_CONCURRENCY ||
  concurrencyFor({
    memoryMb: config.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    maxInputPixels: config.MAX_INPUT_PIXELS,
  });

const tracer = createTracer({ serviceName: config.POWERTOOLS_SERVICE_NAME });

export const handler = createHandler({
  s3: traceClient(tracer, createS3Client({ maxAttempts: config.AWS_MAX_ATTEMPTS })),
  tracer,
  logger: createLogger({
    serviceName: config.POWERTOOLS_SERVICE_NAME,
    logLevel: config.POWERTOOLS_LOG_LEVEL,
  }),
  metrics: createMetrics({ serviceName: config.POWERTOOLS_SERVICE_NAME }),
  defaultBucket: config.DEFAULT_BUCKET,
  concurrency,
  settings: resizeSettingsFrom(config),
});
