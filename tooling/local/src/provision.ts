/** Creates a template's resources on a local AWS endpoint, in order, and says what pnpm dev must deliver. */
import { DescribeEventBusCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Template } from '@repo/sam-template/read-template';
import { evaluateConditions, type LocalStack } from '@repo/sam-template/resolve-intrinsics';
import {
  createProvisionClients,
  type EventSource,
  type ProvisionContext,
  ProvisionError,
} from './provision-context.ts';
import { type FunctionEvent, wireEvent } from './provision-events.ts';
import { type ActiveResource, activeResources, creationOrder } from './provision-order.ts';
import { parameterValues } from './provision-parameters.ts';
import { createResource } from './provision-resource.ts';
import { putBucketNotifications } from './provision-s3.ts';
import type { LocalResource } from './types.ts';

/** What `provisionStack` created, and what it could not. */
export interface ProvisionedStack {
  /** For resolveIntrinsics: parameters, conditions, physical ids and attributes of what was created. */
  stack: LocalStack;
  /** By logical id. */
  resources: Record<string, LocalResource>;
  eventSources: EventSource[];
  /** Every template feature not supported locally, by name, e.g. `Resources.Stream (AWS::Kinesis::Stream)`. */
  unsupported: string[];
}

/** What to provision, and where. */
export interface ProvisionOptions {
  template: Template;
  /** Any AWS-compatible endpoint: moto_server, LocalStack … */
  endpoint: string;
  region?: string;
  stackName?: string;
  parameterOverrides?: Record<string, string>;
}

/**
 * Creates what `template` declares at `endpoint` (moto, LocalStack …), in dependency order and with
 * CloudFormation-style physical names, and returns how to resolve the template against it, what the dev
 * server must deliver to which function, and every feature that is not supported locally.
 */
export async function provisionStack({
  template,
  endpoint,
  region = 'us-east-1',
  stackName = 'local',
  parameterOverrides = {},
}: ProvisionOptions): Promise<ProvisionedStack> {
  const parameters = parameterValues(template, parameterOverrides);
  const clients = createProvisionClients(endpoint, region);
  try {
    const base: Omit<ProvisionContext['stack'], 'conditions'> = {
      region,
      accountId: await accountId(clients.events),
      stackName,
      parameters,
      physicalIds: {},
      attributes: {},
    };
    const stack = { ...base, conditions: evaluateConditions(template.Conditions ?? {}, base) };
    const resources = activeResources(template, stack.conditions);
    const context: ProvisionContext = {
      clients,
      stack,
      resources: {},
      eventSources: [],
      unsupported: [],
      notifications: new Map(),
    };
    for (const logicalId of creationOrder(resources)) {
      const { Type: type, properties } = resources[logicalId] as ActiveResource;
      const resource = await step(logicalId, type, () =>
        createResource(context, logicalId, type, properties),
      );
      context.resources[logicalId] = resource;
      stack.physicalIds[logicalId] = resource.ref;
      stack.attributes[logicalId] = resource.attributes;
    }
    // Event sources are wired once everything exists, as SAM's generated mappings and rules would be.
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (resource.Type !== 'AWS::Serverless::Function') continue;
      const events = (resource.properties.Events ?? {}) as Record<string, FunctionEvent>;
      for (const [eventName, event] of Object.entries(events)) {
        await step(`${logicalId}.Events.${eventName}`, event.Type, () =>
          wireEvent(context, logicalId, eventName, event, Number(resource.properties.Timeout ?? 3)),
        );
      }
    }
    await putBucketNotifications(context);
    return {
      stack,
      resources: context.resources,
      eventSources: context.eventSources,
      unsupported: context.unsupported.sort(),
    };
  } finally {
    for (const client of Object.values(clients)) client.destroy();
  }
}

async function step<T>(where: string, type: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (cause) {
    if (cause instanceof ProvisionError) throw cause;
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new ProvisionError(`Cannot create Resources.${where} (${type}): ${message}`, { cause });
  }
}

// moto says 123456789012, LocalStack 000000000000: the ARNs the endpoint hands out must match ours.
async function accountId(events: EventBridgeClient): Promise<string> {
  const { Arn } = await events.send(new DescribeEventBusCommand({}));
  const account = Arn?.split(':')[4];
  if (!account) throw new ProvisionError(`Cannot tell the account id from the default event bus (${Arn})`);
  return account;
}
