import * as z from 'zod/mini';

// The shapes of Powertools parser's S3Schema and S3EventNotificationEventBridgeSchema, written with
// zod/mini: the parser's own schemas are built on classic zod, which adds ~460 KB to a bundle
// (measured), where these add ~12 KB. Powertools' `parser` middleware takes them as they are.

/** An S3 "Object Created" event as EventBridge delivers it (key NOT URL-encoded). */
export const s3ObjectCreatedEventBridgeSchema = z.object({
  id: z.string(),
  'detail-type': z.literal('Object Created'),
  source: z.literal('aws.s3'),
  time: z.string(),
  region: z.string(),
  detail: z.object({
    bucket: z.object({ name: z.string().check(z.minLength(3)) }),
    object: z.object({
      key: z.string().check(z.minLength(1)),
      size: z.optional(z.number()),
      etag: z.optional(z.string()),
      'version-id': z.optional(z.string()),
      sequencer: z.optional(z.string()),
    }),
    'request-id': z.optional(z.string()),
    reason: z.optional(z.string()),
  }),
});

/** A classic S3 event notification (direct, via SQS or via SNS): keys are URL-form-encoded. */
export const s3NotificationSchema = z.object({
  Records: z
    .array(
      z.object({
        eventSource: z.literal('aws:s3'),
        eventName: z.string(),
        eventTime: z.string(),
        awsRegion: z.string(),
        responseElements: z.optional(z.object({ 'x-amz-request-id': z.optional(z.string()) })),
        s3: z.object({
          bucket: z.object({ name: z.string().check(z.minLength(3)) }),
          object: z.object({
            key: z.string().check(z.minLength(1)),
            size: z.optional(z.number()),
            eTag: z.optional(z.string()),
            versionId: z.optional(z.string()),
            sequencer: z.optional(z.string()),
          }),
        }),
      }),
    )
    .check(z.minLength(1)),
});

/** What S3 sends once when notifications are configured on a bucket: to be acknowledged and ignored. */
export const s3TestEventSchema = z.object({
  Service: z.literal('Amazon S3'),
  Event: z.literal('s3:TestEvent'),
  Bucket: z.string(),
});

/** Any event that tells of new S3 objects, in the shapes above. */
export const s3ObjectEventSchema = z.union([
  s3ObjectCreatedEventBridgeSchema,
  s3NotificationSchema,
  s3TestEventSchema,
]);

export type S3ObjectEvent = z.output<typeof s3ObjectEventSchema>;

/** One S3 object an event is about, with its key decoded exactly once. */
export interface S3ObjectRef {
  bucket: string;
  key: string;
  size?: number;
  etag?: string;
  versionId?: string;
  sequencer?: string;
  /** Where the event came from, for logs: the EventBridge event id or the S3 request id. */
  eventId?: string;
  eventName: string;
}

/**
 * The objects an event is about. EventBridge keys arrive as they are; S3 notification keys are
 * URL-form-encoded (`+` is a space, `%2B` a plus, and moto also encodes `/`), so they are decoded once
 * here and nowhere else. A test event yields no objects.
 */
export function objectsOf(event: S3ObjectEvent): S3ObjectRef[] {
  if ('Event' in event) return [];
  if ('detail' in event) {
    const { bucket, object } = event.detail;
    return [
      {
        bucket: bucket.name,
        key: object.key,
        size: object.size,
        etag: object.etag,
        versionId: object['version-id'],
        sequencer: object.sequencer,
        eventId: event.id,
        eventName: event.detail.reason ?? event['detail-type'],
      },
    ];
  }
  return event.Records.map((record) => ({
    bucket: record.s3.bucket.name,
    key: decodeS3Key(record.s3.object.key),
    size: record.s3.object.size,
    etag: record.s3.object.eTag,
    versionId: record.s3.object.versionId,
    sequencer: record.s3.object.sequencer,
    eventId: record.responseElements?.['x-amz-request-id'],
    eventName: record.eventName,
  }));
}

/** Decodes a key from an S3 event notification (application/x-www-form-urlencoded). */
export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replaceAll('+', ' '));
}
