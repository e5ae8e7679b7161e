import { Readable } from 'node:stream';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { lambdaContext } from '@repo/testing/lambda-context';
import { quietObservability } from '@repo/testing/observability';
import type { SQSBatchResponse } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler } from '../../src/handler.ts';
import type { RecordOutcome, RecordSettings, UploadRecord } from '../../src/record-upload.ts';

// One stub per client class: every instance the handler holds goes through them.
export const s3 = mockClient(S3Client);
export const db = mockClient(DynamoDBDocumentClient);
export const sns = mockClient(SNSClient);

export const tableName = 'uploads-unit';
export const topicArn = 'arn:aws:sns:us-east-1:123456789012:uploads-unit';
export const processedAt = '2026-11-27T10:15:44.000Z';
/** The `recordedBy` token of every delivery the unit tests run. */
export const deliveryToken = 'delivery-0001';

export const defaultSettings: RecordSettings = {
  inputPrefix: 'uploads/',
  maxObjectBytes: 1024 * 1024,
  previewBytes: 1024,
};

/**
 * The unit tests' clock: it stands at `processedAt` and moves only when the handler sleeps (waiting for
 * another delivery's announcement claim), so waits take no real time. `resetAws` sets it back.
 */
export const clock = { ms: Date.parse(processedAt), slept: [] as number[] };

/** The handler as module scope builds it, with stubbed clients, a silent logger and the fake clock. */
export function buildHandler(settings: Partial<RecordSettings> = {}, metrics?: Metrics) {
  const region = 'us-east-1';
  return createHandler({
    observability: quietObservability(metrics ? { metrics } : {}),
    s3: new S3Client({ region }),
    db: DynamoDBDocumentClient.from(new DynamoDBClient({ region })),
    sns: new SNSClient({ region }),
    tableName,
    topicArn,
    settings: { ...defaultSettings, ...settings },
    now: () => new Date(clock.ms),
    sleep: async (ms: number) => {
      clock.slept.push(ms);
      clock.ms += ms;
    },
    newToken: () => deliveryToken,
  });
}

type Handler = ReturnType<typeof buildHandler>;

/** Invokes for events that are not SQS batches (their result is the outcomes). */
export const invoke = (handler: Handler, event: unknown) =>
  handler(event as never, lambdaContext()) as Promise<RecordOutcome[]>;

/** Invokes with an SQS batch (its result is the batch response). */
export const invokeBatch = (handler: Handler, event: unknown) =>
  handler(event as never, lambdaContext()) as Promise<SQSBatchResponse>;

/**
 * The happy path: no item yet, writes and publishes succeed, and every GetObject streams `bytes` (a
 * fresh stream each time) with `contentType` and, unless told otherwise, its Content-Length.
 */
export function givenObject(
  bytes: Uint8Array | string,
  {
    contentType = 'text/plain',
    contentLength = true,
  }: { contentType?: string; contentLength?: boolean } = {},
) {
  const body = Buffer.from(bytes);
  s3.on(GetObjectCommand).callsFake(() => ({
    Body: Readable.from([body]),
    ContentLength: contentLength ? body.length : undefined,
    ContentType: contentType,
  }));
  db.on(GetCommand).resolves({});
  db.on(PutCommand).resolves({});
  db.on(UpdateCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'msg-0001' });
}

export const getObjectInputs = () => s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input);

/** A record as it is announced: without the item's internal tokens (`recordedBy`, the claim). */
export const announcedRecord = ({
  recordedBy: _token,
  claimedBy: _claimedBy,
  claimExpiresAt: _claimExpiresAt,
  ...record
}: UploadRecord) => record;

/** An item as a failed publish leaves it: the delivery gave its claim up. */
export const released = ({
  claimedBy: _claimedBy,
  claimExpiresAt: _claimExpiresAt,
  ...record
}: UploadRecord) => record;

/** The items written with PutItem, in order. */
export const putItems = () =>
  db.commandCalls(PutCommand).map((call) => call.args[0].input.Item as UploadRecord);

export const putInputs = () => db.commandCalls(PutCommand).map((call) => call.args[0].input);

const updates = () => db.commandCalls(UpdateCommand).map((call) => call.args[0].input as UpdateCommandInput);

/** UpdateItem calls on an object's `latest` item. */
export const latestUpdates = () => updates().filter((input) => input.Key?.version === 'latest');

/** UpdateItem calls that mark a version item as announced. */
export const marks = () => updates().filter((input) => input.UpdateExpression?.includes('notifiedAt ='));

/** UpdateItem calls that claim a version item's announcement. */
export const claims = () => updates().filter((input) => input.UpdateExpression?.startsWith('SET claimedBy'));

/** UpdateItem calls that give an announcement claim up. */
export const releases = () =>
  updates().filter((input) => input.UpdateExpression?.startsWith('REMOVE claimedBy'));

export const publishInputs = (): PublishCommandInput[] =>
  sns.commandCalls(PublishCommand).map((call) => call.args[0].input);

/** Every call to any AWS client. */
export const allCalls = () => [...s3.calls(), ...db.calls(), ...sns.calls()];

/** Clears behaviours and history of every stub, and sets the clock back. */
export function resetAws() {
  clock.ms = Date.parse(processedAt);
  clock.slept = [];
  s3.reset();
  db.reset();
  sns.reset();
}
