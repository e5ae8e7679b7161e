import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { ParsedResult } from '@aws-lambda-powertools/parser/types';
import type { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { createS3Client } from '@repo/aws/s3';
import { objectsOf, type S3ObjectEvent, s3ObjectEventSchema } from '@repo/events/s3';
import { configureSharp } from '@repo/image/resize-image';
import type { ResizeOutcome, ResizeSettings } from '@repo/image-jobs/resize-upload';
import { resizeWork } from '@repo/image-jobs/resize-work';
import { resizeSettingsFrom } from '@repo/image-jobs/settings';
import { s3EventId } from '@repo/logging/correlation';
import { createObservability, type Observability, observe } from '@repo/logging/observability';
import { traceClient } from '@repo/logging/tracer';
import { processObject } from '@repo/object-processing/process-object';
import { timeBudget } from '@repo/object-processing/time-budget';
import type { Context } from 'aws-lambda';
import { readConfig } from './config.ts';

export interface ImageResizerDependencies {
  s3: S3Client;
  observability: Observability;
  settings: ResizeSettings;
}

type ParsedEvent = ParsedResult<unknown, S3ObjectEvent>;

/**
 * Builds the image-resizer handler: EventBridge "Object Created" events (and classic S3 notifications)
 * for uploads → four sizes under the output prefix. Permanent problems are logged once and not
 * retried; S3 faults and an exhausted time budget throw, so Lambda retries and then sends the event to
 * the on-failure destination.
 */
export function createHandler({ s3, observability, settings }: ImageResizerDependencies) {
  return middy<ParsedEvent, ResizeOutcome[], Error, Context>()
    .use(observe(observability, s3EventId))
    .use(parser({ schema: s3ObjectEventSchema, safeParse: true }))
    .handler(async (event, context) => {
      if (!event.success) {
        // A misrouted or malformed event: the same bytes fail the same way on every retry.
        observability.logger.error('Ignoring an event that is not an S3 object-created event', {
          issues: event.error.message.slice(0, 2_000),
        });
        return [];
      }
      const work = resizeWork({ s3, settings, budget: timeBudget(context, settings.minRemainingMs) });
      const outcomes: ResizeOutcome[] = [];
      for (const object of objectsOf(event.data))
        outcomes.push(await processObject(object, work, observability));
      return outcomes;
    });
}

// One container, one set of clients and one sharp configuration: at cold start.
const config = readConfig();
configureSharp({ memoryMb: config.AWS_LAMBDA_FUNCTION_MEMORY_SIZE });
const observability = createObservability({
  serviceName: config.POWERTOOLS_SERVICE_NAME,
  logLevel: config.POWERTOOLS_LOG_LEVEL,
});

export const handler = createHandler({
  s3: traceClient(observability.tracer, createS3Client({ maxAttempts: config.AWS_MAX_ATTEMPTS })),
  observability,
  settings: resizeSettingsFrom(config),
});
