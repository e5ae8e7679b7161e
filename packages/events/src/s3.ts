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
      // moto spells it eTag, as the notification records do.
      eTag: z.optional(z.string()),
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
        etag: object.etag ?? object.eTag,
        versionId: object['version-id'],
        sequencer: object.sequencer,
        eventId: event.id,
        eventName: event.detail.reason ?? event['detail-type'],
      },
    ];
  }
  // Removals, restores, tagging … share the notification shape: only object-created records are ours.
  return event.Records.filter((record) => record.eventName.startsWith('ObjectCreated:')).map((record) => ({
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

/** S3 notifications delivered through SQS: each record's body is an S3 event (or an SNS envelope of one). */
export const sqsRecordsSchema = z.object({
  Records: z
    .array(z.object({ eventSource: z.literal('aws:sqs'), messageId: z.string(), body: z.string() }))
    .check(z.minLength(1)),
});

/** S3 notifications delivered through SNS: each record's message is an S3 event. */
export const snsRecordsSchema = z.object({
  Records: z
    .array(
      z.object({
        EventSource: z.literal('aws:sns'),
        Sns: z.object({ MessageId: z.string(), Message: z.string() }),
      }),
    )
    .check(z.minLength(1)),
});

/** An S3 object event, directly or inside SQS or SNS records. */
export const s3DeliverySchema = z.union([s3ObjectEventSchema, sqsRecordsSchema, snsRecordsSchema]);

export type S3Delivery = z.output<typeof s3DeliverySchema>;

/** One message of a delivery: the S3 event it carries, or why it carries none we can read. */
export type DeliveredMessage =
  | { messageId?: string; event: S3ObjectEvent }
  | { messageId?: string; malformed: string };

/**
 * The S3 events a delivery carries: itself, or the body of each SQS record (raw, or an SNS notification
 * delivered to SQS), or the message of each SNS record. Each message is parsed on its own, so one
 * malformed message is reported without losing its neighbours.
 */
export function messagesOf(delivery: S3Delivery): DeliveredMessage[] {
  if ('source' in delivery || 'Event' in delivery) return [{ event: delivery }];
  const records = delivery.Records as (
    | { s3: unknown }
    | { messageId: string; body: string }
    | { Sns: { MessageId: string; Message: string } }
  )[];
  if (records.some((record) => 's3' in record)) return [{ event: delivery as S3ObjectEvent }];
  return records.map((record) =>
    'body' in record
      ? parseMessage(record.messageId, record.body)
      : parseMessage(
          (record as { Sns: { MessageId: string } }).Sns.MessageId,
          (record as { Sns: { Message: string } }).Sns.Message,
        ),
  );
}

function parseMessage(messageId: string, text: string): DeliveredMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { messageId, malformed: 'the message is not JSON' };
  }
  // SNS → SQS without raw delivery wraps the S3 event in an SNS notification.
  const envelope = value as { Type?: unknown; Message?: unknown } | null;
  if (envelope?.Type === 'Notification' && typeof envelope.Message === 'string') {
    return parseMessage(messageId, envelope.Message);
  }
  const parsed = s3ObjectEventSchema.safeParse(value);
  return parsed.success
    ? { messageId, event: parsed.data }
    : { messageId, malformed: 'not an S3 object event' };
}
