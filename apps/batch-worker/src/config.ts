import { awsClientSettings, integer, logLevel, requiredString } from '@repo/config/env';
import { loadConfig } from '@repo/config/load-config';
import { imageJobEnvironment } from '@repo/image-jobs/settings';
import * as z from 'zod/mini';

/** batch-worker's environment; template.yaml must set every variable without a default. */
export const configSchema = z.object({
  /** Bucket of jobs that name none. */
  DEFAULT_BUCKET: requiredString(),
  ...imageJobEnvironment,
  /** A job is not started with less time left than this (it goes back to the queue instead). */
  MIN_REMAINING_MS: integer({ min: 0, max: 600_000, default: 15_000 }),
  /** Jobs at once; 0 = from the memory size (see concurrencyFor). */
  MAX_CONCURRENCY: integer({ min: 0, max: 10, default: 0 }),
  /** Set by Lambda. */
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: integer({ min: 128, max: 10_240, default: 1_769 }),
  POWERTOOLS_SERVICE_NAME: z._default(requiredString(), 'batch-worker'),
  POWERTOOLS_LOG_LEVEL: logLevel(),
  ...awsClientSettings,
});

export type Config = z.output<typeof configSchema>;

/** Reads and validates the environment; call once, at cold start. */
export const readConfig = (): Readonly<Config> => loadConfig(configSchema);
