import { describe, expect, it } from 'vitest';
import { iamActionsFor, type SdkCommand } from '../src/iam-actions.ts';

const command = (packageName: string, name: string, keys?: string[]): SdkCommand => ({
  packageName,
  name,
  ...(keys ? { input: { keys, complete: true } } : {}),
});

const actionsOf = (mapping: ReturnType<typeof iamActionsFor>) =>
  'actions' in mapping ? mapping.actions : mapping;

describe('iamActionsFor', () => {
  it.each([
    ['@aws-sdk/client-dynamodb', 'PutItemCommand', ['dynamodb:PutItem']],
    ['@aws-sdk/client-dynamodb', 'DescribeTableCommand', ['dynamodb:DescribeTable']],
    ['@aws-sdk/client-sns', 'PublishCommand', ['sns:Publish']],
    ['@aws-sdk/client-sqs', 'SendMessageCommand', ['sqs:SendMessage']],
    ['@aws-sdk/client-eventbridge', 'PutEventsCommand', ['events:PutEvents']],
  ])('maps %s %s to <prefix>:<Operation>', (packageName, name, actions) => {
    // Act
    const mapping = iamActionsFor(command(packageName, name, []));

    // Assess
    expect(actionsOf(mapping)).toEqual(actions);
  });

  it.each([
    ['PutCommand', 'dynamodb:PutItem'],
    ['GetCommand', 'dynamodb:GetItem'],
    ['UpdateCommand', 'dynamodb:UpdateItem'],
    ['DeleteCommand', 'dynamodb:DeleteItem'],
    ['QueryCommand', 'dynamodb:Query'],
    ['ScanCommand', 'dynamodb:Scan'],
    ['BatchGetCommand', 'dynamodb:BatchGetItem'],
    ['BatchWriteCommand', 'dynamodb:BatchWriteItem'],
    // Transactions have no action of their own: a read needs GetItem on each item.
    ['TransactGetCommand', 'dynamodb:GetItem'],
  ])('maps the document client %s to the low-level %s', (name, action) => {
    expect(actionsOf(iamActionsFor(command('@aws-sdk/lib-dynamodb', name, [])))).toEqual([action]);
  });

  it('maps a document TransactWrite to the actions of the items its literal TransactItems holds', () => {
    // Prepare
    const transact: SdkCommand = {
      ...command('@aws-sdk/lib-dynamodb', 'TransactWriteCommand', ['TransactItems']),
      transactItems: { kinds: ['Put', 'ConditionCheck', 'Put'], complete: true },
    };

    // Act
    const mapping = iamActionsFor(transact);

    // Assess
    expect(actionsOf(mapping)).toEqual(['dynamodb:ConditionCheckItem', 'dynamodb:PutItem']);
  });

  it('fails loudly on a TransactWrite whose items are not a literal', () => {
    const transact: SdkCommand = {
      ...command('@aws-sdk/client-dynamodb', 'TransactWriteItemsCommand', ['TransactItems']),
      transactItems: { kinds: [], complete: false },
    };
    expect(iamActionsFor(transact)).toEqual({ unmapped: expect.stringContaining('TransactItems') });
  });

  it.each([
    ['HeadObjectCommand', ['s3:GetObject']],
    ['ListObjectsV2Command', ['s3:ListBucket']],
    ['ListObjectsCommand', ['s3:ListBucket']],
    ['CopyObjectCommand', ['s3:GetObject', 's3:PutObject']],
    ['DeleteObjectsCommand', ['s3:DeleteObject']],
    ['CreateMultipartUploadCommand', ['s3:PutObject']],
  ])('maps S3 %s to %j', (name, actions) => {
    expect(actionsOf(iamActionsFor(command('@aws-sdk/client-s3', name, ['Bucket', 'Key'])))).toEqual(actions);
  });

  it('adds s3:GetObjectVersion to a GetObject that sets VersionId', () => {
    // Act
    const mapping = iamActionsFor(
      command('@aws-sdk/client-s3', 'GetObjectCommand', ['Bucket', 'Key', 'VersionId']),
    );

    // Assess
    expect(mapping).toEqual({
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      because: 'it sets VersionId',
    });
  });

  it('does not add s3:GetObjectVersion to a GetObject whose literal input has no VersionId', () => {
    expect(
      actionsOf(iamActionsFor(command('@aws-sdk/client-s3', 'GetObjectCommand', ['Bucket', 'Key']))),
    ).toEqual(['s3:GetObject']);
  });

  it('assumes a GetObject whose input is not a literal may set VersionId', () => {
    // Act
    const mapping = iamActionsFor(command('@aws-sdk/client-s3', 'GetObjectCommand'));

    // Assess
    expect(actionsOf(mapping)).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
  });

  it.each([
    ['SendMessageBatchCommand', 'sqs:SendMessage'],
    ['DeleteMessageBatchCommand', 'sqs:DeleteMessage'],
    ['ChangeMessageVisibilityBatchCommand', 'sqs:ChangeMessageVisibility'],
  ])('maps SQS %s to %s', (name, action) => {
    expect(actionsOf(iamActionsFor(command('@aws-sdk/client-sqs', name, [])))).toEqual([action]);
  });

  it('maps SNS PublishBatch to sns:Publish and Lambda Invoke to lambda:InvokeFunction', () => {
    expect(actionsOf(iamActionsFor(command('@aws-sdk/client-sns', 'PublishBatchCommand', [])))).toEqual([
      'sns:Publish',
    ]);
    expect(actionsOf(iamActionsFor(command('@aws-sdk/client-lambda', 'InvokeCommand', [])))).toEqual([
      'lambda:InvokeFunction',
    ]);
  });

  it.each([
    ['@aws-sdk/client-rekognition', 'DetectLabelsCommand', 'unknown service package'],
    ['@aws-sdk/client-s3', 'PutBucketPolicyCommand', 'no IAM mapping for PutBucketPolicyCommand'],
    ['@aws-sdk/lib-dynamodb', 'ExecuteStatementCommand', 'depend on the statement'],
    ['@aws-sdk/client-dynamodb', 'ExecuteStatementCommand', 'depend on the statement'],
  ])('fails loudly on %s %s, naming where to add a mapping', (packageName, name, reason) => {
    // Act
    const mapping = iamActionsFor(command(packageName, name, []));

    // Assess
    expect(mapping).toEqual({ unmapped: expect.stringContaining(reason) });
    expect(mapping).toEqual({ unmapped: expect.stringContaining('tooling/contract/src/iam-actions.ts') });
  });
});
