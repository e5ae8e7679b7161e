import { awsClientSettings, integer, logLevel, requiredString } from '@repo/config/env';
import { loadConfig } from '@repo/config/load-config';
import * as z from 'zod/mini';

/** upload-processor's environment; template.yaml must set every variable without a default. */
export const configSchema = z.object({
  UPLOADS_TABLE_NAME: requiredString(),
  UPLOADS_TOPIC_ARN: requiredString().check(z.regex(/^arn:aws[a-z-]*:sns:/, 'must be an SNS topic ARN')),
  /** Only keys under this prefix are recorded. */
  INPUT_PREFIX: z._default(
    z.string().check(z.regex(/^[^/].*\/$/, 'must be a key prefix ending in /')),
    'uploads/',
  ),
  /** Largest object read (streamed, never held): larger ones are refused, permanently. */
  MAX_OBJECT_BYTES: integer({ min: 1, max: 5 * 1024 ** 4, default: 5 * 1024 ** 3 }),
  /** Bytes of a UTF-8 text file kept as its preview (DynamoDB items stop at 400 KB; SNS at 256 KB). */
  TEXT_PREVIEW_BYTES: integer({ min: 0, max: 64 * 1024, default: 1024 }),
  POWERTOOLS_SERVICE_NAME: z._default(requiredString(), 'upload-processor'),
  POWERTOOLS_LOG_LEVEL: logLevel(),
  ...awsClientSettings,
});

export type Config = z.output<typeof configSchema>;

/** Reads and validates the environment; call once, at cold start. */
export const readConfig = (): Readonly<Config> => loadConfig(configSchema);
