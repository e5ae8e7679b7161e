import { Readable } from 'node:stream';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, NoSuchKey, S3ServiceException } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  bucket,
  formEncode,
  notification,
  objectCreated,
  sampleEvent,
  snsEnvelope,
  snsEvent,
  snsEventWithText,
  sqsEvent,
  testEvent,
} from '../events.ts';
import {
  allCalls,
  buildHandler,
  db,
  getObjectInputs,
  givenObject,
  invoke,
  invokeBatch,
  latestUpdates,
  marks,
  publishInputs,
  putItems,
  resetAws,
  s3,
} from './harness.ts';

const handler = buildHandler();
const text = 'hello world';

beforeEach(() => {
  resetAws();
});

const slowDown = () =>
  new S3ServiceException({
    name: 'SlowDown',
    $fault: 'server',
    message: 'Please reduce your request rate.',
    $metadata: { httpStatusCode: 503 },
  });

describe('upload-processor handler: event shapes', () => {
  it('records and announces the object of an EventBridge Object Created event', async () => {
    givenObject(text);

    const outcomes = await invoke(handler, objectCreated('uploads/report.txt'));

    expect(outcomes).toEqual([expect.objectContaining({ status: 'recorded', messageId: 'msg-0001' })]);
    expect(getObjectInputs()).toEqual([
      expect.objectContaining({ Bucket: bucket, Key: 'uploads/report.txt' }),
    ]);
    expect(putItems().map((item) => item.objectId)).toEqual([`s3://${bucket}/uploads/report.txt`]);
    expect(publishInputs()).toHaveLength(1);
    expect(marks()).toHaveLength(1);
  });

  it('records and announces the object of a classic S3 notification', async () => {
    givenObject(text);

    const outcomes = await invoke(handler, notification('uploads/report.txt'));

    expect(outcomes).toEqual([expect.objectContaining({ status: 'recorded' })]);
    expect(putItems().map((item) => item.key)).toEqual(['uploads/report.txt']);
    expect(publishInputs()).toHaveLength(1);
  });

  it('records the object of an S3 notification inside an SNS record', async () => {
    givenObject(text);

    const outcomes = await invoke(handler, snsEvent(notification('uploads/via-sns.txt')));

    expect(outcomes).toEqual([expect.objectContaining({ status: 'recorded' })]);
    expect(putItems().map((item) => item.key)).toEqual(['uploads/via-sns.txt']);
    expect(publishInputs()).toHaveLength(1);
  });

  it('records S3 events in SQS records, raw or in an SNS envelope, and reports no failure', async () => {
    givenObject(text);

    const response = await invokeBatch(
      handler,
      sqsEvent([
        { messageId: 'raw', body: JSON.stringify(notification('uploads/raw.txt')) },
        { messageId: 'wrapped', body: JSON.stringify(snsEnvelope(notification('uploads/wrapped.txt'))) },
        { messageId: 'bridge', body: JSON.stringify(objectCreated('uploads/bridge.txt')) },
      ]),
    );

    expect(response).toEqual({ batchItemFailures: [] });
    expect(putItems().map((item) => item.key)).toEqual([
      'uploads/raw.txt',
      'uploads/wrapped.txt',
      'uploads/bridge.txt',
    ]);
    expect(publishInputs()).toHaveLength(3);
  });

  it('lists exactly the SQS messages whose processing threw; malformed and rejected ones are dropped', async () => {
    givenObject(text);
    s3.on(GetObjectCommand, { Key: 'uploads/throttled.txt' }).rejects(slowDown());
    s3.on(GetObjectCommand, { Key: 'uploads/gone.txt' }).rejects(
      new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } }),
    );
    db.on(GetCommand, { Key: { objectId: `s3://${bucket}/uploads/table-busy.txt` } }).rejects(
      new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }),
    );

    const response = await invokeBatch(
      handler,
      sqsEvent([
        { messageId: 'm1-ok', body: JSON.stringify(notification('uploads/first.txt')) },
        {
          messageId: 'm2-throttled',
          body: JSON.stringify(snsEnvelope(notification('uploads/throttled.txt'))),
        },
        { messageId: 'm3-not-json', body: 'uploads/first.txt was uploaded' },
        { messageId: 'm4-not-s3', body: JSON.stringify({ orderId: 42, status: 'shipped' }) },
        { messageId: 'm5-gone', body: JSON.stringify(notification('uploads/gone.txt')) },
        { messageId: 'm6-table-busy', body: JSON.stringify(notification('uploads/table-busy.txt')) },
        { messageId: 'm7-envelope-of-junk', body: JSON.stringify(snsEnvelope('not an S3 event')) },
        { messageId: 'm8-ok', body: JSON.stringify(notification('uploads/last.txt')) },
      ]),
    );

    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm2-throttled' }, { itemIdentifier: 'm6-table-busy' }],
    });
    expect(putItems().map((item) => item.key)).toEqual(['uploads/first.txt', 'uploads/last.txt']);
    expect(publishInputs()).toHaveLength(2);
  });

  it('acknowledges the s3:TestEvent without any AWS call, directly and through SQS', async () => {
    const direct = await invoke(handler, testEvent);
    const viaSqs = await invokeBatch(
      handler,
      sqsEvent([{ messageId: 'test', body: JSON.stringify(testEvent) }]),
    );

    expect(direct).toEqual([]);
    expect(viaSqs).toEqual({ batchItemFailures: [] });
    expect(allCalls()).toHaveLength(0);
  });

  it.each([
    ['an unrelated object', { hello: 'world' }],
    ['an S3 "Object Deleted" event', { ...objectCreated('uploads/a.txt'), 'detail-type': 'Object Deleted' }],
    ['an EventBridge event from another source', { ...objectCreated('uploads/a.txt'), source: 'aws.ec2' }],
    ['an SNS record whose message is not JSON', snsEventWithText('{not json')],
    ['an SNS record whose message is not an S3 event', snsEvent({ orderId: 42 })],
    ['a notification without records', { Records: [] }],
    ['null', null],
  ])('ignores %s: [] and no AWS call', async (_, event) => {
    const outcomes = await invoke(handler, event);

    expect(outcomes).toEqual([]);
    expect(allCalls()).toHaveLength(0);
  });
});

