import { awsClientSettings, integer, logLevel, requiredString } from '@repo/config/env';
import { loadConfig } from '@repo/config/load-config';
import { defaultSizes } from '@repo/image/resize-image';
import * as z from 'zod/mini';

const prefix = (fallback: string) =>
  z._default(
    z.string().check(z.regex(/^[^/].*\/$/, 'must be a key prefix ending in /, e.g. uploads/')),
    fallback,
  );

/** batch-worker's environment; template.yaml must set every variable without a default. */
export const configSchema = z.object({
  /** Bucket of jobs that name none. */
  DEFAULT_BUCKET: requiredString(),
  INPUT_PREFIX: prefix('uploads/'),
  OUTPUT_PREFIX: prefix('processed/'),
  MAX_INPUT_BYTES: integer({ min: 1024, max: 512 * 1024 * 1024, default: 40 * 1024 * 1024 }),
  MAX_INPUT_PIXELS: integer({ min: 1_000_000, max: 268_402_689, default: 50_000_000 }),
  /** `name:box` pairs; a job may ask for a subset by name. */
  OUTPUT_SIZES: z._default(
    z.pipe(
      z
        .string()
        .check(
          z.regex(/^[a-z0-9-]+:\d{1,5}(,[a-z0-9-]+:\d{1,5})*$/, 'must look like thumbnail:150,small:300'),
        ),
      z.transform((value) =>
        value.split(',').map((pair) => {
          const [name = '', box = '0'] = pair.split(':');
          return { name, width: Number(box), height: Number(box) };
        }),
      ),
    ),
    defaultSizes.map((size) => ({ ...size })),
  ),
  OUTPUT_FORMAT: z._default(z.enum(['jpeg', 'webp', 'avif']), 'jpeg'),
  OUTPUT_QUALITY: integer({ min: 1, max: 100, default: 85 }),
  CACHE_CONTROL: z._default(requiredString(), 'public, max-age=86400'),
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
