/** EventBridge buses and rules; a rule that targets a function feeds a delivery queue. */
import {
  CreateEventBusCommand,
  PutRuleCommand,
  type PutRuleCommandInput,
  PutTargetsCommand,
  type Target,
} from '@aws-sdk/client-eventbridge';
import { type Properties, type ProvisionContext, ProvisionError } from './provision-context.ts';
import { deliveryQueueName, generatedName } from './provision-names.ts';
import { json, text } from './provision-properties.ts';
import { newQueue } from './provision-sqs.ts';
import type { LocalResource } from './types.ts';

/** A custom event bus. */
export async function createEventBus(
  context: ProvisionContext,
  _logicalId: string,
  properties: Properties,
): Promise<LocalResource> {
  const name = String(properties.Name);
  const { EventBusArn: arn = '' } = await context.clients.events.send(
    new CreateEventBusCommand({ Name: name }),
  );
  return { type: 'AWS::Events::EventBus', ref: name, attributes: { Arn: arn, Name: name } };
}

/** A rule and its targets: a function target becomes a delivery queue; SQS and SNS ones stay. */
export async function createRule(
  context: ProvisionContext,
  logicalId: string,
  properties: Properties,
): Promise<LocalResource> {
  const { stack, resources, unsupported, eventSources } = context;
  const name = text(properties.Name) ?? generatedName(stack.stackName, logicalId, 64);
  // The rule is created (moto accepts it) but nothing fires schedules locally.
  if (properties.ScheduleExpression !== undefined)
    unsupported.push(`Resources.${logicalId}.ScheduleExpression`);
  const arn = await putRule(context, {
    Name: name,
    EventPattern: json(properties.EventPattern),
    ScheduleExpression: text(properties.ScheduleExpression),
    EventBusName: text(properties.EventBusName),
    State: (text(properties.State) ?? 'ENABLED') as 'ENABLED',
    Description: text(properties.Description),
  });
  const targets: Target[] = [];
  for (const target of (properties.Targets ?? []) as (Target & Properties)[]) {
    const where = `Resources.${logicalId}.Targets.${target.Id}`;
    const functionId = Object.keys(resources).find(
      (id) =>
        resources[id]?.type === 'AWS::Serverless::Function' && resources[id]?.attributes.Arn === target.Arn,
    );
    if (functionId) {
      for (const key of ['DeadLetterConfig', 'RetryPolicy'] as const) {
        if (target[key] !== undefined) unsupported.push(`${where}.${key}`);
      }
      // The function is not a Lambda the endpoint knows: the rule feeds a queue the dev server drains.
      const queue = await newQueue(context, deliveryQueueName(stack.stackName, logicalId, functionId));
      const { DeadLetterConfig: _dlq, RetryPolicy: _retry, ...delivery } = target;
      targets.push({ ...delivery, Arn: queue.arn });
      eventSources.push({
        kind: 'eventbridge',
        functionId,
        eventName: logicalId,
        ruleName: name,
        deliveryQueueUrl: queue.url,
      });
    } else if (/^arn:[^:]+:(sqs|sns):/.test(String(target.Arn))) {
      targets.push(target);
    } else {
      unsupported.push(`${where} (${target.Arn})`);
    }
  }
  await putTargets(context, name, text(properties.EventBusName), targets);
  return { type: 'AWS::Events::Rule', ref: name, attributes: { Arn: arn } };
}

/** Puts a rule; its ARN. */
export async function putRule(context: ProvisionContext, input: PutRuleCommandInput): Promise<string> {
  const { RuleArn } = await context.clients.events.send(new PutRuleCommand(input));
  return RuleArn ?? '';
}

/** Puts a rule's targets; a target EventBridge refuses is an error naming it. */
export async function putTargets(
  context: ProvisionContext,
  rule: string,
  bus: string | undefined,
  targets: Target[],
) {
  if (targets.length === 0) return;
  const { FailedEntries = [] } = await context.clients.events.send(
    new PutTargetsCommand({ Rule: rule, EventBusName: bus, Targets: targets }),
  );
  const [failed] = FailedEntries;
  if (failed) throw new ProvisionError(`PutTargets ${rule} ${failed.TargetId}: ${failed.ErrorMessage}`);
}
