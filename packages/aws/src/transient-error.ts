import { isServerError, isThrottlingError, isTransientError } from '@smithy/service-error-classification';

/**
 * Whether an error from an AWS call (after the SDK's own attempts) is worth another attempt: throttling,
 * a 5xx, a transient SDK fault, or a connection that failed (refused, reset, timed out — those surface
 * without an HTTP status, as a Node error code).
 */
export function isTransientAwsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const sdkError = error as Parameters<typeof isTransientError>[0];
  return (
    isThrottlingError(sdkError) ||
    isTransientError(sdkError) ||
    isServerError(sdkError) ||
    ('code' in error && typeof error.code === 'string' && /^E[A-Z]+$/.test(error.code))
  );
}
