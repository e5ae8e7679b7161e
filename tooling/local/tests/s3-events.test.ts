import { describe, expect, it } from 'vitest';
import { S3EventStamps } from '../src/s3-events.ts';

/** An EventBridge "Object Created" event as moto emits every one of them: the same id and sequencer. */
function fromMoto(key: string, eTag = 'd41d8cd98f00b204e9800998ecf8427e', versionId = 'null') {
  return {
    version: '0',
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    detail: {
      version: '0',
      bucket: { name: 'uploads' },
      object: { key, size: 0, eTag, 'version-id': versionId, sequencer: '617f08299329d189' },
      'request-id': 'N4N7GDK58NMKJ12R',
      reason: 'PutObject',
    },
  };
}

/** A classic notification as moto sends it to a queue: no sequencer, no request id, the key form-encoded. */
function classicFromMoto(key: string, eTag = 'd41d8cd98f00b204e9800998ecf8427e') {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: 'uploads', arn: 'arn:aws:s3:::uploads' }, object: { key, size: 0, eTag } },
      },
    ],
  };
}

type Stamped = ReturnType<typeof fromMoto>;
const sequencerOf = (event: unknown) => (event as Stamped).detail.object.sequencer;
/** S3's rule: right-pad the shorter with zeros, then compare. */
const newer = (a: string, b: string) => a.padEnd(32, '0') > b.padEnd(32, '0');

describe('S3EventStamps', () => {
  it('gives every upload an event id and a request id of its own', () => {
    const stamps = new S3EventStamps();

    const first = stamps.stamp(fromMoto('uploads/a.txt'), 1_000) as Stamped;
    const second = stamps.stamp(fromMoto('uploads/b.txt'), 1_000) as Stamped;

    expect(first.id).not.toBe('17793124-05d4-b198-2fde-7ededc63b103');
    expect(first.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.id).not.toBe(second.id);
    expect(first.detail['request-id']).not.toBe(second.detail['request-id']);
    expect(sequencerOf(first)).toMatch(/^[0-9A-F]{18}$/);
  });

  it('gives the writes to one key sequencers that grow with the time they were sent, whatever the order they arrive in', () => {
    const stamps = new S3EventStamps();

    const later = stamps.stamp(fromMoto('uploads/a.txt', 'second-bytes'), 2_000);
    const earlier = stamps.stamp(fromMoto('uploads/a.txt', 'first-bytes'), 1_000);
    const sameMillisecond = stamps.stamp(fromMoto('uploads/a.txt', 'third-bytes'), 2_000);

    expect(newer(sequencerOf(later), sequencerOf(earlier))).toBe(true);
    expect(newer(sequencerOf(sameMillisecond), sequencerOf(later))).toBe(true);
  });

  it('stamps the deliveries of one event to several targets alike, as AWS delivers one event', () => {
    const stamps = new S3EventStamps();

    const toResizer = stamps.stamp(fromMoto('uploads/cat.jpg'), 5_000) as Stamped;
    const toRecorder = stamps.stamp(fromMoto('uploads/cat.jpg'), 5_001) as Stamped;
    const toQueue = stamps.stamp(classicFromMoto('uploads%2Fcat.jpg'), 5_002) as ReturnType<
      typeof classicFromMoto
    > & {
      Records: { s3: { object: { sequencer: string } } }[];
    };
    const uploadedAgain = stamps.stamp(fromMoto('uploads/cat.jpg'), 9_000) as Stamped;

    expect(toRecorder.id).toBe(toResizer.id);
    expect(sequencerOf(toRecorder)).toBe(sequencerOf(toResizer));
    expect(toQueue.Records[0]?.s3.object.sequencer).toBe(sequencerOf(toResizer));
    expect(uploadedAgain.id).not.toBe(toResizer.id);
    expect(newer(sequencerOf(uploadedAgain), sequencerOf(toResizer))).toBe(true);
  });

  it('adds a sequencer and a request id to classic notifications, and keeps the rest', () => {
    const stamps = new S3EventStamps();
    const event = classicFromMoto('uploads/report+2026.txt');

    const stamped = stamps.stamp(event, 1_000) as {
      Records: {
        eventName: string;
        responseElements: Record<string, string>;
        s3: { object: Record<string, unknown> };
      }[];
    };

    expect(stamped.Records[0]?.eventName).toBe('ObjectCreated:Put');
    expect(stamped.Records[0]?.s3.object).toMatchObject({
      key: 'uploads/report+2026.txt',
      sequencer: expect.stringMatching(/^[0-9A-F]{18}$/),
    });
    expect(stamped.Records[0]?.responseElements['x-amz-request-id']).toMatch(/^[0-9A-F]{16}$/);
    expect(event.Records[0]?.s3.object).not.toHaveProperty('sequencer');
  });

  it('leaves events that already carry their own id and sequencer, and events that are not S3’s, unchanged', () => {
    const stamps = new S3EventStamps();
    const real = {
      ...fromMoto('uploads/a.txt'),
      id: 'b1c2',
      detail: {
        ...fromMoto('uploads/a.txt').detail,
        object: { key: 'uploads/a.txt', sequencer: '0062E99A88DC407460' },
      },
    };
    const other = { source: 'test.scaling', detail: { id: 1 } };

    expect(stamps.stamp(real, 1_000)).toBe(real);
    expect(stamps.stamp(other, 1_000)).toBe(other);
    expect(stamps.stamp('not an event', 1_000)).toBe('not an event');
  });
});
