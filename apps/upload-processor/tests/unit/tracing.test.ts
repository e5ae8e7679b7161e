import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { createDocumentClient } from '@repo/aws/dynamodb';
import { createS3Client } from '@repo/aws/s3';
import { createSnsClient } from '@repo/aws/sns';
import { type MotoServer, startMoto } from '@repo/aws-local/moto';
import { readTemplate } from '@repo/sam-template/read-template';
import { createTablesFromTemplate } from '@repo/testing/dynamodb-tables';
import { lambdaContext } from '@repo/testing/lambda-context';
import {
  parentIdOf,
  startXRayDaemon,
  traceOfInvocation,
  useLambdaTracingEnvironment,
  type XRayDaemon,
  type XRayDocument,
} from '@repo/testing/xray-daemon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formEncode, notification, sqsEvent } from '../events.ts';

// The handler and its tracer are imported only once useLambdaTracingEnvironment has set Lambda's environment.
let daemon: XRayDaemon;
let moto: MotoServer;
let s3: S3Client;
let app: typeof import('../../src/handler.ts');
let tracing: typeof import('@repo/logging/tracer');
let testing: typeof import('@repo/testing/observability');
let tableName: string;
let topicArn: string;
let restoreEnvironment: (() => void) | undefined;

const bucket = 'upload-processor-tracing';

beforeAll(async () => {
  [daemon, moto] = await Promise.all([startXRayDaemon(), startMoto()]);
  s3 = new S3Client({ endpoint: moto.endpoint });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  ({ UploadsTable: tableName = '' } = await createTablesFromTemplate(
    new DynamoDBClient({ endpoint: moto.endpoint }),
    readTemplate(),
    ['UploadsTable'],
  ));
  ({ TopicArn: topicArn = '' } = await new SNSClient({ endpoint: moto.endpoint }).send(
    new CreateTopicCommand({ Name: 'uploads-tracing' }),
  ));
  restoreEnvironment = useLambdaTracingEnvironment(daemon);
  app = await import('../../src/handler.ts');
  tracing = await import('@repo/logging/tracer');
  testing = await import('@repo/testing/observability');
}, 90_000); // startMoto gives moto_server up to 60 s to answer on a loaded machine

afterAll(async () => {
  restoreEnvironment?.();
  await Promise.all([daemon?.close(), moto?.stop()]);
});

/** The handler as module scope builds it: a real tracer and traced clients of its own, on moto. */
function tracedHandler({ topic = topicArn }: { topic?: string } = {}) {
  const tracer = tracing.createTracer({ serviceName: 'upload-processor' });
  const clientSettings = { maxAttempts: 1, endpoint: moto.endpoint };
  return app.createHandler({
    observability: testing.quietObservability({ tracer }),
    s3: tracing.traceClient(tracer, createS3Client(clientSettings)),
    db: tracing.traceClient(tracer, createDocumentClient(clientSettings)),
    sns: tracing.traceClient(tracer, createSnsClient(clientSettings)),
    tableName,
    topicArn: topic,
    settings: { inputPrefix: 'uploads/', maxObjectBytes: 1024 * 1024, previewBytes: 1024 },
  });
}

/** Uploads each object, then delivers one S3 notification per object through SQS, one message each. */
async function deliverViaSqs(
  handler: ReturnType<typeof tracedHandler>,
  objects: { messageId: string; key: string }[],
) {
  const messages: { messageId: string; body: string }[] = [];
  for (const [index, { messageId, key }] of objects.entries()) {
    const body = `contents of ${key}`;
    const { ETag = '' } = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    const event = notification(formEncode(key), {
      bucket,
      size: body.length,
      etag: ETag.replaceAll('"', ''),
      sequencer: `0062E99A88DC40746${index}`,
    });
    messages.push({ messageId, body: JSON.stringify(event) });
  }
  return traceOfInvocation(daemon, () => handler(sqsEvent(messages) as never, lambdaContext()));
}

