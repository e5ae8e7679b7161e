import { readFileSync } from 'node:fs';
import { CloudFormationClient, DescribeStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { parseTemplate, readTemplate } from '@repo/sam-template/read-template';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { StackFile } from '../src/local-stack.ts';
import { awsRedriveTarget, stackNameForStage } from '../src/redrive-aws.ts';
import { localRedriveTarget } from '../src/redrive-local.ts';
import { type RedriveTarget, redriveQueue } from '../src/redrive-queue.ts';
import { MalformedRecordError, parseInvocationRecord } from '../src/redrive-record.ts';
import { type RedriveRoute, RedriveRouteError, redriveRoute } from '../src/redrive-route.ts';
import { root } from './dev-process.ts';

const repoTemplate = readTemplate(`${root}/template.yaml`);

/** A record as Lambda (and pnpm dev's async invoker) sends it to an on-failure destination. */
const invocationRecord = (event: unknown) =>
  JSON.stringify({
    version: '1.0',
    timestamp: '2025-01-01T00:00:00.000Z',
    requestContext: {
      requestId: 'c0ffee00-0000-4000-8000-000000000001',
      functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:resizer:$LATEST',
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    },
    requestPayload: event,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType: 'Error', errorMessage: 'S3 was down', trace: [] },
  });

const uploadEvent = {
  source: 'aws.s3',
  'detail-type': 'Object Created',
  detail: { bucket: { name: 'uploads' }, object: { key: 'uploads/cat.jpg' } },
};

describe('redriveRoute', () => {
  it.each([
    ['ImageResizerFailures', { kind: 'function', functionId: 'ImageResizerFunction' }],
    ['UploadProcessorFailures', { kind: 'function', functionId: 'UploadProcessorFunction' }],
    ['ResizeJobsDlq', { kind: 'queue', sourceQueueId: 'ResizeJobsQueue' }],
  ])('sends %s back to where its messages came from', (queueId, expected) => {
    expect(redriveRoute(repoTemplate, queueId)).toEqual({ queueId, ...expected });
  });

  it('refuses a queue that is neither, naming the redrivable queues', () => {
    expect(() => redriveRoute(repoTemplate, 'ResizeJobsQueue')).toThrow(
      new RedriveRouteError(
        'ResizeJobsQueue is not a Lambda on-failure destination or dead-letter queue. Redrivable queues: ImageResizerFailures, ResizeJobsDlq, UploadProcessorFailures',
      ),
    );
    expect(() => redriveRoute(repoTemplate, 'Nowhere')).toThrow(/^No resource Nowhere in the template\./);
  });

  it('reads the CloudFormation EventInvokeConfig form and refuses a queue two functions share', () => {
    const template = parseTemplate(`
Resources:
  Failures: { Type: AWS::SQS::Queue }
  A: { Type: AWS::Lambda::Function, Properties: {} }
  AConfig:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref A
      Qualifier: $LATEST
      DestinationConfig: { OnFailure: { Destination: !GetAtt Failures.Arn } }
  Shared: { Type: AWS::SQS::Queue }
  B:
    Type: AWS::Serverless::Function
    Properties:
      EventInvokeConfig: { DestinationConfig: { OnFailure: { Type: SQS, Destination: !GetAtt Shared.Arn } } }
  C:
    Type: AWS::Serverless::Function
    Properties:
      EventInvokeConfig: { DestinationConfig: { OnFailure: { Type: SQS, Destination: !GetAtt Shared.Arn } } }
`);

    expect(redriveRoute(template, 'Failures')).toEqual({
      kind: 'function',
      queueId: 'Failures',
      functionId: 'A',
    });
    expect(() => redriveRoute(template, 'Shared')).toThrow('Shared collects the failures of B and C');
  });
});

describe('parseInvocationRecord', () => {
  it('reads the original event out of an on-failure record', () => {
    expect(parseInvocationRecord(invocationRecord(uploadEvent))).toMatchObject({
      requestId: 'c0ffee00-0000-4000-8000-000000000001',
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
      requestPayload: uploadEvent,
    });
  });

  it.each([
    ['not JSON', '{"requestContext":', 'its body is not JSON'],
    ['a raw event, not a record', JSON.stringify(uploadEvent), 'it has no requestContext'],
    [
      'a record without its event',
      JSON.stringify({ ...JSON.parse(invocationRecord(1)), requestPayload: undefined }),
      'it has no requestPayload',
    ],
    [
      'a context missing its fields',
      JSON.stringify({ requestContext: { requestId: 'x' }, requestPayload: {} }),
      'lacks',
    ],
    ['an array', '[]', 'not a JSON object'],
  ])('refuses %s', (_, body, reason) => {
    expect(() => parseInvocationRecord(body)).toThrow(MalformedRecordError);
    expect(() => parseInvocationRecord(body)).toThrow(reason);
  });
});

