import { integer, requiredString } from '@repo/config/env';
import { defaultSizes } from '@repo/image/outputs';
import * as z from 'zod/mini';
import type { ResizeSettings } from './resize-upload.ts';

const prefix = (fallback: string) =>
  z._default(
    z.string().check(z.regex(/^[^/].*\/$/, 'must be a key prefix ending in /, e.g. uploads/')),
    fallback,
  );

/**
 * The environment every function that resizes uploads shares (image-resizer, batch-worker): spread it
 * into the function's config schema.
 */
export const imageJobEnvironment = {
  /** Only keys under this prefix are resized. */
  INPUT_PREFIX: prefix('uploads/'),
  /** Outputs go to <OUTPUT_PREFIX><size>/<name>; never under INPUT_PREFIX, so outputs never trigger us. */
  OUTPUT_PREFIX: prefix('processed/'),
  /** Largest object read, in bytes; larger ones are refused before or while downloading. */
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
};

type ImageJobConfig = z.output<z.ZodMiniObject<typeof imageJobEnvironment>> & { MIN_REMAINING_MS: number };

/** The resize settings a function's validated config describes. */
export function resizeSettingsFrom(config: ImageJobConfig): ResizeSettings {
  return {
    sizes: config.OUTPUT_SIZES,
    inputPrefix: config.INPUT_PREFIX,
    outputPrefix: config.OUTPUT_PREFIX,
    maxInputBytes: config.MAX_INPUT_BYTES,
    maxInputPixels: config.MAX_INPUT_PIXELS,
    format: config.OUTPUT_FORMAT,
    quality: config.OUTPUT_QUALITY,
    cacheControl: config.CACHE_CONTROL,
    minRemainingMs: config.MIN_REMAINING_MS,
  };
}
