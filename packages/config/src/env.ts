import * as z from 'zod/mini';

/** A variable that must be set to a non-empty string (an empty string counts as missing). */
export const requiredString = () => z.string().check(z.minLength(1));

/** An integer variable within bounds, with a default when unset. */
export const integer = (options: { min: number; max: number; default: number }) =>
  z._default(
    z.coerce.number().check(z.int(), z.minimum(options.min), z.maximum(options.max)),
    options.default,
  );

/** Powertools log levels, as accepted by POWERTOOLS_LOG_LEVEL. */
export const logLevel = () =>
  z._default(z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL']), 'INFO');

/**
 * Settings every function's AWS clients share. Region and endpoint are left to the SDK, which reads
 * the standard AWS_REGION and AWS_ENDPOINT_URL itself, so one bundle talks to AWS, LocalStack or moto.
 */
export const awsClientSettings = {
  /** Attempts per AWS call, the first included (the SDK's standard variable and default). */
  AWS_MAX_ATTEMPTS: integer({ min: 1, max: 10, default: 3 }),
};
