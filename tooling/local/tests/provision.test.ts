import { readFileSync } from 'node:fs';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
  PutEventsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  GetBucketVersioningCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  GetSubscriptionAttributesCommand,
  ListSubscriptionsByTopicCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import {
  GetQueueAttributesCommand,
  ListQueuesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { type MotoServer, startMoto } from '@repo/aws-local/moto';
import { parseTemplate, readTemplate, serverlessFunctions } from '@repo/sam-template/read-template';
import { resolveIntrinsics } from '@repo/sam-template/resolve-intrinsics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProvisionedStack, provisionStack } from '../src/provision.ts';

const fixture = parseTemplate(
  readFileSync(new URL('./fixtures/provision-template.yaml', import.meta.url), 'utf8'),
  'provision-template.yaml',
);
const motoAccount = '123456789012';

let moto: MotoServer;
let s3: S3Client;
let dynamodb: DynamoDBClient;
let sns: SNSClient;
let sqs: SQSClient;
let events: EventBridgeClient;
let provisioned: ProvisionedStack;

beforeAll(async () => {
  moto = await startMoto();
  const config = {
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  s3 = new S3Client({ ...config, forcePathStyle: true });
  dynamodb = new DynamoDBClient(config);
  sns = new SNSClient(config);
  sqs = new SQSClient(config);
  events = new EventBridgeClient(config);
  provisioned = await provisionStack({ template: fixture, endpoint: moto.endpoint });
});

afterAll(async () => {
  for (const client of [s3, dynamodb, sns, sqs, events]) client?.destroy();
  await moto?.stop();
});

/** The URLs of the queues whose names start with `prefix`. */
async function queueUrls(prefix: string): Promise<string[]> {
  const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix }));
  return QueueUrls;
}

async function queueAttributes(url: string): Promise<Record<string, string>> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
  );
  return Attributes;
}

/** Everything waiting in the queue (moto delivers synchronously, so it is all there already). */
async function receiveAll(url: string): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  return Messages;
}

function deliveryQueueOf(eventName: string): string {
  const source = provisioned.eventSources.find((candidate) => candidate.eventName === eventName);
  if (!source || source.kind === 'sqs') throw new Error(`no delivery queue for ${eventName}`);
  return source.deliveryQueueUrl;
}

