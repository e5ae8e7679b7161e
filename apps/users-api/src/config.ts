import { awsClientSettings, integer, logLevel, requiredString } from '@repo/config/env';
import { loadConfig } from '@repo/config/load-config';
import * as z from 'zod/mini';

/** users-api's environment; template.yaml must set every variable without a default. */
export const configSchema = z.object({
  USERS_TABLE_NAME: requiredString(),
  POWERTOOLS_SERVICE_NAME: z._default(requiredString(), 'users-api'),
  POWERTOOLS_LOG_LEVEL: logLevel(),
  /** Largest request body accepted, in bytes after base64 decoding (API Gateway itself allows 10 MB). */
  MAX_BODY_BYTES: integer({ min: 256, max: 10 * 1024 * 1024, default: 16 * 1024 }),
  /** The browser origin allowed by CORS: `*` or one origin such as https://app.example.com. */
  CORS_ALLOWED_ORIGIN: z._default(z.union([z.literal('*'), z.url({ protocol: /^https?$/ })]), '*'),
  /** The Cognito group whose members may list and manage every user (src/access.ts). */
  ADMIN_GROUP: z._default(requiredString(), 'admins'),
  ...awsClientSettings,
});

export type Config = z.output<typeof configSchema>;

/** Reads and validates the environment; call once, at cold start. */
export const readConfig = (): Readonly<Config> => loadConfig(configSchema);
