import { randomBytes, randomUUID } from 'node:crypto';

// What moto writes into every S3 event it emits, whatever the upload (moto/s3/notifications.py and
// moto/events/utils.py): one EventBridge id, one sequencer, one request id.
const motoEventId = '17793124-05d4-b198-2fde-7ededc63b103';
const motoSequencer = '617f08299329d189';
const motoRequestId = 'N4N7GDK58NMKJ12R';
/** Deliveries of one S3 event to several rules or queues arrive within this of each other. */
const sameEventWindowMs = 100;
const rememberedEvents = 10_000;

interface Stamp {
  sentAt: number;
  id: string;
  sequencer: string;
  requestId: string;
}

/**
 * Gives the S3 events moto emits what S3 gives them: an EventBridge `id` unique per event, a request id,
 * and a `sequencer` that grows with every write to a key (classic notifications get one too; moto sends
 * none there). Without this, every local upload shares one correlation id and an overwrite never looks
 * newer than what it replaced.
 *
 * One event reaches several targets (two rules on one bucket, a rule and a queue): each delivery is
 * stamped alike, as AWS delivers the same event — recognised by bucket, key and ETag, sent within
 * {@link sameEventWindowMs} of each other. The sequencer orders by the time the delivery was sent
 * (SQS `SentTimestamp`, milliseconds; moto sends during the write), then by arrival within a
 * millisecond: 18 hex digits, as long as S3's.
 *
 * Written here because nothing else knows moto's constants; events that do not carry them (LocalStack,
 * real S3, test events) pass unchanged.
 */
export class S3EventStamps {
  readonly #stamps = new Map<string, Stamp[]>();
  readonly #perMillisecond = new Map<number, number>();

  /** `event` as S3 would have sent it (a copy), or `event` itself when it needs nothing. */
  stamp(event: unknown, sentAt: number): unknown {
    if (isEventBridgeS3(event)) {
      const { object } = event.detail;
      if (event.id !== motoEventId && object.sequencer !== motoSequencer) return event;
      const stamp = this.#stampFor(event.detail.bucket.name, object.key, object.eTag, sentAt);
      return {
        ...event,
        id: event.id === motoEventId ? stamp.id : event.id,
        detail: {
          ...event.detail,
          object: {
            ...object,
            sequencer: object.sequencer === motoSequencer ? stamp.sequencer : object.sequencer,
          },
          ...(event.detail['request-id'] === motoRequestId ? { 'request-id': stamp.requestId } : {}),
        },
      };
    }
    if (isClassicS3(event)) {
      if (event.Records.every((record) => record.s3.object.sequencer !== undefined)) return event;
      return {
        ...event,
        Records: event.Records.map((record) => {
          if (record.s3.object.sequencer !== undefined) return record;
          const { object, bucket } = record.s3;
          const stamp = this.#stampFor(bucket.name, formDecode(object.key), object.eTag, sentAt);
          return {
            ...record,
            responseElements: record.responseElements ?? {
              'x-amz-request-id': stamp.requestId,
              'x-amz-id-2': randomBytes(48).toString('base64'),
            },
            s3: { ...record.s3, object: { ...object, sequencer: stamp.sequencer } },
          };
        }),
      };
    }
    return event;
  }

  #stampFor(bucket: string, key: string, etag: unknown, sentAt: number): Stamp {
    // Not the version id: moto's classic notifications leave it out.
    const identity = JSON.stringify([bucket, key, etag ?? null]);
    const seen = this.#stamps.get(identity) ?? [];
    const same = seen.find((stamp) => Math.abs(stamp.sentAt - sentAt) <= sameEventWindowMs);
    if (same) return same;
    const nth = this.#perMillisecond.get(sentAt) ?? 0;
    this.#perMillisecond.set(sentAt, nth + 1);
    const stamp: Stamp = {
      sentAt,
      id: randomUUID(),
      sequencer: (BigInt(sentAt) * 1000n + BigInt(nth)).toString(16).toUpperCase().padStart(18, '0'),
      requestId: randomBytes(8).toString('hex').toUpperCase(),
    };
    seen.push(stamp);
    this.#stamps.set(identity, seen);
    this.#forgetOldest();
    return stamp;
  }

  #forgetOldest(): void {
    if (this.#stamps.size > rememberedEvents) {
      const [oldest] = this.#stamps.keys();
      if (oldest !== undefined) this.#stamps.delete(oldest);
    }
    if (this.#perMillisecond.size > rememberedEvents) {
      const [oldest] = this.#perMillisecond.keys();
      if (oldest !== undefined) this.#perMillisecond.delete(oldest);
    }
  }
}

interface EventBridgeS3 {
  id: string;
  source: 'aws.s3';
  detail: {
    bucket: { name: string };
    object: { key: string; eTag?: string; 'version-id'?: string; sequencer?: string };
    'request-id'?: string;
  };
}

interface ClassicS3 {
  Records: {
    eventSource: 'aws:s3';
    responseElements?: Record<string, string>;
    s3: {
      bucket: { name: string };
      object: { key: string; eTag?: string; sequencer?: string };
    };
  }[];
}

function isEventBridgeS3(event: unknown): event is EventBridgeS3 {
  const candidate = event as Partial<EventBridgeS3> | null;
  return (
    candidate?.source === 'aws.s3' &&
    typeof candidate.detail?.bucket?.name === 'string' &&
    typeof candidate.detail.object?.key === 'string'
  );
}

function isClassicS3(event: unknown): event is ClassicS3 {
  const records = (event as Partial<ClassicS3> | null)?.Records;
  return (
    Array.isArray(records) &&
    records.length > 0 &&
    records.every(
      (record) =>
        record?.eventSource === 'aws:s3' &&
        typeof record.s3?.bucket?.name === 'string' &&
        typeof record.s3.object?.key === 'string',
    )
  );
}

/** A key as classic notifications carry it (form-encoded), back to the key itself. */
function formDecode(key: string): string {
  try {
    return decodeURIComponent(key.replaceAll('+', ' '));
  } catch {
    return key;
  }
}
