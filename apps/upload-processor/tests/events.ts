import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const bucket = 'example-uploads-bucket';

export interface ObjectEventOptions {
  size?: number;
  /** Unquoted, as S3 puts it in events. */
  etag?: string;
  /** Absent for unversioned buckets in real events; moto and some producers send "null". */
  versionId?: string;
  sequencer?: string;
  bucket?: string;
}

const defaults = { size: 11, etag: '5eb63bbbe01eeed093cb22bb8f5acdc3', sequencer: '0062E99A88DC407460' };

/** An EventBridge "Object Created" event as S3 sends it (the key is NOT URL-encoded). */
export function objectCreated(key: string, options: ObjectEventOptions = {}) {
  const { size, etag, sequencer, versionId } = { ...defaults, ...options };
  const name = options.bucket ?? bucket;
  return {
    version: '0',
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '123456789012',
    time: '2026-11-27T10:15:42Z',
    region: 'us-east-1',
    resources: [`arn:aws:s3:::${name}`],
    detail: {
      version: '0',
      bucket: { name },
      object: {
        key,
        size,
        etag,
        ...(versionId === undefined ? {} : { 'version-id': versionId }),
        sequencer,
      },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: '123456789012',
      'source-ip-address': '203.0.113.7',
      reason: 'PutObject',
    },
  };
}

/** The same event as moto_server builds it: `eTag` (not `etag`), `version-id` always present. */
export function motoObjectCreated(
  name: string,
  key: string,
  {
    size,
    eTag,
    versionId = 'null',
    sequencer,
  }: { size: number; eTag: string; versionId?: string; sequencer: string },
) {
  return {
    version: '0',
    id: '7a3c1d52-9c1b-4d0e-8a43-1f0e5d6c2b90',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '123456789012',
    time: '2026-11-27T10:15:42Z',
    region: 'us-east-1',
    resources: [`arn:aws:s3:::${name}`],
    detail: {
      version: '0',
      bucket: { name },
      object: { key, size, eTag: eTag.replaceAll('"', ''), 'version-id': versionId, sequencer },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: '123456789012',
      'source-ip-address': '1.2.3.4',
      reason: 'ObjectCreated',
    },
  };
}

/** A key as S3 notifications carry it: application/x-www-form-urlencoded, slashes left as they are. */
export function formEncode(key: string): string {
  return encodeURIComponent(key).replaceAll('%20', '+').replaceAll('%2F', '/');
}

/** A classic S3 notification (direct, or the body of an SQS/SNS message) for an already encoded key. */
export function notification(encodedKey: string, options: ObjectEventOptions = {}) {
  const { size, etag, sequencer, versionId } = { ...defaults, ...options };
  const name = options.bucket ?? bucket;
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: '2026-11-27T10:15:42.000Z',
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:AIDAEXAMPLEUPLOADER' },
        requestParameters: { sourceIPAddress: '203.0.113.7' },
        responseElements: {
          'x-amz-request-id': 'C3D13FE58DE4C810',
          'x-amz-id-2': 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD',
        },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'upload-processor',
          bucket: {
            name,
            ownerIdentity: { principalId: 'A3NL1KOZZKEXAMPLE' },
            arn: `arn:aws:s3:::${name}`,
          },
          object: {
            key: encodedKey,
            size,
            eTag: etag,
            ...(versionId === undefined ? {} : { versionId }),
            sequencer,
          },
        },
      },
    ],
  };
}

export const testEvent = {
  Service: 'Amazon S3',
  Event: 's3:TestEvent',
  Time: '2026-11-27T10:15:42.000Z',
  Bucket: bucket,
  RequestId: '5582815E1AEA5ADF',
  HostId: '8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE',
};

const topicArn = 'arn:aws:sns:us-east-1:123456789012:upload-events';

/** What SNS delivers to an SQS queue without raw message delivery: the message inside an envelope. */
export function snsEnvelope(message: unknown, messageId = '95df01b4-ee98-5cb9-9903-4c221d41eb5e') {
  return {
    Type: 'Notification',
    MessageId: messageId,
    TopicArn: topicArn,
    Subject: 'Amazon S3 Notification',
    Message: JSON.stringify(message),
    Timestamp: '2026-11-27T10:15:43.120Z',
    SignatureVersion: '1',
    Signature:
      'EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q=',
    SigningCertURL:
      'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem',
    UnsubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${topicArn}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55`,
  };
}

/** A Lambda SQS event: one record per `{ messageId, body }`. */
export function sqsEvent(messages: readonly { messageId: string; body: string }[]) {
  return {
    Records: messages.map(({ messageId, body }) => ({
      messageId,
      receiptHandle: `AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a${messageId}`,
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '1795774542000',
        SenderId: 'AIDAIENQZJOLO23YVJ4VO',
        ApproximateFirstReceiveTimestamp: '1795774542012',
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:upload-events',
      awsRegion: 'us-east-1',
    })),
  };
}

/** A Lambda SNS event carrying `message` (SNS delivers one record per invocation). */
export function snsEvent(message: unknown, messageId?: string) {
  return snsEventWithText(JSON.stringify(message), messageId);
}

/** A Lambda SNS event whose message is `text` exactly. */
export function snsEventWithText(text: string, messageId = 'c9d8e7f6-5a4b-4c3d-8e2f-1a0b9c8d7e6f') {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${topicArn}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55`,
        Sns: {
          Type: 'Notification',
          MessageId: messageId,
          TopicArn: topicArn,
          Subject: 'Amazon S3 Notification',
          Message: text,
          Timestamp: '2026-11-27T10:15:43.120Z',
          SignatureVersion: '1',
          Signature: 'EXAMPLE',
          SigningCertUrl: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem',
          UnsubscribeUrl: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe',
          MessageAttributes: {},
        },
      },
    ],
  };
}

export type SampleEventName =
  | 'object-created-eventbridge'
  | 's3-put-notification'
  | 's3-notification-via-sqs'
  | 's3-notification-via-sns-via-sqs'
  | 's3-notification-via-sns'
  | 's3-test-event';

/** A sample event from events/ (the ones `sam local invoke -e` uses). */
export function sampleEvent(name: SampleEventName): unknown {
  return JSON.parse(readFileSync(new URL(`../events/${name}.json`, import.meta.url), 'utf8'));
}