describe('redriveQueue', () => {
  const sqsMock = mockClient(SQSClient);
  const sqs = new SQSClient({ region: 'us-east-1' });
  const toFunction: RedriveRoute = { kind: 'function', queueId: 'Failures', functionId: 'ResizerFunction' };
  const toQueue: RedriveRoute = { kind: 'queue', queueId: 'JobsDlq', sourceQueueId: 'Jobs' };
  const message = (id: string, body: string, extra: Partial<Message> = {}): Message => ({
    MessageId: id,
    ReceiptHandle: `receipt-${id}`,
    Body: body,
    ...extra,
  });
  const target = (overrides: Partial<RedriveTarget> = {}): RedriveTarget => ({
    queueUrl: 'https://sqs/failures',
    invokeAsync: vi.fn(async () => undefined),
    sendBack: vi.fn(async () => undefined),
    ...overrides,
  });
  /** The queue hands out `batches`, then nothing. */
  const queueHolds = (...batches: Message[][]) => {
    const receive = sqsMock.on(ReceiveMessageCommand);
    for (const batch of batches) receive.resolvesOnce({ Messages: batch });
    receive.resolves({});
  };
  let lines: string[];
  const log = (line: string) => lines.push(line);

  beforeEach(() => {
    sqsMock.reset();
    sqsMock.on(DeleteMessageCommand).resolves({});
    sqsMock.on(ChangeMessageVisibilityCommand).resolves({});
    lines = [];
  });

  it('invokes the function with each record’s event, then deletes it, until the queue is empty', async () => {
    queueHolds([message('m1', invocationRecord(uploadEvent))], [message('m2', invocationRecord({ n: 2 }))]);
    const events: unknown[] = [];
    const deletedWhenInvoked: number[] = [];
    const redrive = target({
      invokeAsync: async (event) => {
        events.push(event);
        deletedWhenInvoked.push(sqsMock.commandCalls(DeleteMessageCommand).length);
      },
    });

    const summary = await redriveQueue({ sqs, route: toFunction, target: redrive, log });

    expect(summary).toEqual({ moved: 2, malformed: 0, failed: 0 });
    expect(events).toEqual([uploadEvent, { n: 2 }]);
    // Each delete comes after its own delivery: none had happened when m1 was invoked, one for m2.
    expect(deletedWhenInvoked).toEqual([0, 1]);
    expect(
      sqsMock.commandCalls(DeleteMessageCommand).map((call) => call.args[0].input.ReceiptHandle),
    ).toEqual(['receipt-m1', 'receipt-m2']);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0]?.args[0].input).toMatchObject({
      QueueUrl: 'https://sqs/failures',
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
      MessageAttributeNames: ['All'],
    });
    expect(lines).toEqual([
      'moved   m1 → ResizerFunction',
      'moved   m2 → ResizerFunction',
      'Failures: 2 moved to ResizerFunction',
    ]);
  });

  it('sends a DLQ message back with its body and attributes', async () => {
    queueHolds([
      message('d1', '{"job":1}', {
        MessageAttributes: { tenant: { DataType: 'String', StringValue: 'acme', StringListValues: [] } },
      }),
    ]);
    const redrive = target();

    const summary = await redriveQueue({ sqs, route: toQueue, target: redrive, log });

    expect(summary.moved).toBe(1);
    expect(redrive.sendBack).toHaveBeenCalledWith('{"job":1}', {
      tenant: { DataType: 'String', StringValue: 'acme' },
    });
    expect(sqsMock.commandCalls(DeleteMessageCommand)).toHaveLength(1);
  });

  it('leaves a message that is not an invocation record in place, reports it and moves the rest', async () => {
    queueHolds([message('bad', 'not json'), message('good', invocationRecord(uploadEvent))]);
    const redrive = target();

    const summary = await redriveQueue({ sqs, route: toFunction, target: redrive, log });

    expect(summary).toEqual({ moved: 1, malformed: 1, failed: 0 });
    expect(redrive.invokeAsync).toHaveBeenCalledTimes(1);
    expect(
      sqsMock.commandCalls(DeleteMessageCommand).map((call) => call.args[0].input.ReceiptHandle),
    ).toEqual(['receipt-good']);
    // Visible again at once, for whoever inspects it.
    expect(sqsMock.commandCalls(ChangeMessageVisibilityCommand)[0]?.args[0].input).toMatchObject({
      ReceiptHandle: 'receipt-bad',
      VisibilityTimeout: 0,
    });
    expect(lines).toContain('left    bad: not a Lambda invocation record (its body is not JSON)');
    expect(lines.at(-1)).toBe(
      'Failures: 1 moved to ResizerFunction, 1 left in place (1 not invocation records, 0 failed)',
    );
  });

  it('leaves a message whose delivery failed in place and does not delete it', async () => {
    queueHolds([message('m1', invocationRecord(uploadEvent))]);
    const redrive = target({ invokeAsync: async () => Promise.reject(new Error('Rate Exceeded.')) });

    const summary = await redriveQueue({ sqs, route: toFunction, target: redrive, log });

    expect(summary).toEqual({ moved: 0, malformed: 0, failed: 1 });
    expect(sqsMock.commandCalls(DeleteMessageCommand)).toHaveLength(0);
    expect(sqsMock.commandCalls(ChangeMessageVisibilityCommand)).toHaveLength(1);
    expect(lines[0]).toBe('left    m1: delivering to ResizerFunction failed (Error: Rate Exceeded.)');
  });

  it('counts a delivered message it could not delete as a failure', async () => {
    queueHolds([message('m1', '{}')]);
    sqsMock.on(DeleteMessageCommand).rejects(new Error('gone'));

    const summary = await redriveQueue({ sqs, route: toQueue, target: target(), log });

    expect(summary).toEqual({ moved: 0, malformed: 0, failed: 1 });
    expect(lines[0]).toMatch(/^moved {3}m1 → Jobs, but could not delete it/);
  });

  it('moves nothing in a dry run, says what would move and makes every message visible again', async () => {
    queueHolds([message('m1', invocationRecord(uploadEvent)), message('m2', '{}')]);
    const redrive = target();

    const summary = await redriveQueue({ sqs, route: toFunction, target: redrive, dryRun: true, log });

    expect(summary).toEqual({ moved: 1, malformed: 1, failed: 0 });
    expect(redrive.invokeAsync).not.toHaveBeenCalled();
    expect(sqsMock.commandCalls(DeleteMessageCommand)).toHaveLength(0);
    expect(sqsMock.commandCalls(ChangeMessageVisibilityCommand)).toHaveLength(2);
    expect(lines).toContain('would move m1 → ResizerFunction');
    expect(lines.at(-1)).toMatch(/^Failures: 1 would move to ResizerFunction/);
  });

  it('takes no more than --max messages', async () => {
    queueHolds([message('m1', '{}'), message('m2', '{}')]);

    const summary = await redriveQueue({ sqs, route: toQueue, target: target(), max: 2, log });

    expect(summary.moved).toBe(2);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(1);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0]?.args[0].input.MaxNumberOfMessages).toBe(2);
  });
});

