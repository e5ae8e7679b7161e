import { S3Client } from '@aws-sdk/client-s3';
import type { ClientSettings } from './dynamodb.ts';

/**
 * An S3 client for one container: build it once at module scope. Region, endpoint (AWS_ENDPOINT_URL)
 * and credentials come from the SDK's standard chain; an IP-address endpoint such as moto's is
 * addressed path-style by the SDK itself.
 */
export function createS3Client({ maxAttempts, endpoint }: ClientSettings): S3Client {
  return new S3Client({
    maxAttempts,
    retryMode: 'standard',
    ...(endpoint ? { endpoint } : {}),
    // Transfers of large objects take longer than a DynamoDB call: no request timeout, but a stuck
    // connection attempt still fails fast and is retried.
    requestHandler: { connectionTimeout: 1_000 },
  });
}
