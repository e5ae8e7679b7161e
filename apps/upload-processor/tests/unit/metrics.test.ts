import { GetObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import { createMetrics } from '@repo/logging/metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { objectCreated } from '../events.ts';
import { buildHandler, givenObject, invoke, resetAws, s3 } from './harness.ts';

type Emf = Record<string, unknown> & {
  _aws: {
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
};
let emf: Emf[];

beforeEach(() => {
  resetAws();
  emf = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) {
      const value = JSON.parse(line) as Emf;
      if (value._aws) emf.push(value);
    }
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

const named = (name: string) => emf.filter((line) => name in line);
const handlerWithMetrics = () => buildHandler({}, createMetrics({ serviceName: 'upload-processor' }));

describe('upload-processor metrics (CloudWatch EMF)', () => {
  it('counts a recorded upload, its notification and its bytes, by service', async () => {
    givenObject('hello world');

    await invoke(handlerWithMetrics(), objectCreated('uploads/notes.txt'));

    const [line] = named('UploadsRecorded');
    expect(line).toMatchObject({
      service: 'upload-processor',
      UploadsRecorded: 1,
      NotificationsPublished: 1,
      BytesIn: 11,
    });
    expect(line?._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'LambdaMonorepo',
      Dimensions: [['service']],
      Metrics: expect.arrayContaining([
        { Name: 'UploadsRecorded', Unit: 'Count' },
        { Name: 'NotificationsPublished', Unit: 'Count' },
        { Name: 'BytesIn', Unit: 'Bytes' },
      ]),
    });
  });

  it('counts an object gone before it was read as rejected, by reason, and records nothing', async () => {
    givenObject('x');
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'gone', $metadata: { httpStatusCode: 404 } }));

    await invoke(handlerWithMetrics(), objectCreated('uploads/gone.txt'));

    expect(named('UploadsRejected')).toEqual([
      expect.objectContaining({ service: 'upload-processor', reason: 'object-gone', UploadsRejected: 1 }),
    ]);
    expect(named('UploadsRecorded')).toEqual([]);
  });
});