describe('provisionStack', () => {
  describe('on a template with one of each supported resource', () => {
    it('creates an unnamed bucket with a lower-cased CloudFormation-style name', async () => {
      // Prepare
      const bucket = provisioned.resources.UploadsBucket;

      // Act
      const head = s3.send(new HeadBucketCommand({ Bucket: bucket?.ref }));

      // Assess
      expect(bucket?.ref).toMatch(/^local-uploadsbucket-[a-z0-9]{12}$/);
      await expect(head).resolves.toBeDefined();
      expect(bucket?.attributes).toMatchObject({
        Arn: `arn:aws:s3:::${bucket?.ref}`,
        DomainName: `${bucket?.ref}.s3.amazonaws.com`,
      });
    });

    it('creates the table under its explicit name, with its keys, index and stream', async () => {
      // Act
      const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: 'local-uploads' }));

      // Assess
      expect(Table?.KeySchema).toEqual([{ AttributeName: 'key', KeyType: 'HASH' }]);
      expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual(['by-owner']);
      expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });
      expect(provisioned.resources.UploadsTable).toEqual({
        type: 'AWS::DynamoDB::Table',
        ref: 'local-uploads',
        attributes: { Arn: Table?.TableArn, StreamArn: Table?.LatestStreamArn },
      });
    });

    it('subscribes the queue to the topic with raw delivery and the filter policy', async () => {
      // Prepare
      const topicArn = provisioned.stack.physicalIds.UploadsTopic;

      // Act
      const { Subscriptions = [] } = await sns.send(
        new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }),
      );
      const { Attributes } = await sns.send(
        new GetSubscriptionAttributesCommand({ SubscriptionArn: Subscriptions[0]?.SubscriptionArn }),
      );

      // Assess
      expect(topicArn).toMatch(
        new RegExp(`^arn:aws:sns:us-east-1:${motoAccount}:local-UploadsTopic-[A-Z0-9]{12}$`),
      );
      expect(Subscriptions).toHaveLength(1);
      expect(Subscriptions[0]?.Endpoint).toBe(provisioned.stack.attributes?.ImageUploadsQueue?.Arn);
      expect(Attributes?.RawMessageDelivery).toBe('true');
      expect(JSON.parse(Attributes?.FilterPolicy ?? '{}')).toEqual({ kind: ['image'] });
      expect(provisioned.stack.physicalIds.ImageUploadsSubscription).toBe(Subscriptions[0]?.SubscriptionArn);
    });

    it('creates the queue with its settings and a redrive policy to the dead-letter queue created first', async () => {
      // Prepare
      const [jobsUrl] = await queueUrls('local-JobsQueue-');
      const [dlqUrl] = await queueUrls('local-jobs-dlq');

      // Act
      const jobs = await queueAttributes(jobsUrl as string);
      const dlq = await queueAttributes(dlqUrl as string);

      // Assess
      expect(jobs.VisibilityTimeout).toBe('45');
      expect(JSON.parse(jobs.RedrivePolicy ?? '{}')).toEqual({
        deadLetterTargetArn: dlq.QueueArn,
        maxReceiveCount: 3,
      });
      expect(dlq.MessageRetentionPeriod).toBe('1209600');
      expect(provisioned.resources.JobsQueue).toEqual({
        type: 'AWS::SQS::Queue',
        ref: jobsUrl,
        attributes: { Arn: jobs.QueueArn, QueueName: jobs.QueueArn?.split(':')[5], QueueUrl: jobsUrl },
      });
    });

    it('sets the queue policy on the queues it names', async () => {
      // Act
      const audit = await queueAttributes(provisioned.stack.physicalIds.AuditQueue as string);

      // Assess
      expect(JSON.parse(audit.Policy ?? '{}').Statement[0]).toMatchObject({
        Action: 'sqs:SendMessage',
        Resource: provisioned.stack.attributes?.AuditQueue?.Arn,
      });
    });

    it('creates a rule with its pattern and its SQS target as declared', async () => {
      // Prepare
      const ruleName = provisioned.stack.physicalIds.AuditRule as string;

      // Act
      const rule = await events.send(new DescribeRuleCommand({ Name: ruleName }));
      const { Targets } = await events.send(new ListTargetsByRuleCommand({ Rule: ruleName }));

      // Assess
      expect(ruleName).toMatch(/^local-AuditRule-[A-Z0-9]{12}$/);
      expect(provisioned.stack.attributes?.AuditRule?.Arn).toBe(rule.Arn);
      expect(rule.State).toBe('ENABLED');
      expect(JSON.parse(rule.EventPattern ?? '{}')).toEqual({
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [provisioned.stack.physicalIds.UploadsBucket] } },
      });
      expect(Targets).toEqual([{ Id: 'audit', Arn: provisioned.stack.attributes?.AuditQueue?.Arn }]);
    });

    it('points a rule that targets a function of the template at a delivery queue instead', async () => {
      // Prepare
      const ruleName = provisioned.stack.physicalIds.ReprocessRule as string;

      // Act
      const { Targets } = await events.send(
        new ListTargetsByRuleCommand({ Rule: ruleName, EventBusName: 'local-app' }),
      );

      // Assess
      const [deliveryUrl] = await queueUrls('local-ReprocessRule-WorkerFunction-delivery');
      expect(deliveryUrl).toBeDefined();
      expect(Targets).toEqual([
        { Id: 'worker', Arn: (await queueAttributes(deliveryUrl as string)).QueueArn },
      ]);
    });

    it('gives functions and local-only resources the Ref and Arn the template refers to', () => {
      // Assess
      const { physicalIds, attributes, accountId } = provisioned.stack;
      expect(accountId).toBe(motoAccount);
      expect(physicalIds.WorkerFunction).toBe('WorkerFunction');
      expect(attributes?.WorkerFunction?.Arn).toBe(
        `arn:aws:lambda:us-east-1:${motoAccount}:function:WorkerFunction`,
      );
      expect(physicalIds.ThumbnailFunction).toBe('local-thumbnail');
      expect(physicalIds.WorkerLogGroup).toBe('/aws/lambda/local/worker');
      expect(physicalIds.ReprocessPermission).toBe('ReprocessPermission');
      expect(physicalIds.AppBus).toBe('local-app');
      expect(attributes?.AppBus?.Arn).toBe(`arn:aws:events:us-east-1:${motoAccount}:event-bus/local-app`);
    });

    it('resolves every environment variable of the functions to the created resources', async () => {
      // Prepare
      const worker = serverlessFunctions(fixture).find((fn) => fn.logicalId === 'WorkerFunction');
      const variables = (worker?.properties.Environment as { Variables?: unknown } | undefined)?.Variables;
      const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: 'local-uploads' }));
      const bucket = provisioned.resources.UploadsBucket?.ref;

      // Act
      const environment = resolveIntrinsics(variables, provisioned.stack);

      // Assess
      expect(environment).toEqual({
        STAGE: 'dev',
        TABLE_NAME: 'local-uploads',
        TABLE_STREAM_ARN: Table?.LatestStreamArn,
        TOPIC_ARN: provisioned.resources.UploadsTopic?.ref,
        JOBS_QUEUE_URL: (await queueUrls('local-JobsQueue-'))[0],
        BUCKET_NAME: bucket,
        BUCKET_ARN: `arn:aws:s3:::${bucket}`,
        UPLOADS_PATTERN: `s3://${bucket}/uploads/*`,
      });
    });

    it('lists the SQS, EventBridge and S3 event sources the dev server must deliver', async () => {
      // Prepare
      const jobsUrl = (await queueUrls('local-JobsQueue-'))[0];

      // Act
      const sources = [...provisioned.eventSources].sort((a, b) => a.eventName.localeCompare(b.eventName));

      // Assess
      expect(sources).toEqual([
        {
          kind: 's3-notification',
          functionId: 'ThumbnailFunction',
          eventName: 'Images',
          bucketName: provisioned.resources.UploadsBucket?.ref,
          deliveryQueueUrl: expect.stringMatching(/\/local-ThumbnailFunction-Images-delivery$/),
        },
        {
          kind: 'sqs',
          functionId: 'WorkerFunction',
          eventName: 'Jobs',
          queueUrl: jobsUrl,
          queueArn: provisioned.stack.attributes?.JobsQueue?.Arn,
          batchSize: 5,
          reportBatchItemFailures: true,
          maximumBatchingWindowInSeconds: 0,
          enabled: true,
        },
        {
          kind: 'eventbridge',
          functionId: 'WorkerFunction',
          eventName: 'ReprocessRule',
          ruleName: provisioned.stack.physicalIds.ReprocessRule,
          deliveryQueueUrl: expect.stringMatching(/\/local-ReprocessRule-WorkerFunction-delivery$/),
        },
        {
          kind: 'eventbridge',
          functionId: 'WorkerFunction',
          eventName: 'Uploads',
          ruleName: expect.stringMatching(/^local-WorkerFunctionUploads-[A-Z0-9]{12}$/),
          deliveryQueueUrl: expect.stringMatching(/\/local-WorkerFunction-Uploads-delivery$/),
        },
      ]);
    });

    it('names exactly the features it cannot run locally', () => {
      // Assess
      expect(provisioned.unsupported).toEqual([
        'Resources.ClickStream (AWS::Kinesis::Stream)',
        'Resources.WorkerFunction.Events.Nightly (Schedule)',
        'Resources.WorkerFunction.Events.Uploads.RetryPolicy',
      ]);
      expect(provisioned.stack.physicalIds.ClickStream).toBe('ClickStream');
    });

    it('skips a resource whose condition is false', async () => {
      // Assess
      expect(provisioned.stack.conditions).toEqual({ IsProd: false });
      expect(provisioned.resources).not.toHaveProperty('ProdOnlyQueue');
      expect(await queueUrls('local-ProdOnlyQueue')).toEqual([]);
    });
  });

  describe('once provisioned, delivers', () => {
    let bucket: string;

    beforeAll(async () => {
      bucket = provisioned.resources.UploadsBucket?.ref as string;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'uploads/photo 1.jpg', Body: 'jpeg' }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'images/cat 1.jpg', Body: 'jpeg' }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'images/notes.txt', Body: 'text' }));
    });

    it('an S3 upload under uploads/ through EventBridge to the EventBridgeRule delivery queue', async () => {
      // Act
      const messages = await receiveAll(deliveryQueueOf('Uploads'));

      // Assess
      // moto's message body is the EventBridge event itself, exactly what Lambda would be handed:
      // { version: '0', id, 'detail-type': 'Object Created', source: 'aws.s3', account: '123456789012',
      //   time: '2026-…Z', region: 'us-east-1', resources: ['arn:aws:s3:::<bucket>'],
      //   detail: { version: '0', bucket: { name }, object: { key, size, eTag, 'version-id': 'null', sequencer },
      //             'request-id', requester: '123456789012', 'source-ip-address': '1.2.3.4', reason: 'ObjectCreated' } }
      // The key is not URL-encoded, as in AWS.
      expect(messages).toHaveLength(1);
      expect(JSON.parse(messages[0]?.Body ?? '{}')).toMatchObject({
        version: '0',
        source: 'aws.s3',
        'detail-type': 'Object Created',
        account: motoAccount,
        region: 'us-east-1',
        resources: [`arn:aws:s3:::${bucket}`],
        detail: {
          bucket: { name: bucket },
          object: { key: 'uploads/photo 1.jpg', size: 4 },
          reason: 'ObjectCreated',
        },
      });
    });

    it('every upload in the bucket to the queue that an SQS-target rule names', async () => {
      // Act
      const messages = await receiveAll(provisioned.stack.physicalIds.AuditQueue as string);

      // Assess
      const keys = messages.map((message) => JSON.parse(message.Body ?? '{}').detail.object.key).sort();
      expect(keys).toEqual(['images/cat 1.jpg', 'images/notes.txt', 'uploads/photo 1.jpg']);
    });

    it('a classic S3 notification matching the filter to the S3 event delivery queue, without the test event', async () => {
      // Act
      const messages = await receiveAll(deliveryQueueOf('Images'));

      // Assess
      // moto encodes '/' as %2F and ' ' as '+' in classic notification keys.
      expect(messages).toHaveLength(1);
      const [record] = JSON.parse(messages[0]?.Body ?? '{}').Records;
      expect(record).toMatchObject({ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put' });
      expect(record.s3.bucket.name).toBe(bucket);
      expect(decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '))).toBe('images/cat 1.jpg');
    });

    it('an event matched by a rule that targets a function to its delivery queue', async () => {
      // Prepare
      const entry = {
        EventBusName: 'local-app',
        Source: 'local.reprocess',
        DetailType: 'Reprocess',
        Detail: JSON.stringify({ key: 'k' }),
      };

      // Act
      await events.send(new PutEventsCommand({ Entries: [entry] }));
      const messages = await receiveAll(deliveryQueueOf('ReprocessRule'));

      // Assess
      expect(messages).toHaveLength(1);
      expect(JSON.parse(messages[0]?.Body ?? '{}')).toMatchObject({
        source: 'local.reprocess',
        'detail-type': 'Reprocess',
        detail: { key: 'k' },
      });
    });
  });

  describe('with conditions', () => {
    const template = parseTemplate(`
Parameters:
  Stage: { Type: String, AllowedValues: [dev, prod], Default: dev }
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "\${AWS::StackName}-queue"
      RedrivePolicy: !If
        - IsProd
        - { deadLetterTargetArn: !GetAtt ProdOnlyQueue.Arn, maxReceiveCount: 2 }
        - !Ref AWS::NoValue
  ProdOnlyQueue:
    Type: AWS::SQS::Queue
    Condition: IsProd
    Properties: { QueueName: !Sub "\${AWS::StackName}-prod-only" }
  Archive:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !If [IsProd, !Sub "\${AWS::StackName}-archive", !Ref AWS::NoValue]
`);

    it('creates a gated resource, and what refers to it, when a parameter override makes the condition true', async () => {
      // Act
      const prod = await provisionStack({
        template,
        endpoint: moto.endpoint,
        stackName: 'gated-prod',
        parameterOverrides: { Stage: 'prod' },
      });

      // Assess
      expect(prod.stack.parameters).toEqual({ Stage: 'prod' });
      expect(prod.stack.conditions).toEqual({ IsProd: true });
      expect(await queueUrls('gated-prod-prod-only')).toEqual([prod.resources.ProdOnlyQueue?.ref]);
      const queue = await queueAttributes(prod.resources.Queue?.ref as string);
      expect(JSON.parse(queue.RedrivePolicy ?? '{}').deadLetterTargetArn).toBe(
        prod.resources.ProdOnlyQueue?.attributes.Arn,
      );
    });

    it('leaves out a property that resolves to AWS::NoValue, as CloudFormation does', async () => {
      // Act
      const dev = await provisionStack({ template, endpoint: moto.endpoint, stackName: 'gated-dev' });

      // Assess
      expect(dev.resources).not.toHaveProperty('ProdOnlyQueue');
      expect(dev.resources.Archive?.ref).toMatch(/^gated-dev-archive-[a-z0-9]{12}$/);
      const queue = await queueAttributes(dev.resources.Queue?.ref as string);
      expect(queue.QueueArn).toBeDefined();
      expect(queue).not.toHaveProperty('RedrivePolicy');
    });
  });

  it('rejects a dependency cycle, naming the resources in it', async () => {
    // Prepare
    const template = parseTemplate(`
Resources:
  First:
    Type: AWS::SQS::Queue
    Properties: { RedrivePolicy: { deadLetterTargetArn: !GetAtt Second.Arn, maxReceiveCount: 1 } }
  Second:
    Type: AWS::SQS::Queue
    Properties: { RedrivePolicy: { deadLetterTargetArn: !GetAtt First.Arn, maxReceiveCount: 1 } }
`);

    // Act
    const provisioning = provisionStack({ template, endpoint: moto.endpoint, stackName: 'cycle' });

    // Assess
    await expect(provisioning).rejects.toThrow(
      'Circular dependency between resources: First -> Second -> First',
    );
  });

  it('refuses an SQS event whose queue hides a batch for less than the function may run, as AWS does', async () => {
    // Prepare: the queue's default 30 s visibility against a 60 s function
    const template = parseTemplate(`
Resources:
  Jobs:
    Type: AWS::SQS::Queue
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: worker/
      Handler: index.handler
      Runtime: nodejs22.x
      Timeout: 60
      Events:
        Jobs:
          Type: SQS
          Properties: { Queue: !GetAtt Jobs.Arn }
`);

    // Act
    const provisioning = provisionStack({ template, endpoint: moto.endpoint, stackName: 'short-visibility' });

    // Assess
    await expect(provisioning).rejects.toThrow(
      'Resources.Worker.Events.Jobs: Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds',
    );
  });

  it('rejects a parameter that has neither a default nor an override, and an invalid override', async () => {
    // Prepare
    const template = parseTemplate(`
Parameters:
  Name: { Type: String }
  Stage: { Type: String, AllowedValues: [dev, prod], Default: dev }
Resources:
  Queue: { Type: AWS::SQS::Queue }
`);

    // Act
    const missing = provisionStack({ template, endpoint: moto.endpoint, stackName: 'missing' });
    const invalid = provisionStack({
      template,
      endpoint: moto.endpoint,
      stackName: 'invalid',
      parameterOverrides: { Name: 'n', Stage: 'prd' },
    });

    // Assess
    await expect(missing).rejects.toThrow('Parameter Name has no Default and no override');
    await expect(invalid).rejects.toThrow('Parameter Stage: prd is not one of dev, prod');
  });

  it("provisions the repository's template.yaml, naming only settings with no local effect", async () => {
    // Act
    const repo = await provisionStack({
      template: readTemplate(),
      endpoint: moto.endpoint,
      stackName: 'repo',
    });

    // Assess
    // Nothing the repo template relies on is missing; settings with no local meaning are named.
    expect(repo.unsupported).toEqual([
      'Resources.UploadsBucket.BucketEncryption (no local effect)',
      'Resources.UploadsBucket.CorsConfiguration (no local effect)',
      'Resources.UploadsBucket.LifecycleConfiguration (no local effect)',
      'Resources.UploadsBucket.PublicAccessBlockConfiguration (no local effect)',
      'Resources.UploadsTable.PointInTimeRecoverySpecification (no local effect)',
      'Resources.UploadsTable.SSESpecification (no local effect)',
      'Resources.UserPool.AccountRecoverySetting (no local effect)',
      'Resources.UserPool.DeletionProtection (no local effect)',
      'Resources.UsersTable.DeletionProtectionEnabled (no local effect)',
      'Resources.UsersTable.PointInTimeRecoverySpecification (no local effect)',
      'Resources.UsersTable.SSESpecification (no local effect)',
    ]);
    // The user pool, its client and its admin group, as the API's authorizer and `pnpm token` need them.
    expect(repo.resources.UserPool?.ref).toMatch(/^us-east-1_/);
    expect(repo.resources.UserPool?.attributes.Arn).toMatch(
      /^arn:aws:cognito-idp:us-east-1:\d{12}:userpool\/us-east-1_/,
    );
    expect(repo.resources.UserPoolClient?.ref).toMatch(/^\w+$/);
    expect(repo.resources.AdminGroup?.ref).toBe('admins');
    // Versioning is real: the functions see version ids, and every version stays readable.
    const versioning = await s3.send(
      new GetBucketVersioningCommand({ Bucket: repo.resources.UploadsBucket?.ref }),
    );
    expect(versioning.Status).toBe('Enabled');
    const tableName = repo.resources.UsersTable?.ref;
    expect(tableName).toMatch(/^repo-UsersTable-[A-Z0-9]{12}$/);
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(repo.eventSources).toEqual([
      expect.objectContaining({
        kind: 'eventbridge',
        functionId: 'ImageResizerFunction',
        eventName: 'ImageUploaded',
      }),
      expect.objectContaining({
        kind: 'eventbridge',
        functionId: 'UploadProcessorFunction',
        eventName: 'ObjectUploaded',
      }),
      expect.objectContaining({
        kind: 'sqs',
        functionId: 'BatchWorkerFunction',
        eventName: 'ResizeJobs',
        batchSize: 10,
        reportBatchItemFailures: true,
        maximumBatchingWindowInSeconds: 5,
      }),
    ]);
  });
});
