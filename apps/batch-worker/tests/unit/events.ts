import { createHash, randomUUID } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';

/** The ETag the sample S3 notifications announce (an empty object's), and what the mocked S3 holds by default. */
export const eventEtag = 'd41d8cd98f00b204e9800998ecf8427e';

const region = 'us-east-1';
const queueArn = `arn:aws:sqs:${region}:123456789012:batch-worker-ResizeJobsQueue-1A2B3C4D5E6F`;

/** One SQS record as Lambda's event source mapping delivers it, carrying `body` as it is. */
export function sqsRecord(body: string, { receiveCount = 1 }: { receiveCount?: number } = {}): SQSRecord {
  const sentAt = Date.now() - 2_000;
  return {
    messageId: randomUUID(),
    receiptHandle: `AQEB${Buffer.from(randomUUID() + randomUUID()).toString('base64')}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(sentAt),
      SenderId: 'AROAXDRA2EXAMPLE:enqueue-resize',
      ApproximateFirstReceiveTimestamp: String(sentAt + 40),
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** A record whose body is `value` as JSON (a resize job, an S3 notification …). */
export const jsonRecord = (value: unknown): SQSRecord => sqsRecord(JSON.stringify(value));

/** The batch Lambda hands the function. */
export const sqsEvent = (records: SQSRecord[]): SQSEvent => ({ Records: records });

/** A classic S3 notification for `encodedKey` (already URL-form-encoded, as S3 sends it). */
export function s3Notification(bucket: string, encodedKey: string, eventName = 'ObjectCreated:Put') {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: region,
        eventTime: '2026-11-27T10:00:00.000Z',
        eventName,
        userIdentity: { principalId: 'AWS:AIDAEXAMPLE' },
        requestParameters: { sourceIPAddress: '203.0.113.7' },
        responseElements: { 'x-amz-request-id': 'C3D13FE58DE4C810', 'x-amz-id-2': 'FMyUVURIY8' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'resize-jobs',
          bucket: {
            name: bucket,
            ownerIdentity: { principalId: 'A3NL1KOZZKExample' },
            arn: `arn:aws:s3:::${bucket}`,
          },
          object: {
            key: encodedKey,
            size: 24_576,
            eTag: eventEtag,
            sequencer: '0055AED6DCD90281E5',
          },
        },
      },
    ],
  };
}

/** What an SQS queue subscribed to an SNS topic receives (raw message delivery off). */
export function snsEnvelope(message: unknown) {
  return {
    Type: 'Notification',
    MessageId: randomUUID(),
    TopicArn: `arn:aws:sns:${region}:123456789012:uploads-notifications`,
    Subject: 'Amazon S3 Notification',
    Message: JSON.stringify(message),
    Timestamp: '2026-11-27T10:00:00.301Z',
    SignatureVersion: '1',
    Signature: 'EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N8=',
    SigningCertURL: `https://sns.${region}.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5ca.pem`,
    UnsubscribeURL: `https://sns.${region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:${region}:123456789012:uploads-notifications:0b8d4bd4`,
  };
}

/** The s3:TestEvent S3 sends once when a notification configuration is saved. */
export const s3TestEvent = (bucket: string) => ({
  Service: 'Amazon S3',
  Event: 's3:TestEvent',
  Time: '2026-11-27T10:00:00.000Z',
  Bucket: bucket,
  RequestId: '5582815E1AEA5ADF',
  HostId: '8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE',
});
