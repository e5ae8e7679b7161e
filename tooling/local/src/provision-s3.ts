/** S3 buckets, and their notification configuration, put once every function's S3 events are known. */
import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketVersioningCommand,
} from '@aws-sdk/client-s3';
import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import type { Properties, ProvisionContext } from './provision-context.ts';
import { generatedName } from './provision-names.ts';
import { isTrue, reportWithoutLocalEffect, text } from './provision-properties.ts';
import type { LocalResource } from './types.ts';

// Access, encryption and housekeeping settings that change nothing a function can observe locally.
const bucketPropertiesWithoutLocalEffect = [
  'PublicAccessBlockConfiguration',
  'CorsConfiguration',
  'BucketEncryption',
  'OwnershipControls',
  'LifecycleConfiguration',
  'LoggingConfiguration',
  'IntelligentTieringConfigurations',
];

/** A bucket; its notification configuration waits for putBucketNotifications. */
export async function createBucket(
  context: ProvisionContext,
  logicalId: string,
  properties: Properties,
): Promise<LocalResource> {
  const { stack, clients } = context;
  reportWithoutLocalEffect(context, logicalId, properties, bucketPropertiesWithoutLocalEffect);
  const name = text(properties.BucketName) ?? generatedName(stack.stackName, logicalId, 63).toLowerCase();
  await clients.s3.send(
    new CreateBucketCommand({
      Bucket: name,
      // us-east-1 is the one region S3 rejects as an explicit LocationConstraint.
      CreateBucketConfiguration:
        stack.region === 'us-east-1'
          ? undefined
          : { LocationConstraint: stack.region as BucketLocationConstraint },
    }),
  );
  // Versioning changes what functions observe (version ids in events, every version readable): made real.
  const versioning = text((properties.VersioningConfiguration as Properties | undefined)?.Status);
  if (versioning === 'Enabled' || versioning === 'Suspended') {
    await clients.s3.send(
      new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: versioning } }),
    );
  }
  const { EventBridgeConfiguration, ...others } = (properties.NotificationConfiguration ?? {}) as Properties;
  const eventBridge = isTrue((EventBridgeConfiguration as Properties | undefined)?.EventBridgeEnabled);
  context.notifications.set(name, { eventBridge, queues: [] });
  for (const key of Object.keys(others)) {
    context.unsupported.push(`Resources.${logicalId}.NotificationConfiguration.${key}`);
  }
  return {
    type: 'AWS::S3::Bucket',
    ref: name,
    attributes: {
      Arn: `arn:aws:s3:::${name}`,
      DomainName: `${name}.s3.amazonaws.com`,
      RegionalDomainName: `${name}.s3.${stack.region}.amazonaws.com`,
    },
  };
}

/** Puts each bucket's notifications once, with every queue its functions' S3 events need. */
export async function putBucketNotifications(context: ProvisionContext) {
  const { s3, sqs } = context.clients;
  for (const [bucket, { eventBridge, queues }] of context.notifications) {
    if (!eventBridge && queues.length === 0) continue;
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: {
          EventBridgeConfiguration: eventBridge ? {} : undefined,
          QueueConfigurations: queues.length > 0 ? queues.map((queue) => queue.configuration) : undefined,
        },
      }),
    );
    // S3 (and moto) greets each new queue destination with an `s3:TestEvent` message, which is no
    // function's event. The delivery queues are ours alone, so it is simply dropped.
    for (const { url } of queues) await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
  }
}
