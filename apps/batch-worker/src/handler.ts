import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { createS3Client } from '@repo/aws/s3';
import { configureSharp } from '@repo/image/resize-image';
import type { ResizeSettings } from '@repo/image-jobs/resize-upload';
import { resizeWork } from '@repo/image-jobs/resize-work';
import { resizeSettingsFrom } from '@repo/image-jobs/settings';
import { createObservability, type Observability, observe } from '@repo/logging/observability';
import { traceClient } from '@repo/logging/tracer';
import { PermanentError } from '@repo/object-processing/outcome';
import { processObject } from '@repo/object-processing/process-object';
import { timeBudget } from '@repo/object-processing/time-budget';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import pLimit from 'p-limit';
import { concurrencyFor } from './concurrency.ts';
import { readConfig } from './config.ts';
import { parseMessage, sizesFor } from './jobs.ts';

export interface BatchWorkerDependencies {
  s3: S3Client;
  observability: Observability;
  settings: ResizeSettings;
  defaultBucket: string;
  /** Jobs in progress at once. */
  concurrency: number;
}

/**
 * Builds the batch-worker handler: each SQS message is one resize job (or an S3 notification), processed
 * by Powertools' BatchProcessor with at most `concurrency` jobs at once. The response lists exactly the
 * failed messages; an all-failed batch is reported the same way (not thrown), so SQS redelivers them
 * and its redrive policy, not an invocation error, decides when a poison message reaches the DLQ.
 */
export function createHandler({
  s3,
  observability,
  settings,
  defaultBucket,
  concurrency,
}: BatchWorkerDependencies) {
  const { logger, metrics } = observability;
  const processor = new BatchProcessor(EventType.SQS);
  const limit = pLimit(concurrency);

  // A permanent failure (malformed, unknown size, a rejected image) is thrown too, so that the message
  // is reported failed and SQS's redrive policy moves it to the DLQ where an operator sees it.
  const processRecord = async (record: SQSRecord, context: Context): Promise<void> => {
    const parsed = parseMessage(record.body, defaultBucket);
    if ('malformed' in parsed) {
      logger.error('Malformed message (permanent)', {
        messageId: record.messageId,
        reason: parsed.malformed,
      });
      throw new PermanentError('malformed', parsed.malformed);
    }
    const budget = timeBudget(context, settings.minRemainingMs);
    for (const { object, sizes, format } of parsed.objects) {
      const chosen = sizesFor(settings.sizes, sizes);
      if (!chosen) {
        logger.error('Unknown size requested (permanent)', { messageId: record.messageId, sizes });
        throw new PermanentError('unknown-size', `unknown size in ${JSON.stringify(sizes)}`);
      }
      budget.ensure('job');
      const work = resizeWork({
        s3,
        settings: { ...settings, sizes: chosen, format: format ?? settings.format },
        budget,
      });
      const outcome = await processObject(object, work, observability, record.messageId);
      if (outcome.status === 'rejected') throw new PermanentError(outcome.reason, outcome.message);
    }
  };

  // Permanent failures are logged where they are found; the rest (S3 faults, no time left) here, once.
  const processLogged = async (record: SQSRecord, context: Context): Promise<void> => {
    try {
      await processRecord(record, context);
    } catch (error) {
      if (!(error instanceof PermanentError)) {
        logger.warn('Job failed; SQS will deliver it again', {
          messageId: record.messageId,
          error: error as Error,
        });
      }
      throw error;
    }
  };

  return middy<SQSEvent, SQSBatchResponse, Error, Context>()
    .use(observe(observability, (event: SQSEvent) => event.Records?.[0]?.messageId))
    .handler(async (event, context) => {
      const response = await processPartialResponse(
        event,
        // Every record starts at once inside Powertools; the limiter decides how many actually run.
        (record: SQSRecord) => limit(() => processLogged(record, context)),
        processor,
        { context, processInParallel: true, throwOnFullBatchFailure: false },
      );
      metrics.addMetric(
        'BatchItemsProcessed',
        'Count',
        event.Records.length - response.batchItemFailures.length,
      );
      metrics.addMetric('BatchItemsFailed', 'Count', response.batchItemFailures.length);
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

const observability = createObservability({
  serviceName: config.POWERTOOLS_SERVICE_NAME,
  logLevel: config.POWERTOOLS_LOG_LEVEL,
});

export const handler = createHandler({
  s3: traceClient(observability.tracer, createS3Client({ maxAttempts: config.AWS_MAX_ATTEMPTS })),
  observability,
  defaultBucket: config.DEFAULT_BUCKET,
  concurrency,
  settings: resizeSettingsFrom(config),
});