describe('upload-processor tracing (X-Ray)', () => {
  it('gives each object of an SQS batch its own annotated subsegment holding its own S3, DynamoDB and SNS calls', async () => {
    const objects = [
      { messageId: '0b6f2a4e-1d3c-4e5f-8a9b-0c1d2e3f4a5b', key: 'uploads/traced/first report.txt' },
      { messageId: '7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f', key: 'uploads/traced/second.txt' },
    ];

    const { result, all, traceId, invocation } = await deliverViaSqs(tracedHandler(), objects);

    expect(result).toEqual({ batchItemFailures: [] });
    expect(invocation).toMatchObject({
      trace_id: traceId,
      type: 'subsegment',
      annotations: { ColdStart: true, Service: 'upload-processor' },
    });
    const records = all.filter((doc) => doc.name === '### record-upload');
    expect(records).toHaveLength(objects.length);
    const calls = all.filter((doc) => doc.namespace === 'aws');
    for (const { messageId, key } of objects) {
      const record = records.find((doc) => doc.annotations?.objectKey === key);
      expect(record?.annotations, key).toEqual({ bucket, objectKey: key, messageId });
      expect(record?.trace_id, key).toBe(traceId);
      expect(record?.fault || record?.error, key).toBeFalsy();
      expect(parentIdOf(all, record), key).toBe(invocation?.id);

      const own = calls.filter((call) => parentIdOf(all, call) === record?.id);
      // The object's own read, its version item written, and its one announcement.
      expect(
        own.filter((call) => call.name === 'S3').map((call) => call.aws),
        key,
      ).toEqual([expect.objectContaining({ operation: 'GetObject', bucket_name: bucket, key })]);
      expect(operationsOf(own, 'DynamoDB'), key).toEqual(expect.arrayContaining(['GetItem', 'PutItem']));
      expect(
        own.filter((call) => call.name === 'DynamoDB').every((call) => call.aws?.table_name === tableName),
        key,
      ).toBe(true);
      expect(
        own.filter((call) => call.name === 'SNS').map((call) => call.aws),
        key,
      ).toEqual([expect.objectContaining({ operation: 'Publish', topic_arn: topicArn })]);
    }
    // No SDK call outside the object it was made for, and each subsegment's calls are its own.
    const owners = calls.map((call) => parentIdOf(all, call));
    expect(owners.every((owner) => records.some((record) => record.id === owner))).toBe(true);
    expect(calls.length).toBeGreaterThanOrEqual(2 * 4);
  }, 60_000);

  it('marks the subsegment of a message that failed with its error, and reports only that message', async () => {
    const objects = [
      { messageId: 'f0e1d2c3-b4a5-4968-8776-655443322110', key: 'uploads/traced/unannounced.txt' },
    ];
    const missingTopic = topicArn.replace(/[^:]+$/, 'no-such-topic');

    const { result, all, invocation } = await deliverViaSqs(tracedHandler({ topic: missingTopic }), objects);

    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: objects[0]?.messageId }] });
    const [record, ...others] = all.filter((doc) => doc.name === '### record-upload');
    expect(others).toEqual([]);
    expect(record?.annotations).toMatchObject({ messageId: objects[0]?.messageId });
    expect(record?.fault || record?.error).toBe(true);
    expect(record?.cause?.exceptions?.[0]?.message).toBeTruthy();
    expect(parentIdOf(all, record)).toBe(invocation?.id);
    const publish = all.find((doc) => doc.name === 'SNS' && doc.aws?.operation === 'Publish');
    expect(publish?.fault || publish?.error).toBe(true);
    expect(parentIdOf(all, publish)).toBe(record?.id);
  }, 60_000);
});

const operationsOf = (calls: XRayDocument[], service: string) =>
  calls.filter((call) => call.name === service).map((call) => String(call.aws?.operation));
