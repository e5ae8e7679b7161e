import { randomInt } from 'node:crypto';
import {
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  type ExplicitAuthFlowsType,
  type UsernameAttributeType,
  type VerifiedAttributeType,
} from '@aws-sdk/client-cognito-identity-provider';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import {
  CreateEventBusCommand,
  DescribeEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  type PutRuleCommandInput,
  PutTargetsCommand,
  type Target,
} from '@aws-sdk/client-eventbridge';
import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  PutBucketNotificationConfigurationCommand,
  type QueueConfiguration,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { createTableInput } from '@repo/aws-local/dynamodb-table-input';
import { serverlessFunctions, type Template } from '@repo/sam-template/read-template';
import {
  evaluateConditions,
  type LocalStack,
  resolveIntrinsics,
} from '@repo/sam-template/resolve-intrinsics';
import { isRecord, referencedIds } from '@repo/sam-template/template-values';
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

export interface ProvisionOptions {
  template: Template;
  /** Any AWS-compatible endpoint: moto_server, LocalStack … */
  endpoint: string;
  region?: string;
  stackName?: string;
  parameterOverrides?: Record<string, string>;
}

/** Thrown when the template cannot be provisioned: bad parameters, a dependency cycle, a failed call. */
export class ProvisionError extends Error {
  override readonly name = 'ProvisionError';
}

interface Clients {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  sns: SNSClient;
  sqs: SQSClient;
  events: EventBridgeClient;
  cognito: CognitoIdentityProviderClient;
}

interface Context {
  clients: Clients;
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

type Properties = Record<string, unknown>;
type Create = (context: Context, logicalId: string, properties: Properties) => Promise<LocalResource>;

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
  const clients = createClients(endpoint, region);
  try {
    const base: Omit<Context['stack'], 'conditions'> = {
      region,
      accountId: await accountId(clients.events),
      stackName,
      parameters,
      physicalIds: {},
      attributes: {},
    };
    const stack = { ...base, conditions: evaluateConditions(template.Conditions ?? {}, base) };
    const resources = activeResources(template, stack.conditions);
    const context: Context = {
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

function createClients(endpoint: string, region: string): Clients {
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

// moto says 123456789012, LocalStack 000000000000: the ARNs the endpoint hands out must match ours.
async function accountId(events: EventBridgeClient): Promise<string> {
  const { Arn } = await events.send(new DescribeEventBusCommand({}));
  const account = Arn?.split(':')[4];
  if (!account) throw new ProvisionError(`Cannot tell the account id from the default event bus (${Arn})`);
  return account;
}

function parameterValues(template: Template, overrides: Record<string, string>): Record<string, string> {
  const declared = template.Parameters ?? {};
  const unknown = Object.keys(overrides).filter((name) => !(name in declared));
  if (unknown.length > 0) throw new ProvisionError(`Unknown parameter override ${unknown.join(', ')}`);
  return Object.fromEntries(
    Object.entries(declared).map(([name, definition]) => {
      const value = overrides[name] ?? definition.Default;
      if (value === undefined) throw new ProvisionError(`Parameter ${name} has no Default and no override`);
      const allowed = definition.AllowedValues;
      if (Array.isArray(allowed) && !allowed.map(String).includes(String(value))) {
        throw new ProvisionError(`Parameter ${name}: ${value} is not one of ${allowed.join(', ')}`);
      }
      return [name, String(value)];
    }),
  );
}

interface ActiveResource {
  Type: string;
  properties: Properties;
  dependsOn: string[];
}

/** Resources whose Condition holds; functions with their Globals merged in. */
function activeResources(template: Template, conditions: Record<string, boolean>) {
  const functions = new Map(serverlessFunctions(template).map((fn) => [fn.logicalId, fn.properties]));
  const active: Record<string, ActiveResource> = {};
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Condition !== undefined) {
      if (!(resource.Condition in conditions)) {
        throw new ProvisionError(`Resources.${logicalId}: unknown Condition ${resource.Condition}`);
      }
      if (!conditions[resource.Condition]) continue;
    }
    active[logicalId] = {
      Type: resource.Type,
      properties: functions.get(logicalId) ?? resource.Properties ?? {},
      dependsOn: [resource.DependsOn ?? []].flat(),
    };
  }
  return active;
}

/** Logical ids, each after every resource its properties refer to; a cycle is an error naming it. */
function creationOrder(resources: Record<string, ActiveResource>): string[] {
  const order: string[] = [];
  const visiting: string[] = [];
  const visit = (logicalId: string) => {
    if (order.includes(logicalId)) return;
    if (visiting.includes(logicalId)) {
      const cycle = [...visiting.slice(visiting.indexOf(logicalId)), logicalId];
      throw new ProvisionError(`Circular dependency between resources: ${cycle.join(' -> ')}`);
    }
    visiting.push(logicalId);
    const { Type, properties, dependsOn } = resources[logicalId] as ActiveResource;
    // A function's Events are wired after all resources exist, so they impose no order.
    const own = Type === 'AWS::Serverless::Function' ? { ...properties, Events: undefined } : properties;
    for (const dependency of new Set([...referencedIds(own), ...dependsOn])) {
      if (dependency in resources) visit(dependency);
    }
    visiting.pop();
    order.push(logicalId);
  };
  for (const logicalId of Object.keys(resources)) visit(logicalId);
  return order;
}

// CloudFormation drops a property whose value is `!Ref AWS::NoValue` (typically inside an `!If`);
// resolveIntrinsics turns it into '', which would reach the API as a real value.
const noValue = Symbol('AWS::NoValue');

function resolve(value: unknown, stack: LocalStack): Properties {
  return dropNoValue(resolveIntrinsics(markNoValue(value), stack)) as Properties;
}

function markNoValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(markNoValue);
  if (!isRecord(value)) return value;
  if (value.Ref === 'AWS::NoValue' && Object.keys(value).length === 1) return noValue;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, markNoValue(item)]));
}

function dropNoValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((item) => item !== noValue).map(dropNoValue);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, item]) => item !== noValue)
      .map(([key, item]) => [key, dropNoValue(item)]),
  );
}

async function createResource(
  context: Context,
  logicalId: string,
  type: string,
  properties: Properties,
): Promise<LocalResource> {
  const { stack } = context;
  const create = creators[type];
  if (create) return create(context, logicalId, resolve(properties, stack));
  const localOnly = localOnlyTypes[type] ?? (type.startsWith('AWS::IAM::') ? {} : undefined);
  if (!localOnly) {
    context.unsupported.push(`Resources.${logicalId} (${type})`);
    return { type, ref: logicalId, attributes: {} };
  }
  // Only the name is resolved: the rest of a resource that is not created never reaches an API.
  const given = localOnly.nameProperty ? properties[localOnly.nameProperty] : undefined;
  const name =
    given !== undefined
      ? String(resolveIntrinsics(given, stack))
      : localOnly.generatedName
        ? generatedName(stack.stackName, logicalId, 255)
        : logicalId;
  const arn = localOnly.arn?.(name, stack);
  return { type, ref: localOnly.refIsArn && arn ? arn : name, attributes: arn ? { Arn: arn } : {} };
}

interface LocalOnly {
  nameProperty?: string;
  /** Unnamed, it gets `<stack>-<LogicalId>-<RANDOM>`; otherwise its logical id. */
  generatedName?: boolean;
  arn?: (name: string, stack: LocalStack) => string;
  refIsArn?: boolean;
}

/** Types that need nothing created locally; they get a Ref (and an ARN) so that `!Ref` resolves. */
const localOnlyTypes: Record<string, LocalOnly> = {
  // Served in-process; the name is what `pnpm dev` and `pnpm invoke` call it by. Events are wired later.
  'AWS::Serverless::Function': {
    nameProperty: 'FunctionName',
    arn: (name, { region, accountId }) => `arn:aws:lambda:${region}:${accountId}:function:${name}`,
  },
  'AWS::Serverless::Api': {},
  'AWS::Logs::LogGroup': {
    nameProperty: 'LogGroupName',
    generatedName: true,
    arn: (name, { region, accountId }) => `arn:aws:logs:${region}:${accountId}:log-group:${name}:*`,
  },
  'AWS::IAM::Role': {
    nameProperty: 'RoleName',
    generatedName: true,
    arn: (name, { accountId }) => `arn:aws:iam::${accountId}:role/${name}`,
  },
  'AWS::IAM::ManagedPolicy': {
    nameProperty: 'ManagedPolicyName',
    generatedName: true,
    arn: (name, { accountId }) => `arn:aws:iam::${accountId}:policy/${name}`,
    refIsArn: true,
  },
  'AWS::Lambda::Permission': {},
  // Async retries and destinations are the async invoker's business.
  'AWS::Lambda::EventInvokeConfig': {},
  'AWS::CloudWatch::Alarm': {
    nameProperty: 'AlarmName',
    generatedName: true,
    arn: (name, { region, accountId }) => `arn:aws:cloudwatch:${region}:${accountId}:alarm:${name}`,
  },
  'AWS::CloudWatch::Dashboard': { nameProperty: 'DashboardName', generatedName: true },
  // Neither moto nor LocalStack (by default) enforces resource policies.
  'AWS::SNS::TopicPolicy': {},
};

