import * as z from 'zod/mini';

/**
 * The notification upload-processor publishes on the uploads topic (`UploadsTopic`), once per recorded
 * object version: the contract its subscribers code against. Parse a message's `Message` (or the raw
 * body, with raw message delivery) with it.
 *
 * **Deliveries are at least once.** An SNS standard topic may deliver a message twice, and a publish
 * whose answer was lost is published again by the SDK's retry (a second message, another `MessageId`).
 * `deduplicationKey` is the same for every message about one object version and different for any other
 * (the SHA-256, in hex, of the JSON array `[bucket, key, version]`); it is also the message attribute
 * `deduplicationKey`. A consumer drops a message whose key it has already handled — for example a
 * conditional put of the key into a table of its own, kept for at least a day — or makes its effect
 * idempotent by the key.
 *
 * The other message attributes, for subscription filter policies: `contentType` (detected from the
 * bytes), `s3ContentType` (what the uploader said, or `unknown`), `size` (Number) and `bucket`.
 */
export const uploadRecordedSchema = z.object({
  type: z.literal('UploadRecorded'),
  deduplicationKey: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  upload: z.object({
    /** `s3://<bucket>/<key>`. */
    objectId: z.string(),
    /** The S3 version id, or the ETag for an unversioned bucket. */
    version: z.string(),
    bucket: z.string(),
    key: z.string(),
    size: z.number(),
    sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
    /** From the bytes (magic numbers, else UTF-8 text, else application/octet-stream). */
    detectedContentType: z.string(),
    s3ContentType: z.optional(z.string()),
    etag: z.optional(z.string()),
    versionId: z.optional(z.string()),
    /** S3's sequencer of the event that was recorded: orders the events of one key. */
    sequencer: z.optional(z.string()),
    /** When the version was recorded (ISO 8601). */
    processedAt: z.string(),
    /** For UTF-8 text: its first bytes, cut on a character boundary. */
    textPreview: z.optional(z.string()),
    previewTruncated: z.optional(z.boolean()),
    /** Set when the preview was left out to keep the message under SNS's 256 KB. */
    previewOmitted: z.optional(z.literal(true)),
  }),
});

export type UploadRecorded = z.infer<typeof uploadRecordedSchema>;