describe('localRedriveTarget', () => {
  const sqsMock = mockClient(SQSClient);
  const sqs = new SQSClient({ region: 'us-east-1' });
  const queue = (url: string) => ({ type: 'AWS::SQS::Queue', ref: url, attributes: {} });
  const stack = {
    resources: {
      Failures: queue('http://moto/failures'),
      Dlq: queue('http://moto/dlq'),
      Jobs: queue('http://moto/jobs'),
    },
    asyncDelivery: { Fn: 'http://moto/fn-delivery' },
  } as unknown as StackFile;

  beforeEach(() => {
    sqsMock.reset();
    sqsMock.on(SendMessageCommand).resolves({});
  });

  it('puts an event into the function’s delivery queue, as pnpm dev delivers asynchronous events', async () => {
    const target = localRedriveTarget(
      stack,
      { kind: 'function', queueId: 'Failures', functionId: 'Fn' },
      sqs,
    );

    await target.invokeAsync(uploadEvent);

    expect(target.queueUrl).toBe('http://moto/failures');
    expect(sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input).toEqual({
      QueueUrl: 'http://moto/fn-delivery',
      MessageBody: JSON.stringify(uploadEvent),
    });
  });

  it('refuses a function the running stack invokes asynchronously from no source', () => {
    expect(() =>
      localRedriveTarget(stack, { kind: 'function', queueId: 'Failures', functionId: 'Other' }, sqs),
    ).toThrow(/invokes Other asynchronously from no event source/);
  });
});

