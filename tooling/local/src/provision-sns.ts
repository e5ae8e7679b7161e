/** SNS topics and their subscriptions (SQS ones; any other protocol is reported unsupported). */
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import type { Properties, ProvisionContext } from './provision-context.ts';
import { generatedName } from './provision-names.ts';
import { isTrue, stringAttributes, text } from './provision-properties.ts';
import type { LocalResource } from './types.ts';

/** A topic and its inline Subscription entries. */
export async function createTopic(
  context: ProvisionContext,
  logicalId: string,
  properties: Properties,
): Promise<LocalResource> {
  const { stack, clients } = context;
  const fifo = isTrue(properties.FifoTopic);
  const name =
    text(properties.TopicName) ?? generatedName(stack.stackName, logicalId, 256, fifo ? '.fifo' : '');
  const attributes = stringAttributes(properties, ['FifoTopic', 'ContentBasedDeduplication', 'DisplayName']);
  const { TopicArn: arn = '' } = await clients.sns.send(
    new CreateTopicCommand({ Name: name, Attributes: attributes }),
  );
  const inline = (properties.Subscription ?? []) as Properties[];
  for (const [index, subscription] of inline.entries()) {
    await subscribe(context, `Resources.${logicalId}.Subscription.${index}`, {
      ...subscription,
      TopicArn: arn,
    });
  }
  return { type: 'AWS::SNS::Topic', ref: arn, attributes: { TopicArn: arn, TopicName: name } };
}

/** An AWS::SNS::Subscription. */
export async function createSubscription(
  context: ProvisionContext,
  logicalId: string,
  properties: Properties,
) {
  const arn = await subscribe(context, `Resources.${logicalId}`, properties);
  return { type: 'AWS::SNS::Subscription', ref: arn ?? logicalId, attributes: {} };
}

/** Subscribes an SQS queue to a topic; any other protocol is reported unsupported. */
async function subscribe(
  context: ProvisionContext,
  where: string,
  properties: Properties,
): Promise<string | undefined> {
  if (properties.Protocol !== 'sqs') {
    context.unsupported.push(`${where} (SNS protocol ${properties.Protocol})`);
    return undefined;
  }
  const { SubscriptionArn } = await context.clients.sns.send(
    new SubscribeCommand({
      TopicArn: text(properties.TopicArn),
      Protocol: 'sqs',
      Endpoint: text(properties.Endpoint),
      ReturnSubscriptionArn: true,
      Attributes: stringAttributes(properties, [
        'RawMessageDelivery',
        'FilterPolicy',
        'FilterPolicyScope',
        'RedrivePolicy',
      ]),
    }),
  );
  return SubscriptionArn;
}
