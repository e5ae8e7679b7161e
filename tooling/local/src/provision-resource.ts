/** One resource of any type: created by its service's step, only named (local-only types) or unsupported. */
import { type LocalStack, resolveIntrinsics } from '@repo/sam-template/resolve-intrinsics';
import { createUserPool, createUserPoolClient, createUserPoolGroup } from './provision-cognito.ts';
import type { CreateResource, Properties, ProvisionContext } from './provision-context.ts';
import { createTable } from './provision-dynamodb.ts';
import { createEventBus, createRule } from './provision-eventbridge.ts';
import { generatedName } from './provision-names.ts';
import { resolveProperties } from './provision-properties.ts';
import { createBucket } from './provision-s3.ts';
import { createSubscription, createTopic } from './provision-sns.ts';
import { createQueue, setQueuePolicy } from './provision-sqs.ts';
import type { LocalResource } from './types.ts';

/** Creates, names or reports one resource (see the module doc). */
export async function createResource(
  context: ProvisionContext,
  logicalId: string,
  type: string,
  properties: Properties,
): Promise<LocalResource> {
  const { stack } = context;
  const create = creators[type];
  if (create) return create(context, logicalId, resolveProperties(properties, stack));
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

const creators: Record<string, CreateResource> = {
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
