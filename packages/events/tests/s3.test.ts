import { describe, expect, it } from 'vitest';
import { decodeS3Key, messagesOf, objectsOf, s3DeliverySchema, s3ObjectEventSchema } from '../src/s3.ts';

const eventBridgeEvent = {
  version: '0',
  id: '17793124-05d4-b198-2fde-7ededc63b103',
  'detail-type': 'Object Created',
  source: 'aws.s3',
  account: '123456789012',
  time: '2026-11-27T10:00:00Z',
  region: 'eu-west-1',
  resources: ['arn:aws:s3:::photos'],
  detail: {
    version: '0',
    bucket: { name: 'photos' },
    object: {
      key: 'uploads/a b+c.jpg',
      size: 5,
      etag: 'b1946ac9',
      'version-id': 'v1',
      sequencer: '00617F08299329D189',
    },
    'request-id': 'N4N7GDK58NMKJ12R',
    requester: '123456789012',
    reason: 'PutObject',
  },
};

const notification = {
  Records: [
    {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'eu-west-1',
      eventTime: '2026-11-27T10:00:00.000Z',
      eventName: 'ObjectCreated:Put',
      responseElements: { 'x-amz-request-id': 'C3D13FE58DE4C810' },
      s3: {
        s3SchemaVersion: '1.0',
        bucket: { name: 'photos', arn: 'arn:aws:s3:::photos' },
        object: { key: 'uploads%2Fa+b%2Bc.jpg', size: 5, eTag: 'b1946ac9', sequencer: '0A1B2C3D4E5F678901' },
      },
    },
  ],
};

describe('s3ObjectEventSchema and objectsOf', () => {
  it('reads an EventBridge Object Created event, keeping its (unencoded) key as it is', () => {
    const event = s3ObjectEventSchema.parse(eventBridgeEvent);

    expect(objectsOf(event)).toEqual([
      {
        bucket: 'photos',
        key: 'uploads/a b+c.jpg',
        size: 5,
        etag: 'b1946ac9',
        versionId: 'v1',
        sequencer: '00617F08299329D189',
        eventId: '17793124-05d4-b198-2fde-7ededc63b103',
        eventName: 'PutObject',
      },
    ]);
  });

  it('decodes a notification key exactly once: + is a space, %2B a plus, %2F a slash', () => {
    const event = s3ObjectEventSchema.parse(notification);

    expect(objectsOf(event)).toEqual([
      expect.objectContaining({ bucket: 'photos', key: 'uploads/a b+c.jpg', eventId: 'C3D13FE58DE4C810' }),
    ]);
  });

  it('accepts the s3:TestEvent and yields no objects', () => {
    const event = s3ObjectEventSchema.parse({
      Service: 'Amazon S3',
      Event: 's3:TestEvent',
      Time: '2026-11-27T10:00:00.000Z',
      Bucket: 'photos',
      RequestId: 'x',
      HostId: 'y',
    });

    expect(objectsOf(event)).toEqual([]);
  });

  it.each([
    ['null', null],
    ['an API Gateway event', { httpMethod: 'GET', path: '/' }],
    ['an empty Records list', { Records: [] }],
    ['a record from another service', { Records: [{ ...notification.Records[0], eventSource: 'aws:sqs' }] }],
    ['an EventBridge event of another type', { ...eventBridgeEvent, 'detail-type': 'Object Deleted' }],
    ['an event without a key', { ...eventBridgeEvent, detail: { ...eventBridgeEvent.detail, object: {} } }],
  ])('rejects %s', (_, value) => {
    expect(s3ObjectEventSchema.safeParse(value).success).toBe(false);
  });

  it('decodes keys with non-ASCII characters', () => {
    expect(decodeS3Key('uploads/%C3%BCber+caf%C3%A9.jpg')).toBe('uploads/über café.jpg');
  });
});

describe('messagesOf', () => {
  const s3Event = JSON.stringify(notification);

  it('passes an S3 event through as one message', () => {
    expect(messagesOf(s3DeliverySchema.parse(eventBridgeEvent))).toEqual([
      { event: expect.objectContaining({ id: eventBridgeEvent.id }) },
    ]);
  });

  it('reads the S3 event in each SQS record, raw or wrapped by SNS, and reports a malformed one alone', () => {
    const delivery = s3DeliverySchema.parse({
      Records: [
        { eventSource: 'aws:sqs', messageId: 'm1', body: s3Event },
        {
          eventSource: 'aws:sqs',
          messageId: 'm2',
          body: JSON.stringify({ Type: 'Notification', Message: s3Event }),
        },
        { eventSource: 'aws:sqs', messageId: 'm3', body: 'not json' },
        { eventSource: 'aws:sqs', messageId: 'm4', body: '{"hello":"world"}' },
      ],
    });

    const messages = messagesOf(delivery);

    expect(
      messages.map((message) => ('event' in message ? objectsOf(message.event)[0]?.key : message.malformed)),
    ).toEqual([
      'uploads/a b+c.jpg',
      'uploads/a b+c.jpg',
      'the message is not JSON',
      'not an S3 object event',
    ]);
    expect(messages.map((message) => message.messageId)).toEqual(['m1', 'm2', 'm3', 'm4']);
  });

  it('reads the S3 event in each SNS record', () => {
    const delivery = s3DeliverySchema.parse({
      Records: [{ EventSource: 'aws:sns', Sns: { MessageId: 'n1', Message: s3Event } }],
    });

    expect(messagesOf(delivery)).toEqual([
      { messageId: 'n1', event: expect.objectContaining({ Records: expect.any(Array) }) },
    ]);
  });
});
