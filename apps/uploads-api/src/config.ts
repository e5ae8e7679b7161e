import { awsClientSettings, integer, logLevel, requiredString } from '@repo/config/env';
import { loadConfig } from '@repo/config/load-config';
import * as z from 'zod/mini';

/** uploads-api's environment; template.yaml must set every variable without a default. */
export const configSchema = z.object({
  UPLOADS_BUCKET_NAME: requiredString(),
  POWERTOOLS_SERVICE_NAME: z._default(requiredString(), 'uploads-api'),
  POWERTOOLS_LOG_LEVEL: logLevel(),
  /** Where uploads go (`<INPUT_PREFIX><owner sub>/<upload id>`) and where image-resizer writes their sizes. */
  INPUT_PREFIX: z._default(requiredString(), 'uploads/'),
  OUTPUT_PREFIX: z._default(requiredString(), 'processed/'),
  /** The largest upload a link allows, in bytes (image-resizer refuses more than its MAX_INPUT_BYTES). */
  MAX_UPLOAD_BYTES: integer({ min: 1, max: 5 * 1024 ** 3, default: 20 * 1024 * 1024 }),
  /** How long an upload or download link works, in seconds. */
  LINK_TTL_SECONDS: integer({ min: 30, max: 3_600, default: 300 }),
  /** The browser origin allowed by CORS: `*` or one origin such as https://app.example.com. */
  CORS_ALLOWED_ORIGIN: z._default(z.union([z.literal('*'), z.url({ protocol: /^https?$/ })]), '*'),
  ...awsClientSettings,
});

export type Config = z.output<typeof configSchema>;

/** Reads and validates the environment; call once, at cold start. */
export const readConfig = (): Readonly<Config> => loadConfig(configSchema);
