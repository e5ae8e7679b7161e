/** A function's SQS, EventBridgeRule and S3 events wired as SAM would, as sources pnpm dev polls. */
import type { Target } from '@aws-sdk/client-eventbridge';
import type { QueueConfiguration } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { type Properties, type ProvisionContext, ProvisionError } from './provision-context.ts';
import { putRule, putTargets } from './provision-eventbridge.ts';
import { deliveryQueueName, generatedName } from './provision-names.ts';
import { isTrue, json, resolveProperties, text } from './provision-properties.ts';
import { newQueue } from './provision-sqs.ts';

/** One entry of a function's Events. */
export interface FunctionEvent {
  Type: string;
  Properties?: Properties;
}

/** Wires one event of a function; Api events are the local API's, other types are unsupported. */
export async function wireEvent(
  context: ProvisionContext,
  functionId: string,
  eventName: string,
  event: FunctionEvent,
  timeoutSeconds: number,
) {
  const where = `Resources.${functionId}.Events.${eventName}`;
  const properties = () => resolveProperties(event.Properties ?? {}, context.stack);
  switch (event.Type) {
    case 'Api':
      return; // served by the local API Gateway
    case 'SQS':
      return sqsEvent(context, where, functionId, eventName, properties(), timeoutSeconds);
    case 'EventBridgeRule':
      return eventBridgeRuleEvent(context, where, functionId, eventName, properties());
    case 'S3':
      return s3Event(context, where, functionId, eventName, properties());
    default:
      context.unsupported.push(`${where} (${event.Type})`);
  }
}

async function sqsEvent(
  context: ProvisionContext,
  where: string,
  functionId: string,
  eventName: string,
  properties: Properties,
  timeoutSeconds: number,
) {
  const queue = Object.values(context.resources).find(
    (resource) => resource.type === 'AWS::SQS::Queue' && resource.attributes.Arn === properties.Queue,
  );
  if (!queue) {
    context.unsupported.push(`${where}.Queue (${properties.Queue} is not a queue of this template)`);
    return;
  }
  // AWS refuses the mapping (and so the deploy): a batch would come back while the function still runs.
  const { Attributes } = await context.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queue.ref, AttributeNames: ['VisibilityTimeout'] }),
  );
  const visibility = Number(Attributes?.VisibilityTimeout ?? 30);
  if (visibility < timeoutSeconds) {
    throw new ProvisionError(
      `${where}: Queue visibility timeout: ${visibility} seconds is less than Function timeout: ${timeoutSeconds} seconds (AWS refuses this mapping; AWS advises six times the function's timeout)`,
    );
  }
  // Filtering happens in Lambda's poller, which the dev server does not reproduce.
  if (properties.FilterCriteria !== undefined) context.unsupported.push(`${where}.FilterCriteria`);
  const responseTypes = (properties.FunctionResponseTypes ?? []) as string[];
  const scaling = properties.ScalingConfig as { MaximumConcurrency?: unknown } | undefined;
  context.eventSources.push({
    kind: 'sqs',
    functionId,
    eventName,
    queueUrl: queue.ref,
    queueArn: queue.attributes.Arn as string,
    batchSize: Number(properties.BatchSize ?? 10),
    reportBatchItemFailures: responseTypes.includes('ReportBatchItemFailures'),
    maximumBatchingWindowInSeconds: Number(properties.MaximumBatchingWindowInSeconds ?? 0),
    ...(scaling?.MaximumConcurrency === undefined
      ? {}
      : { maximumConcurrency: Number(scaling.MaximumConcurrency) }),
    enabled: properties.Enabled === undefined || isTrue(properties.Enabled),
  });
}

async function eventBridgeRuleEvent(
  context: ProvisionContext,
  where: string,
  functionId: string,
  eventName: string,
  properties: Properties,
) {
  const { stack } = context;
  for (const key of ['DeadLetterConfig', 'RetryPolicy']) {
    if (properties[key] !== undefined) context.unsupported.push(`${where}.${key}`);
  }
  // SAM names the generated rule <Function><Event>, and its target <Function><Event>LambdaTarget.
  const ruleId = `${functionId}${eventName}`;
  const ruleName = text(properties.RuleName) ?? generatedName(stack.stackName, ruleId, 64);
  const bus = text(properties.EventBusName);
  await putRule(context, {
    Name: ruleName,
    EventPattern: json(properties.Pattern),
    EventBusName: bus,
    State: (text(properties.State) ?? 'ENABLED') as 'ENABLED',
  });
  const queue = await newQueue(context, deliveryQueueName(stack.stackName, functionId, eventName));
  const target = properties.Target as { Id?: string } | undefined;
  await putTargets(context, ruleName, bus, [
    {
      Id: target?.Id ?? `${ruleId}LambdaTarget`,
      Arn: queue.arn,
      Input: text(properties.Input),
      InputPath: text(properties.InputPath),
      InputTransformer: properties.InputTransformer as Target['InputTransformer'],
    },
  ]);
  context.eventSources.push({
    kind: 'eventbridge',
    functionId,
    eventName,
    ruleName,
    deliveryQueueUrl: queue.url,
  });
}

async function s3Event(
  context: ProvisionContext,
  where: string,
  functionId: string,
  eventName: string,
  properties: Properties,
) {
  const bucketName = String(properties.Bucket);
  const notifications = context.notifications.get(bucketName);
  if (!notifications) {
    context.unsupported.push(`${where}.Bucket (${bucketName} is not a bucket of this template)`);
    return;
  }
  const queue = await newQueue(context, deliveryQueueName(context.stack.stackName, functionId, eventName));
  const rules = (properties.Filter as { S3Key?: { Rules?: { Name: string; Value: string }[] } } | undefined)
    ?.S3Key?.Rules;
  notifications.queues.push({
    url: queue.url,
    configuration: {
      QueueArn: queue.arn,
      Events: [properties.Events].flat() as QueueConfiguration['Events'],
      // SAM/CloudFormation say Filter.S3Key.Rules; the S3 API says Filter.Key.FilterRules.
      Filter: rules
        ? { Key: { FilterRules: rules.map(({ Name, Value }) => ({ Name: Name as 'prefix', Value })) } }
        : undefined,
    },
  });
  context.eventSources.push({
    kind: 's3-notification',
    functionId,
    eventName,
    bucketName,
    deliveryQueueUrl: queue.url,
  });
}
