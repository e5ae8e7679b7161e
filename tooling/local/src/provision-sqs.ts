/** SQS queues (the template's and the delivery queues) and queue policies. */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import type { Properties, ProvisionContext } from './provision-context.ts';
import { generatedName } from './provision-names.ts';
import { isTrue, stringAttributes, text } from './provision-properties.ts';
import type { LocalResource } from './types.ts';

/** A queue, its CloudFormation properties passed as SQS attributes. */
export async function createQueue(
  context: ProvisionContext,
  logicalId: string,
  properties: Properties,
): Promise<LocalResource> {
  const { QueueName, Tags: _tags, ...settings } = properties;
  const fifo = isTrue(settings.FifoQueue);
  const name = text(QueueName) ?? generatedName(context.stack.stackName, logicalId, 80, fifo ? '.fifo' : '');
  // The CloudFormation properties are the SQS attribute names; an unknown one fails loudly in CreateQueue.
  const { url, arn } = await newQueue(context, name, stringAttributes(settings, Object.keys(settings)));
  return { type: 'AWS::SQS::Queue', ref: url, attributes: { Arn: arn, QueueName: name, QueueUrl: url } };
}

/** Creates a queue; its URL and ARN. */
export async function newQueue(
  context: ProvisionContext,
  name: string,
  attributes: Record<string, string> = {},
): Promise<{ url: string; arn: string }> {
  const { sqs } = context.clients;
  const { QueueUrl: url = '' } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
  );
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  return { url, arn: Attributes?.QueueArn ?? '' };
}

// moto keeps the policy but does not enforce it; it is still set so that LocalStack with enforcement
// (and anyone reading it back) sees what AWS would.
export async function setQueuePolicy(context: ProvisionContext, logicalId: string, properties: Properties) {
  const policy = JSON.stringify(properties.PolicyDocument);
  for (const url of (properties.Queues ?? []) as string[]) {
    await context.clients.sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: policy } }),
    );
  }
  return { type: 'AWS::SQS::QueuePolicy', ref: logicalId, attributes: {} };
}

/**
 * `pnpm dev --visibility-timeout <s>`: every template queue's visibility timeout set to `seconds`, so a
 * message that failed comes back in seconds rather than after the template's timeout (720 s for a queue
 * feeding a 120 s function) — for soaks and fault runs. What a shorter timeout also brings is AWS's: a
 * batch that runs longer than it is delivered again while still running. Resolves with what was changed.
 */
export async function shortenVisibilityTimeouts(
  sqs: ProvisionContext['clients']['sqs'],
  resources: Record<string, LocalResource>,
  seconds: number,
): Promise<string[]> {
  const changed: string[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.type !== 'AWS::SQS::Queue') continue;
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: resource.ref, AttributeNames: ['VisibilityTimeout'] }),
    );
    const before = Number(Attributes?.VisibilityTimeout ?? 30);
    if (before <= seconds) continue;
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: resource.ref,
        Attributes: { VisibilityTimeout: String(seconds) },
      }),
    );
    changed.push(`${logicalId} ${before} s → ${seconds} s`);
  }
  return changed;
}
