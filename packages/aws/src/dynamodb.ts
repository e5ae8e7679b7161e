import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface ClientSettings {
  /** Attempts per call, the first included (AWS_MAX_ATTEMPTS from config). */
  maxAttempts: number;
  /** Overrides the endpoint; leave unset so the SDK takes AWS_ENDPOINT_URL or the regional default. */
  endpoint?: string;
}

/**
 * A DynamoDB document client for one container: build it once at module scope. Region, endpoint
 * (AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_DYNAMODB) and credentials come from the SDK's standard chain,
 * so the same bundle talks to AWS, LocalStack or moto.
 */
export function createDocumentClient({ maxAttempts, endpoint }: ClientSettings): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    maxAttempts,
    ...(endpoint ? { endpoint } : {}),
    retryMode: 'standard',
    // Fail a stuck connection fast, well inside API Gateway's 29 s, and let the retry strategy try again.
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 },
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}
