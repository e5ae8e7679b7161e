import { awsClientSettings, integer, logLevel, requiredString } from '@repo/config/env';
import { loadConfig } from '@repo/config/load-config';
import { defaultSizes } from '@repo/image/resize-image';
import * as z from 'zod/mini';

const prefix = (fallback: string) =>
  z._default(
    z.string().check(z.regex(/^[^/].*\/$/, 'must be a key prefix ending in /, e.g. uploads/')),
    fallback,
  );

/** image-resizer's environment; every variable has a default, template.yaml sets the ones it tunes. */
export const configSchema = z.object({
  /** Only keys under this prefix are resized. */
  INPUT_PREFIX: prefix('uploads/'),
  /** Outputs go to <OUTPUT_PREFIX><size>/<name>; never under INPUT_PREFIX, so outputs never trigger us. */
  OUTPUT_PREFIX: prefix('processed/'),
  /** Largest object read, in bytes; larger ones are refused before download. */
  MAX_INPUT_BYTES: integer({ min: 1024, max: 512 * 1024 * 1024, default: 40 * 1024 * 1024 }),
  /** Largest image accepted, in pixels (width × height), checked from the header before decoding. */
  MAX_INPUT_PIXELS: integer({ min: 1_000_000, max: 268_402_689, default: 50_000_000 }),
  /** `name:box` pairs, box in px (a square bounding box): outputs go to <OUTPUT_PREFIX><name>/… */
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
  /** Below this many milliseconds left, a step is not started: the invocation fails loudly instead. */
  MIN_REMAINING_MS: integer({ min: 0, max: 60_000, default: 3_000 }),
  /** Set by Lambda; tunes sharp's threads (one vCPU per 1,769 MB). */
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: integer({ min: 128, max: 10_240, default: 1_769 }),
  POWERTOOLS_SERVICE_NAME: z._default(requiredString(), 'image-resizer'),
  POWERTOOLS_LOG_LEVEL: logLevel(),
  ...awsClientSettings,
});

export type Config = z.output<typeof configSchema>;

/** Reads and validates the environment; call once, at cold start. */
export const readConfig = (): Readonly<Config> => loadConfig(configSchema);
