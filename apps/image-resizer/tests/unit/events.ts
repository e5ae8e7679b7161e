/** The ETag the sample events announce (an empty object's), and what the mocked S3 holds by default. */
export const eventEtag = 'd41d8cd98f00b204e9800998ecf8427e';

/**
 * A real-shaped EventBridge "Object Created" event for `key` (EventBridge keys are not URL-encoded). Its
 * ETag pins the read: against moto, pass the ETag the upload got.
 */
export function objectCreated(bucket: string, key: string, size = 1024, etag = eventEtag) {
  return {
    version: '0',
    id: 'b6d5e1f2-3a4b-4c5d-8e9f-0a1b2c3d4e5f',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '123456789012',
    time: '2026-11-27T10:00:00Z',
    region: 'us-east-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: { key, size, etag, sequencer: '0055AED6DCD90281E5' },
      'request-id': 'C3D13FE58DE4C810',
      requester: '123456789012',
      'source-ip-address': '203.0.113.7',
      reason: 'PutObject',
    },
  };
}

/** A classic S3 notification record for `encodedKey` (already URL-form-encoded, as S3 sends it). */
export function notification(bucket: string, encodedKey: string, size = 1024) {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: '2026-11-27T10:00:00.000Z',
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:AIDAEXAMPLE' },
        requestParameters: { sourceIPAddress: '203.0.113.7' },
        responseElements: { 'x-amz-request-id': 'C3D13FE58DE4C810', 'x-amz-id-2': 'FMyUVURIY8' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'resize',
          bucket: {
            name: bucket,
            ownerIdentity: { principalId: 'A3NL1KOZZKExample' },
            arn: `arn:aws:s3:::${bucket}`,
          },
          object: {
            key: encodedKey,
            size,
            eTag: eventEtag,
            sequencer: '0055AED6DCD90281E5',
          },
        },
      },
    ],
  };
}