const creators: Record<string, Create> = {
  'AWS::S3::Bucket': createBucket,
  'AWS::DynamoDB::Table': createTable,
  'AWS::SNS::Topic': createTopic,
  'AWS::SNS::Subscription': createSubscription,
  'AWS::SQS::Queue': createQueue,
  'AWS::SQS::QueuePolicy': setQueuePolicy,
  'AWS::Events::EventBus': createEventBus,
  'AWS::Events::Rule': createRule,
  'AWS::Cognito::UserPool': createUserPool,
  'AWS::Cognito::UserPoolClient': createUserPoolClient,
  'AWS::Cognito::UserPoolGroup': createUserPoolGroup,
};

// Protection, recovery and sign-up settings that change nothing the API or a function sees locally.
const userPoolPropertiesWithoutLocalEffect = [
  'DeletionProtection',
  'AccountRecoverySetting',
  'MfaConfiguration',
  'EnabledMfas',
  'AdminCreateUserConfig',
  'EmailConfiguration',
  'LambdaConfig',
  'UserPoolAddOns',
];

/** A user pool in the local AWS (moto issues its RS256 tokens and serves their JWKS). */
async function createUserPool(
  context: Context,
  logicalId: string,
  properties: Properties,
): Promise<LocalResource> {
  const { stack, clients } = context;
  reportWithoutLocalEffect(context, logicalId, properties, userPoolPropertiesWithoutLocalEffect);
  const { UserPool } = await clients.cognito.send(
    new CreateUserPoolCommand({
      PoolName: text(properties.UserPoolName) ?? generatedName(stack.stackName, logicalId, 128),
      UsernameAttributes: properties.UsernameAttributes as UsernameAttributeType[] | undefined,
      AutoVerifiedAttributes: properties.AutoVerifiedAttributes as VerifiedAttributeType[] | undefined,
      Policies: properties.Policies as never,
    }),
  );
  const id = UserPool?.Id ?? '';
  const providerName = `cognito-idp.${stack.region}.amazonaws.com/${id}`;
  return {
    type: 'AWS::Cognito::UserPool',
    ref: id,
    attributes: {
      Arn: UserPool?.Arn ?? `arn:aws:cognito-idp:${stack.region}:${stack.accountId}:userpool/${id}`,
      ProviderName: providerName,
      ProviderURL: `https://${providerName}`,
      UserPoolId: id,
    },
  };
}

async function createUserPoolClient(
  context: Context,
  _logicalId: string,
  properties: Properties,
): Promise<LocalResource> {
  const { clients } = context;
  const { UserPoolClient } = await clients.cognito.send(
    new CreateUserPoolClientCommand({
      UserPoolId: text(properties.UserPoolId),
      ClientName: text(properties.ClientName) ?? 'local',
      GenerateSecret: isTrue(properties.GenerateSecret),
      // The template's flows, and the one `pnpm id-token` signs local users in with.
      ExplicitAuthFlows: [
        ...new Set([
          ...((properties.ExplicitAuthFlows as ExplicitAuthFlowsType[] | undefined) ?? []),
          'ALLOW_ADMIN_USER_PASSWORD_AUTH' as const,
        ]),
      ],
    }),
  );
  const id = UserPoolClient?.ClientId ?? '';
  return {
    type: 'AWS::Cognito::UserPoolClient',
    ref: id,
    attributes: { ClientId: id, Name: UserPoolClient?.ClientName ?? '' },
  };
}

async function createUserPoolGroup(
  context: Context,
  _logicalId: string,
  properties: Properties,
): Promise<LocalResource> {
  const name = text(properties.GroupName) ?? 'group';
  await context.clients.cognito.send(
    new CreateGroupCommand({
      GroupName: name,
      UserPoolId: text(properties.UserPoolId),
      Description: text(properties.Description),
    }),
  );
  return { type: 'AWS::Cognito::UserPoolGroup', ref: name, attributes: {} };
}

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

/** Names the properties the local stack accepts but does not apply, so nobody relies on them locally. */
function reportWithoutLocalEffect(
  context: Context,
  logicalId: string,
  properties: Properties,
  names: readonly string[],
): void {
  for (const property of names) {
    if (properties[property] !== undefined) {
      context.unsupported.push(`Resources.${logicalId}.${property} (no local effect)`);
    }
  }
}