describe('upload-processor handler: notifications that are not about a new object', () => {
  it.each([
    [
      'ObjectRemoved:Delete',
      undefined,
      new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } }),
    ],
    [
      'ObjectRemoved:DeleteMarkerCreated',
      '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY',
      new S3ServiceException({
        name: 'MethodNotAllowed',
        $fault: 'client',
        message: 'The specified method is not allowed against this resource.',
        $metadata: { httpStatusCode: 405 },
      }),
    ],
  ])(
    'ignores a classic %s notification: no read, no write, nothing thrown',
    async (eventName, versionId, error) => {
      // Removal notifications share the record shape; were they read as uploads, a delete marker would
      // answer 405 (thrown, retried), a deleted key would log as a failed upload, and a key created
      // again since would be recorded under the delete event's sequencer.
      givenObject(text);
      s3.on(GetObjectCommand).rejects(error);
      const event = notification('uploads/removed.txt', { versionId });
      const [record] = event.Records;
      if (!record) throw new Error('no record');
      record.eventName = eventName;
      // Removal events carry neither size nor ETag.
      delete (record.s3.object as { size?: number }).size;
      delete (record.s3.object as { eTag?: string }).eTag;

      const outcomes = await invoke(handler, event);

      expect(getObjectInputs()).toHaveLength(0);
      expect(putItems()).toHaveLength(0);
      expect(publishInputs()).toHaveLength(0);
      expect(outcomes.every((outcome) => outcome.status === 'skipped')).toBe(true);
    },
  );
});

