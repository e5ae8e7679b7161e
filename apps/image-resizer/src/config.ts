import { awsClientSettings, integer, logLevel, requiredString } from '@repo/config/env';
import { loadConfig } from '@repo/config/load-config';
import { imageJobEnvironment } from '@repo/image-jobs/settings';
import * as z from 'zod/mini';

/** image-resizer's environment; every variable has a default, template.yaml sets the ones it tunes. */
export const configSchema = z.object({
  ...imageJobEnvironment,
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
