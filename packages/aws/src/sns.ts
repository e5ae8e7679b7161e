import { SNSClient } from '@aws-sdk/client-sns';
import type { ClientSettings } from './dynamodb.ts';

/** An SNS client for one container: build it once at module scope (endpoint and region from the SDK's env). */
export function createSnsClient({ maxAttempts, endpoint }: ClientSettings): SNSClient {
  return new SNSClient({
    maxAttempts,
    retryMode: 'standard',
    ...(endpoint ? { endpoint } : {}),
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 },
  });
}