describe('upload-processor handler: object keys', () => {
  const keys: [string, string][] = [
    ['a space and a plus', 'uploads/my file+1.txt'],
    ['an encoded-looking plus (%2B)', 'uploads/a%2Bb.txt'],
    ['unicode', 'uploads/über/naïve café.txt'],
    ['a literal percent sign', 'uploads/100% done.txt'],
    ['1,024 bytes', `uploads/${'ü'.repeat(508)}`],
  ];

  it('builds a 1,024-byte key for the last case', () => {
    expect(Buffer.byteLength(keys[4]?.[1] ?? '')).toBe(1024);
  });

  describe.each([
    ['an EventBridge event (key as it is)', (key: string) => objectCreated(key)],
    ['an S3 notification (key form-encoded)', (key: string) => notification(formEncode(key))],
    [
      'an S3 notification in SQS (key form-encoded)',
      (key: string) => sqsEvent([{ messageId: 'm', body: JSON.stringify(notification(formEncode(key))) }]),
    ],
  ])('from %s', (_, eventFor) => {
    it.each(keys)('reads and records the decoded key with %s', async (_, key) => {
      givenObject(text);

      await invoke(handler, eventFor(key));

      expect(getObjectInputs().map((input) => input.Key)).toEqual([key]);
      expect(putItems()).toEqual([
        expect.objectContaining({ key, objectId: `s3://${bucket}/${key}`, bucket }),
      ]);
    });
  });

  it('encodes the notification keys as S3 does (the decoding above is not trivially the identity)', () => {
    expect(formEncode('uploads/my file+1.txt')).toBe('uploads/my+file%2B1.txt');
    expect(formEncode('uploads/a%2Bb.txt')).toBe('uploads/a%252Bb.txt');
    expect(formEncode('uploads/100% done.txt')).toBe('uploads/100%25+done.txt');
    expect(formEncode('uploads/über/x.txt')).toBe('uploads/%C3%BCber/x.txt');
  });

  it.each([
    ['a folder marker, from EventBridge', objectCreated('uploads/dir/', { size: 0 }), 'folder-marker'],
    ['a folder marker, from a notification', notification('uploads/2026/dir/', { size: 0 }), 'folder-marker'],
    ['a key outside uploads/', objectCreated('processed/report.txt'), 'outside-input-prefix'],
  ])('skips %s without any AWS call', async (_, event, reason) => {
    const outcomes = await invoke(handler, event);

    expect(outcomes).toEqual([{ status: 'skipped', reason }]);
    expect(allCalls()).toHaveLength(0);
  });
});

describe('upload-processor handler: faults', () => {
  it.each([
    [
      'NoSuchKey (deleted since the event)',
      new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } }),
      'object-gone',
    ],
    [
      'AccessDenied',
      new S3ServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        message: 'Access Denied',
        $metadata: { httpStatusCode: 403 },
      }),
      'object-gone',
    ],
    [
      '412 PreconditionFailed (overwritten since the event)',
      new S3ServiceException({
        name: 'PreconditionFailed',
        $fault: 'client',
        message: 'At least one of the pre-conditions you specified did not hold',
        $metadata: { httpStatusCode: 412 },
      }),
      'object-changed',
    ],
  ])('rejects on %s: permanent, nothing thrown, nothing written or published', async (_, error, reason) => {
    givenObject(text);
    s3.on(GetObjectCommand).rejects(error);

    const outcomes = await invoke(handler, objectCreated('uploads/report.txt'));

    expect(outcomes).toEqual([expect.objectContaining({ status: 'rejected', reason })]);
    expect(db.commandCalls(PutCommand)).toHaveLength(0);
    expect(latestUpdates()).toHaveLength(0);
    expect(marks()).toHaveLength(0);
    expect(publishInputs()).toHaveLength(0);
  });

  it('throws S3 SlowDown (503) so that Lambda retries, having written nothing', async () => {
    givenObject(text);
    s3.on(GetObjectCommand).rejects(slowDown());

    await expect(invoke(handler, objectCreated('uploads/report.txt'))).rejects.toThrow(
      'Please reduce your request rate.',
    );
    expect(db.commandCalls(PutCommand)).toHaveLength(0);
    expect(publishInputs()).toHaveLength(0);
  });

  it('throws DynamoDB ProvisionedThroughputExceededException on the write, before any announcement', async () => {
    givenObject(text);
    db.on(PutCommand).rejects(
      new ProvisionedThroughputExceededException({
        message: 'Rate of requests exceeds the allowed throughput',
        $metadata: {},
      }),
    );

    await expect(invoke(handler, objectCreated('uploads/report.txt'))).rejects.toThrow(
      ProvisionedThroughputExceededException,
    );
    expect(publishInputs()).toHaveLength(0);
  });

  it('throws DynamoDB ProvisionedThroughputExceededException on the first read, before reading S3', async () => {
    givenObject(text);
    db.on(GetCommand).rejects(
      new ProvisionedThroughputExceededException({
        message: 'Rate of requests exceeds the allowed throughput',
        $metadata: {},
      }),
    );

    await expect(invoke(handler, objectCreated('uploads/report.txt'))).rejects.toThrow(
      ProvisionedThroughputExceededException,
    );
    expect(getObjectInputs()).toHaveLength(0);
  });

  it('rejects an object over MAX_OBJECT_BYTES by its Content-Length, closing the stream unread', async () => {
    const small = buildHandler({ maxObjectBytes: 1_000 });
    givenObject(text);
    const body = Readable.from([Buffer.alloc(2_000, 'a')]);
    s3.on(GetObjectCommand).resolves({
      Body: body as never,
      ContentLength: 2_000,
      ContentType: 'text/plain',
    });

    const outcomes = await invoke(small, objectCreated('uploads/big.txt', { size: 2_000 }));

    expect(outcomes).toEqual([expect.objectContaining({ status: 'rejected', reason: 'too-large' })]);
    expect(body.destroyed).toBe(true);
    expect(db.commandCalls(PutCommand)).toHaveLength(0);
    expect(publishInputs()).toHaveLength(0);
  });

  it('rejects an object over MAX_OBJECT_BYTES while streaming when there is no Content-Length', async () => {
    const small = buildHandler({ maxObjectBytes: 1_000 });
    givenObject(text);
    let chunksRead = 0;
    async function* endless() {
      for (;;) {
        chunksRead += 1;
        yield Buffer.alloc(300, 'a');
      }
    }
    s3.on(GetObjectCommand).resolves({ Body: Readable.from(endless()) as never, ContentType: 'text/plain' });

    const outcomes = await invoke(small, objectCreated('uploads/big.txt'));

    expect(outcomes).toEqual([expect.objectContaining({ status: 'rejected', reason: 'too-large' })]);
    // It stopped at the limit (1,000 bytes = the 4th chunk of 300; Readable.from reads a little ahead).
    expect(chunksRead).toBeLessThan(20);
    expect(db.commandCalls(PutCommand)).toHaveLength(0);
    expect(publishInputs()).toHaveLength(0);
  });

  it('records an object of exactly MAX_OBJECT_BYTES', async () => {
    const small = buildHandler({ maxObjectBytes: 1_000 });
    givenObject(Buffer.alloc(1_000, 'a'));

    const outcomes = await invoke(small, objectCreated('uploads/limit.txt', { size: 1_000 }));

    expect(outcomes).toEqual([expect.objectContaining({ status: 'recorded' })]);
    expect(putItems()[0]?.size).toBe(1_000);
  });
});

