import { defaultSizes } from '@repo/image/outputs';
import { describe, expect, it } from 'vitest';
import { parseMessage, sizesFor } from '../../src/jobs.ts';
import { s3Notification, s3TestEvent, snsEnvelope } from './events.ts';

describe('parseMessage', () => {
  it('reads a resize job, the bucket defaulting to the one given', () => {
    // Act
    const plain = parseMessage('{"key":"uploads/a.jpg"}', 'jobs-bucket');
    const full = parseMessage(
      JSON.stringify({ bucket: 'other', key: 'uploads/b c.jpg', sizes: ['small'], format: 'webp' }),
      'jobs-bucket',
    );

    // Assess
    expect(plain).toEqual({
      objects: [{ object: { bucket: 'jobs-bucket', key: 'uploads/a.jpg', eventName: 'ResizeJob' } }],
    });
    expect(full).toEqual({
      objects: [
        {
          object: { bucket: 'other', key: 'uploads/b c.jpg', eventName: 'ResizeJob' },
          sizes: ['small'],
          format: 'webp',
        },
      ],
    });
  });

  it.each([
    ['a direct S3 notification', s3Notification('photos', 'uploads/my+photo%2B1.jpg')],
    ['an SNS-wrapped S3 notification', snsEnvelope(s3Notification('photos', 'uploads/my+photo%2B1.jpg'))],
  ])('reads %s, its key decoded once', (_, message) => {
    // Act
    const parsed = parseMessage(JSON.stringify(message), 'jobs-bucket');

    // Assess
    expect(parsed).toEqual({
      objects: [
        {
          object: expect.objectContaining({ bucket: 'photos', key: 'uploads/my photo+1.jpg', size: 24_576 }),
        },
      ],
    });
  });

  it('finds nothing to do in the s3:TestEvent', () => {
    // Act
    const parsed = parseMessage(JSON.stringify(s3TestEvent('photos')), 'jobs-bucket');

    // Assess
    expect(parsed).toEqual({ objects: [] });
  });

  it.each([
    ['not JSON', '{"key":'],
    ['empty', ''],
    ['JSON null', 'null'],
    ['an array', '[{"key":"uploads/a.jpg"}]'],
    ['without a key', '{"bucket":"photos"}'],
    ['with an empty key', '{"key":""}'],
    ['with a key that is not a string', '{"key":42}'],
    ['with a field jobs do not have', '{"key":"uploads/a.jpg","priority":1}'],
    ['with a bucket name too short', '{"key":"uploads/a.jpg","bucket":"ab"}'],
    ['with an empty size list', '{"key":"uploads/a.jpg","sizes":[]}'],
    ['with a format not offered', '{"key":"uploads/a.jpg","format":"gif"}'],
    ['an SNS notification of something else', JSON.stringify(snsEnvelope({ hello: 'world' }))],
  ])('calls a body %s malformed', (_, body) => {
    // Act
    const parsed = parseMessage(body, 'jobs-bucket');

    // Assess
    expect(parsed).toEqual({ malformed: expect.any(String) });
  });
});

describe('sizesFor', () => {
  it('gives every configured size when a job names none', () => {
    expect(sizesFor(defaultSizes, undefined)).toEqual(defaultSizes);
  });

  it('gives the named sizes, in the configured order', () => {
    expect(sizesFor(defaultSizes, ['large', 'thumbnail'])?.map((size) => size.name)).toEqual([
      'thumbnail',
      'large',
    ]);
  });

  it('gives nothing when one name is unknown', () => {
    expect(sizesFor(defaultSizes, ['thumbnail', 'poster'])).toBeUndefined();
  });

  it('treats a size named twice as that size once', () => {
    expect(sizesFor(defaultSizes, ['small', 'small'])?.map((size) => size.name)).toEqual(['small']);
  });
});
