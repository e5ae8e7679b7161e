/** What every provisioning step shares: clients, the stack so far, what was created, ProvisionError. */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { type QueueConfiguration, S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { LocalStack } from '@repo/sam-template/resolve-intrinsics';
import type { LocalResource } from './types.ts';

/** Something the dev server must poll and hand to a function. */
export type EventSource =
  | {
      kind: 'sqs';
      functionId: string;
      eventName: string;
      queueUrl: string;
      queueArn: string;
      batchSize: number;
      reportBatchItemFailures: boolean;
      maximumBatchingWindowInSeconds: number;
      /** `ScalingConfig.MaximumConcurrency`: concurrent batches at most (Lambda: 2–1,000). */
      maximumConcurrency?: number;
      enabled: boolean;
    }
  /** Events the rule matches arrive in `deliveryQueueUrl`, each message body one EventBridge event. */
  | { kind: 'eventbridge'; functionId: string; eventName: string; ruleName: string; deliveryQueueUrl: string }
  /** Classic S3 notifications arrive in `deliveryQueueUrl`, each message body one `{ Records: [...] }` event. */
  | {
      kind: 's3-notification';
      functionId: string;
      eventName: string;
      bucketName: string;
      deliveryQueueUrl: string;
    };

/** Thrown when the template cannot be provisioned: bad parameters, a dependency cycle, a failed call. */
export class ProvisionError extends Error {
  override readonly name = 'ProvisionError';
}

/** One SDK client per service provisioning calls, all pointed at the local endpoint. */
export interface ProvisionClients {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  sns: SNSClient;
  sqs: SQSClient;
  events: EventBridgeClient;
  cognito: CognitoIdentityProviderClient;
}

/** The stack being provisioned: what each step reads and adds to. */
export interface ProvisionContext {
  clients: ProvisionClients;
  stack: LocalStack & { attributes: Record<string, Record<string, string>> };
  resources: Record<string, LocalResource>;
  eventSources: EventSource[];
  unsupported: string[];
  /** Per bucket name; PutBucketNotificationConfiguration replaces the whole set, so it is put once, last. */
  notifications: Map<
    string,
    { eventBridge: boolean; queues: { url: string; configuration: QueueConfiguration }[] }
  >;
}

/** A resource's (or an event's) Properties. */
export type Properties = Record<string, unknown>;
/** Creates one resource of a type from its resolved properties; what `!Ref` and `!GetAtt` of it return. */
export type CreateResource = (
  context: ProvisionContext,
  logicalId: string,
  properties: Properties,
) => Promise<LocalResource>;

/** The clients for `endpoint`, with fixed test credentials. */
export function createProvisionClients(endpoint: string, region: string): ProvisionClients {
  // Local endpoints accept any credentials; fixed ones keep a developer's real profile out of it.
  const config = { endpoint, region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  return {
    // Path style: bucket names as subdomains of 127.0.0.1 do not resolve.
    s3: new S3Client({ ...config, forcePathStyle: true }),
    dynamodb: new DynamoDBClient(config),
    sns: new SNSClient(config),
    sqs: new SQSClient(config),
    events: new EventBridgeClient(config),
    cognito: new CognitoIdentityProviderClient(config),
  };
}