describe('upload-processor handler: sample events (events/*.json)', () => {
  it('records the EventBridge sample', async () => {
    givenObject(text);

    const outcomes = await invoke(handler, sampleEvent('object-created-eventbridge'));

    expect(outcomes).toEqual([expect.objectContaining({ status: 'recorded' })]);
    expect(putItems()[0]).toMatchObject({
      bucket: 'example-uploads-bucket',
      key: 'uploads/2026/q3 report.txt',
    });
  });

  it('decodes the key of the S3 put sample once', async () => {
    givenObject(text);

    const outcomes = await invoke(handler, sampleEvent('s3-put-notification'));

    expect(outcomes).toEqual([expect.objectContaining({ status: 'recorded' })]);
    expect(getObjectInputs()[0]?.Key).toBe('uploads/holiday photo (1)+edit.txt');
  });

  it.each([
    ['s3-notification-via-sqs', 'uploads/invoices/INV 2026+0042.pdf'],
    ['s3-notification-via-sns-via-sqs', 'uploads/invoices/INV 2026+0043.pdf'],
  ] as const)('records the %s sample and reports no batch item failure', async (name, key) => {
    givenObject(text);

    const response = await invokeBatch(handler, sampleEvent(name));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(putItems().map((item) => item.key)).toEqual([key]);
  });

  it('records the SNS sample', async () => {
    givenObject(text);

    const outcomes = await invoke(handler, sampleEvent('s3-notification-via-sns'));

    expect(outcomes).toEqual([expect.objectContaining({ status: 'recorded' })]);
    expect(putItems()[0]?.key).toBe('uploads/notes/meeting notes.txt');
  });

  it('acknowledges the s3:TestEvent sample without any AWS call', async () => {
    const outcomes = await invoke(handler, sampleEvent('s3-test-event'));

    expect(outcomes).toEqual([]);
    expect(allCalls()).toHaveLength(0);
  });
});