describe('awsRedriveTarget', () => {
  const cloudformationMock = mockClient(CloudFormationClient);
  const lambdaMock = mockClient(LambdaClient);
  const sqsMock = mockClient(SQSClient);
  const clients = {
    cloudformation: new CloudFormationClient({ region: 'eu-west-1' }),
    lambda: new LambdaClient({ region: 'eu-west-1' }),
    sqs: new SQSClient({ region: 'eu-west-1' }),
  };
  const physicalIds: Record<string, string> = {
    ImageResizerFailures: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dev-ImageResizerFailures-AB',
    ImageResizerFunction: 'dev-ImageResizerFunction-CD',
    ResizeJobsDlq: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dev-ResizeJobsDlq-EF',
    ResizeJobsQueue: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dev-ResizeJobsQueue-GH',
  };

  beforeEach(() => {
    for (const mock of [cloudformationMock, lambdaMock, sqsMock]) mock.reset();
    cloudformationMock.on(DescribeStackResourcesCommand).callsFake(({ LogicalResourceId }) => ({
      StackResources:
        physicalIds[LogicalResourceId] === undefined
          ? []
          : [{ LogicalResourceId, PhysicalResourceId: physicalIds[LogicalResourceId] }],
    }));
    sqsMock.on(SendMessageCommand).resolves({});
  });

  it('invokes the deployed function asynchronously (InvocationType Event) with the event', async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 202 });
    const route = redriveRoute(repoTemplate, 'ImageResizerFailures');

    const target = await awsRedriveTarget({ stackName: 'lambda-monorepo-dev', route, ...clients });
    await target.invokeAsync(uploadEvent);

    expect(target.queueUrl).toBe(physicalIds.ImageResizerFailures);
    expect(cloudformationMock.commandCalls(DescribeStackResourcesCommand)[0]?.args[0].input).toEqual({
      StackName: 'lambda-monorepo-dev',
      LogicalResourceId: 'ImageResizerFailures',
    });
    const invoke = lambdaMock.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(invoke).toMatchObject({ FunctionName: 'dev-ImageResizerFunction-CD', InvocationType: 'Event' });
    expect(JSON.parse(new TextDecoder().decode(invoke?.Payload as Uint8Array))).toEqual(uploadEvent);
  });

  it('fails a delivery Lambda did not accept', async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200 });
    const route = redriveRoute(repoTemplate, 'ImageResizerFailures');
    const target = await awsRedriveTarget({ stackName: 'lambda-monorepo-dev', route, ...clients });

    await expect(target.invokeAsync(uploadEvent)).rejects.toThrow('Lambda answered 200');
  });

  it('sends a DLQ message back to the deployed source queue', async () => {
    const route = redriveRoute(repoTemplate, 'ResizeJobsDlq');
    const target = await awsRedriveTarget({ stackName: 'lambda-monorepo-dev', route, ...clients });

    await target.sendBack('{"key":"uploads/a.jpg"}', { tenant: { DataType: 'String', StringValue: 'acme' } });

    expect(sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input).toEqual({
      QueueUrl: physicalIds.ResizeJobsQueue,
      MessageBody: '{"key":"uploads/a.jpg"}',
      MessageAttributes: { tenant: { DataType: 'String', StringValue: 'acme' } },
    });
  });

  it('names a resource the stack does not have', async () => {
    const route = redriveRoute(repoTemplate, 'UploadProcessorFailures');

    await expect(awsRedriveTarget({ stackName: 'lambda-monorepo-dev', route, ...clients })).rejects.toThrow(
      'stack lambda-monorepo-dev has no resource UploadProcessorFailures',
    );
  });

  it('finds the stage’s stack in samconfig.toml', () => {
    const samconfig = readFileSync(`${root}/samconfig.toml`, 'utf8');

    expect(stackNameForStage(samconfig, 'prod')).toBe('lambda-monorepo-prod');
    expect(() => stackNameForStage(samconfig, 'qa')).toThrow(
      /no \[qa\.deploy\.parameters\] stack_name \(stages: default, dev, prod\)/,
    );
  });
});
