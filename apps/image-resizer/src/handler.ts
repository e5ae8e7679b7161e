import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { ParsedResult } from '@aws-lambda-powertools/parser/types';
import type { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { createS3Client } from '@repo/aws/s3';
import { objectsOf, type S3ObjectEvent, s3ObjectEventSchema } from '@repo/events/s3';
import { configureSharp } from '@repo/image/resize-image';
import { recordResizeMetrics } from '@repo/image-jobs/resize-metrics';
import { type ResizeOutcome, type ResizeSettings, resizeUpload } from '@repo/image-jobs/resize-upload';
import { resizeSettingsFrom } from '@repo/image-jobs/settings';
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
import type { Context } from 'aws-lambda';
import { readConfig } from './config.ts';

export interface Dependencies {
  s3: S3Client;
  logger: Logger;
  /** Business metrics (CloudWatch EMF); none in tests that do not look at them. */
  metrics?: Metrics;
  /** X-Ray tracing (Powertools tracer); none in tests that do not look at traces. */
  tracer?: Tracer;
  settings: ResizeSettings;
}

type ParsedEvent = ParsedResult<unknown, S3ObjectEvent>;

/**
 * Builds the image-resizer handler: EventBridge "Object Created" events (and classic S3 notifications)
 * for uploads → four sizes under the output prefix. Permanent problems are logged once and not
 * retried; S3 faults and an exhausted time budget throw, so Lambda retries and then sends the event to
 * the on-failure destination.
 */
export function createHandler({ s3, logger, metrics, tracer, settings }: Dependencies) {
  return middy<ParsedEvent, ResizeOutcome[], Error, Context>()
    .use(withTracing(tracer))
    .use(withLogging(logger, s3EventId))
    .use(withMetrics(metrics))
    .use(parser({ schema: s3ObjectEventSchema, safeParse: true }))
    .handler(async (event, context) => {
      if (!event.success) {
        // A misrouted or malformed event: the same bytes fail the same way on every retry.
        logger.error('Ignoring an event that is not an S3 object-created event', {
          issues: event.error.message.slice(0, 2_000),
        });
        return [];
      }
      const outcomes: ResizeOutcome[] = [];
      for (const object of objectsOf(event.data)) {
        logger.appendKeys({ bucket: object.bucket, key: object.key });
        const outcome = await traceWork(
          tracer,
          'resize',
          { bucket: object.bucket, objectKey: object.key },
          () => resizeUpload(object, { s3, settings, remainingMs: () => context.getRemainingTimeInMillis() }),
          rejectedOutcome,
        );
        if (outcome.status === 'rejected') {
          logger.error('Image not processed (permanent, not retried)', {
            reason: outcome.reason,
            error: outcome.message,
          });
        } else if (outcome.status === 'skipped') {
          logger.info('Object skipped', { reason: outcome.reason });
        } else {
          logger.info('Image resized', {
            outputs: outcome.outputs.map(({ key, width, height, bytes }) => ({ key, width, height, bytes })),
          });
        }
        if (metrics) recordResizeMetrics(metrics, outcome);
        outcomes.push(outcome);
      }
      return outcomes;
    });
}

// One container, one set of clients and one sharp configuration: at cold start.
const config = readConfig();
configureSharp({ memoryMb: config.AWS_LAMBDA_FUNCTION_MEMORY_SIZE });
const logger = createLogger({
  serviceName: config.POWERTOOLS_SERVICE_NAME,
  logLevel: config.POWERTOOLS_LOG_LEVEL,
});

const tracer = createTracer({ serviceName: config.POWERTOOLS_SERVICE_NAME });

export const handler = createHandler({
  s3: traceClient(tracer, createS3Client({ maxAttempts: config.AWS_MAX_ATTEMPTS })),
  logger,
  metrics: createMetrics({ serviceName: config.POWERTOOLS_SERVICE_NAME }),
  tracer,
  settings: resizeSettingsFrom(config),
});