async function createBucket(
  context: Context,
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

// Durability, protection and housekeeping settings that change nothing a function can observe locally.
const tablePropertiesWithoutLocalEffect = [
  'PointInTimeRecoverySpecification',
  'SSESpecification',
  'DeletionProtectionEnabled',
  'TimeToLiveSpecification',
  'ContributorInsightsSpecification',
  'KinesisStreamSpecification',
  'TableClass',
];

async function createTable(
  context: Context,
  logicalId: string,
  properties: Properties,
): Promise<LocalResource> {
  const { stack, clients } = context;
  reportWithoutLocalEffect(context, logicalId, properties, tablePropertiesWithoutLocalEffect);
  const input = createTableInput(logicalId, {
    ...properties,
    TableName: text(properties.TableName) ?? generatedName(stack.stackName, logicalId, 255),
  });
  const stream = properties.StreamSpecification as { StreamViewType?: string } | undefined;
  const { TableDescription: table } = await clients.dynamodb.send(
    new CreateTableCommand({
      ...input,
      StreamSpecification: stream
        ? { StreamEnabled: true, StreamViewType: stream.StreamViewType as 'NEW_IMAGE' }
        : undefined,
    }),
  );
  if (table?.TableStatus !== 'ACTIVE') {
    await waitUntilTableExists({ client: clients.dynamodb, maxWaitTime: 60 }, { TableName: input.TableName });
  }
  return {
    type: 'AWS::DynamoDB::Table',
    ref: input.TableName as string,
    attributes: {
      Arn: table?.TableArn ?? '',
      ...(table?.LatestStreamArn ? { StreamArn: table.LatestStreamArn } : {}),
    },
  };
}

async function createTopic(
  context: Context,
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

async function createSubscription(context: Context, logicalId: string, properties: Properties) {
  const arn = await subscribe(context, `Resources.${logicalId}`, properties);
  return { type: 'AWS::SNS::Subscription', ref: arn ?? logicalId, attributes: {} };
}

/** Subscribes an SQS queue to a topic; any other protocol is reported unsupported. */
async function subscribe(
  context: Context,
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

async function createQueue(
  context: Context,
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

async function newQueue(
  context: Context,
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
async function setQueuePolicy(context: Context, logicalId: string, properties: Properties) {
  const policy = JSON.stringify(properties.PolicyDocument);
  for (const url of (properties.Queues ?? []) as string[]) {
    await context.clients.sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: policy } }),
    );
  }
  return { type: 'AWS::SQS::QueuePolicy', ref: logicalId, attributes: {} };
}

async function createEventBus(
  context: Context,
  _logicalId: string,
  properties: Properties,
): Promise<LocalResource> {
  const name = String(properties.Name);
  const { EventBusArn: arn = '' } = await context.clients.events.send(
    new CreateEventBusCommand({ Name: name }),
  );
  return { type: 'AWS::Events::EventBus', ref: name, attributes: { Arn: arn, Name: name } };
}

async function createRule(
  context: Context,
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

async function putRule(context: Context, input: PutRuleCommandInput): Promise<string> {
  const { RuleArn } = await context.clients.events.send(new PutRuleCommand(input));
  return RuleArn ?? '';
}

async function putTargets(context: Context, rule: string, bus: string | undefined, targets: Target[]) {
  if (targets.length === 0) return;
  const { FailedEntries = [] } = await context.clients.events.send(
    new PutTargetsCommand({ Rule: rule, EventBusName: bus, Targets: targets }),
  );
  const [failed] = FailedEntries;
  if (failed) throw new ProvisionError(`PutTargets ${rule} ${failed.TargetId}: ${failed.ErrorMessage}`);
}

interface FunctionEvent {
  Type: string;
  Properties?: Properties;
}

async function wireEvent(
  context: Context,
  functionId: string,
  eventName: string,
  event: FunctionEvent,
  timeoutSeconds: number,
) {
  const where = `Resources.${functionId}.Events.${eventName}`;
  const properties = () => resolve(event.Properties ?? {}, context.stack);
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
  context: Context,
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
  context: Context,
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
  context: Context,
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

async function putBucketNotifications(context: Context) {
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

/** `<stackName>-<LogicalId>-<RANDOM>`, as CloudFormation names what the template leaves unnamed. */
function generatedName(stackName: string, logicalId: string, maxLength: number, suffix = ''): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const random = Array.from({ length: 12 }, () => alphabet[randomInt(alphabet.length)]).join('');
  const head = `${stackName}-${logicalId}`.slice(0, maxLength - random.length - suffix.length - 1);
  return `${head}-${random}${suffix}`;
}

function deliveryQueueName(stackName: string, ...parts: string[]): string {
  const suffix = '-delivery';
  return `${[stackName, ...parts].join('-')}`.slice(0, 80 - suffix.length) + suffix;
}

/** Properties as SNS/SQS string attributes: objects as JSON, the rest as text; absent ones left out. */
function stringAttributes(properties: Properties, names: string[]): Record<string, string> {
  return Object.fromEntries(
    names
      .filter((name) => properties[name] !== undefined)
      .map((name) => [
        name,
        typeof properties[name] === 'object' ? JSON.stringify(properties[name]) : String(properties[name]),
      ]),
  );
}

function json(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function text(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : String(value);
}

function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}
