import { messagesOf, objectsOf, type S3ObjectRef, s3DeliverySchema } from '@repo/events/s3';
import type { OutputSize } from '@repo/image/outputs';
import type { OutputFormat } from '@repo/image/resize-image';
import * as z from 'zod/mini';

/** A resize job as producers send it (`pnpm enqueue-resize` among them). */
export const resizeJobSchema = z.strictObject({
  bucket: z.optional(z.string().check(z.minLength(3), z.maxLength(63))),
  key: z.string().check(z.minLength(1), z.maxLength(1024)),
  sizes: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
  format: z.optional(z.enum(['jpeg', 'webp', 'avif'])),
});

export type ResizeJob = z.output<typeof resizeJobSchema>;

/** What one SQS message asks for: objects to resize (none for an S3 test event), or why it is unreadable. */
export type ParsedMessage =
  | { objects: { object: S3ObjectRef; sizes?: string[]; format?: OutputFormat }[] }
  | { malformed: string };

/**
 * Reads one message body: a resize job, an S3 event notification sent to SQS directly, or one that came
 * through SNS (the s3:TestEvent yields nothing to do).
 */
export function parseMessage(body: string, defaultBucket: string): ParsedMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { malformed: 'the body is not JSON' };
  }
  const job = resizeJobSchema.safeParse(value);
  if (job.success) {
    const { bucket = defaultBucket, key, sizes, format } = job.data;
    return { objects: [{ object: { bucket, key, eventName: 'ResizeJob' }, sizes, format }] };
  }
  const wrapped = s3DeliverySchema.safeParse({
    Records: [{ eventSource: 'aws:sqs', messageId: 'message', body }],
  });
  const [message] = wrapped.success ? messagesOf(wrapped.data) : [];
  if (message && 'event' in message)
    return { objects: objectsOf(message.event).map((object) => ({ object })) };
  return { malformed: 'neither a resize job ({ "key": … }) nor an S3 event notification' };
}

/** The configured sizes a job asks for, by name (all of them when it names none). */
export function sizesFor(
  configured: readonly OutputSize[],
  names: string[] | undefined,
): OutputSize[] | undefined {
  if (!names) return [...configured];
  if (!names.every((name) => configured.some((size) => size.name === name))) return undefined;
  return configured.filter((size) => names.includes(size.name));
}
