import {
  ConditionalCheckFailedException,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { InternalErrorException, PublishCommand } from '@aws-sdk/client-sns';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { uploadRecordedSchema } from '@repo/events/upload-recorded';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AnnouncementInProgressError,
  comparableSequencer,
  deduplicationKey,
  subjectFor,
  type UploadRecord,
} from '../../src/record-upload.ts';
import { bucket, notification, objectCreated } from '../events.ts';
import { jpeg, noise, pdf, png, sha256 } from '../files.ts';
import {
  announcedRecord,
  buildHandler,
  claims,
  clock,
  db,
  deliveryToken,
  getObjectInputs,
  givenObject,
  invoke,
  latestUpdates,
  marks,
  processedAt,
  publishInputs,
  putInputs,
  putItems,
  released,
  releases,
  resetAws,
  s3,
  sns,
  tableName,
  topicArn,
} from './harness.ts';

const handler = buildHandler();
const key = 'uploads/2026/report.txt';
const objectId = `s3://${bucket}/${key}`;
const text = 'Quarterly numbers: up 12 %.\n';

beforeEach(() => {
  resetAws();
});

const throttled = () =>
  new ProvisionedThroughputExceededException({
    message: 'Rate of requests exceeds the allowed throughput',
    $metadata: {},
  });
/** A failed condition; `Item` is what ALL_OLD returns (raw attribute values), when asked for. */
const conditionFailed = (Item?: Record<string, { S: string }>) =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item });

/** The item as the first delivery wrote it, before its notification went out. */
async function firstWrite(event: unknown): Promise<UploadRecord> {
  givenObject(text);
  sns.on(PublishCommand).rejects(new InternalErrorException({ message: 'Internal error', $metadata: {} }));
  await expect(invoke(handler, event)).rejects.toThrow('Internal error');
  const [item] = putItems();
  if (!item) throw new Error('the first delivery wrote no item');
  return item;
}

/** The version item of `key` as a delivery finds it: recorded, not yet announced, held by `claim` if given. */
const unannounced = (claim: Partial<UploadRecord> = {}): UploadRecord =>
  ({
    objectId,
    version: '5eb63bbbe01eeed093cb22bb8f5acdc3',
    bucket,
    key,
    size: 11,
    ...claim,
  }) as UploadRecord;

describe('recordUpload: the item', () => {
  it('keys a versioned object by s3://bucket/key and its version id, and reads exactly that version', async () => {
    givenObject(text, { contentType: 'text/plain' });

    await invoke(handler, objectCreated(key, { versionId: 'Xc2Tq6Vf.3rYb9oMwP1b8H6aE9x0kWzq', size: 28 }));

    expect(getObjectInputs()).toEqual([
      { Bucket: bucket, Key: key, VersionId: 'Xc2Tq6Vf.3rYb9oMwP1b8H6aE9x0kWzq', IfMatch: undefined },
    ]);
    expect(putItems()).toEqual([
      expect.objectContaining({
        objectId,
        version: 'Xc2Tq6Vf.3rYb9oMwP1b8H6aE9x0kWzq',
        versionId: 'Xc2Tq6Vf.3rYb9oMwP1b8H6aE9x0kWzq',
        bucket,
        key,
      }),
    ]);
  });

  it.each([
    ['absent', undefined],
    ["'null' (unversioned bucket)", 'null'],
  ])(
    'uses the ETag as the version when the version id is %s, and reads only those bytes',
    async (_, versionId) => {
      givenObject(text);

      await invoke(handler, objectCreated(key, { versionId, etag: '9b2cf535f27731c974343645a3985328' }));

      expect(getObjectInputs()).toEqual([
        { Bucket: bucket, Key: key, VersionId: undefined, IfMatch: '"9b2cf535f27731c974343645a3985328"' },
      ]);
      const [item] = putItems();
      expect(item?.version).toBe('9b2cf535f27731c974343645a3985328');
      expect(item?.versionId).toBeUndefined();
    },
  );

  it('writes size, SHA-256 of the bytes, both content types, preview and event fields, conditionally', async () => {
    givenObject(text, { contentType: 'text/csv' });

    await invoke(
      handler,
      objectCreated(key, {
        size: 28,
        etag: '9b2cf535f27731c974343645a3985328',
        sequencer: '0062E99A88DC407460',
      }),
    );

    expect(putInputs()).toEqual([
      {
        TableName: tableName,
        ConditionExpression: 'attribute_not_exists(objectId)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        Item: {
          objectId,
          version: '9b2cf535f27731c974343645a3985328',
          bucket,
          key,
          etag: '9b2cf535f27731c974343645a3985328',
          versionId: undefined,
          sequencer: '0062E99A88DC407460',
          size: Buffer.byteLength(text),
          sha256: sha256(text),
          detectedContentType: 'text/plain; charset=utf-8',
          s3ContentType: 'text/csv',
          textPreview: text,
          previewTruncated: false,
          processedAt,
          recordedBy: deliveryToken,
          // The creator holds the announcement claim until its deadline (10 s here) plus a second.
          claimedBy: deliveryToken,
          claimExpiresAt: expect.closeTo(Date.parse(processedAt) + 11_000, -3),
        },
      },
    ]);
  });

  it.each([
    ['a PNG named .txt', 'uploads/pixel.txt', png, 'image/png'],
    ['a JPEG named .png', 'uploads/photo.png', jpeg, 'image/jpeg'],
    ['a PDF named .txt', 'uploads/invoice.txt', pdf, 'application/pdf'],
    ['random bytes named .txt', 'uploads/noise.txt', noise(4_096), 'application/octet-stream'],
  ])(
    'detects the type of %s from its bytes, keeps the S3 Content-Type beside it, and has no preview',
    async (_, name, bytes, type) => {
      givenObject(bytes, { contentType: 'text/plain' });

      await invoke(handler, objectCreated(name, { size: bytes.length }));

      const [item] = putItems();
      expect(item).toMatchObject({
        detectedContentType: type,
        s3ContentType: 'text/plain',
        size: bytes.length,
        sha256: sha256(bytes),
      });
      expect(item?.textPreview).toBeUndefined();
      expect(item?.previewTruncated).toBeUndefined();
    },
  );

  it('cuts the preview of a text above TEXT_PREVIEW_BYTES at the limit, on a character boundary', async () => {
    const small = buildHandler({ previewBytes: 16 });
    // 14 ASCII bytes, then a 4-byte emoji across the 16-byte limit, then 2-byte characters.
    const content = `Grüße, Welt${'😀'}ééééé`;
    expect(Buffer.byteLength('Grüße, Welt')).toBe(13);
    givenObject(content);

    await invoke(small, objectCreated(key));

    expect(putItems()[0]).toMatchObject({
      detectedContentType: 'text/plain; charset=utf-8',
      textPreview: 'Grüße, Welt',
      previewTruncated: true,
      size: Buffer.byteLength(content),
      sha256: sha256(content),
    });
  });

  it('keeps a preview ending exactly at the limit whole', async () => {
    const small = buildHandler({ previewBytes: 17 });
    const content = `Grüße, Welt${'😀'}ééééé`;
    givenObject(content);

    await invoke(small, objectCreated(key));

    expect(putItems()[0]).toMatchObject({ textPreview: 'Grüße, Welt😀', previewTruncated: true });
  });

  it('records a zero-byte file: size 0 and the SHA-256 of nothing', async () => {
    givenObject(Buffer.alloc(0));

    const outcomes = await invoke(
      handler,
      objectCreated('uploads/empty.txt', { size: 0, etag: 'd41d8cd98f00b204e9800998ecf8427e' }),
    );

    expect(outcomes).toEqual([expect.objectContaining({ status: 'recorded' })]);
    expect(putItems()).toEqual([
      expect.objectContaining({
        objectId: `s3://${bucket}/uploads/empty.txt`,
        size: 0,
        sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      }),
    ]);
    expect(publishInputs()).toHaveLength(1);
  });
});

describe('recordUpload: exactly once', () => {
  it('writes, then moves latest, then publishes, then marks the item with the message id', async () => {
    givenObject(text);
    const journal: string[] = [];
    db.on(PutCommand).callsFake(() => {
      journal.push('put');
      return {};
    });
    db.on(UpdateCommand).callsFake((input) => {
      journal.push(input.Key.version === 'latest' ? 'latest' : 'mark');
      return {};
    });
    sns.on(PublishCommand).callsFake(() => {
      journal.push('publish');
      return { MessageId: 'msg-0001' };
    });

    const [outcome] = await invoke(handler, objectCreated(key));

    expect(journal).toEqual(['put', 'latest', 'publish', 'mark']);
    expect(marks()).toEqual([
      {
        TableName: tableName,
        Key: { objectId, version: '5eb63bbbe01eeed093cb22bb8f5acdc3' },
        UpdateExpression: 'SET notifiedAt = :at, messageId = :id',
        ConditionExpression: 'attribute_exists(objectId)',
        ExpressionAttributeValues: { ':at': processedAt, ':id': 'msg-0001' },
      },
    ]);
    expect(outcome).toMatchObject({
      status: 'recorded',
      messageId: 'msg-0001',
      record: { notifiedAt: processedAt, messageId: 'msg-0001' },
    });
  });

  it('reads the version item consistently', async () => {
    givenObject(text);

    await invoke(handler, objectCreated(key));

    expect(db.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: tableName,
      Key: { objectId, version: '5eb63bbbe01eeed093cb22bb8f5acdc3' },
      ConsistentRead: true,
    });
  });

  it('does nothing for a duplicate delivery whose notification already went out', async () => {
    givenObject(text);
    const announced = { objectId, version: '5eb63bbbe01eeed093cb22bb8f5acdc3', notifiedAt: processedAt };
    db.on(GetCommand).resolves({ Item: announced });

    const outcomes = await invoke(handler, objectCreated(key));

    expect(outcomes).toEqual([{ status: 'duplicate', record: announced }]);
    expect(s3.calls()).toHaveLength(0);
    expect(db.commandCalls(PutCommand)).toHaveLength(0);
    expect(marks()).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
  });

  it('moves latest back to an unversioned version whose bytes are uploaded again (same ETag, newer sequencer)', async () => {
    // With the ETag as the version, re-uploading earlier bytes (A, B, then A again) finds A's announced
    // item: a duplicate, but `latest` must still move to A, which the object now holds.
    givenObject(text);
    const recordedEarlier = {
      objectId,
      version: '5eb63bbbe01eeed093cb22bb8f5acdc3',
      size: 11,
      sha256: sha256('hello world'),
      sequencer: '0062E99A88DC407460',
      notifiedAt: processedAt,
    };
    db.on(GetCommand).resolves({ Item: recordedEarlier });

    await invoke(
      handler,
      objectCreated(key, { etag: recordedEarlier.version, sequencer: '0062E99A88DC407490' }),
    );

    expect(latestUpdates()).toEqual([
      expect.objectContaining({
        Key: { objectId, version: 'latest' },
        ConditionExpression: 'attribute_not_exists(#sequencer) OR #sequencer < :sequencer',
        ExpressionAttributeValues: expect.objectContaining({
          ':version': recordedEarlier.version,
          ':sequencer': comparableSequencer('0062E99A88DC407490'),
        }),
      }),
    ]);
    expect(db.commandCalls(PutCommand)).toHaveLength(0);
    expect(publishInputs()).toHaveLength(0);
  });

  it('after a failed publish, gives its claim up; the retry claims, publishes once and marks, without a second item', async () => {
    const event = objectCreated(key);
    const written = await firstWrite(event);
    expect(marks()).toHaveLength(0);
    expect(releases()).toEqual([
      {
        TableName: tableName,
        Key: { objectId, version: written.version },
        UpdateExpression: 'REMOVE claimedBy, claimExpiresAt',
        ConditionExpression: 'claimedBy = :token AND attribute_not_exists(notifiedAt)',
        ExpressionAttributeValues: { ':token': deliveryToken },
      },
    ]);
    resetAws();
    givenObject(text);
    db.on(GetCommand).resolves({ Item: released(written) });

    const outcomes = await invoke(handler, event);

    expect(outcomes).toEqual([expect.objectContaining({ status: 'announced', messageId: 'msg-0001' })]);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(db.commandCalls(PutCommand)).toHaveLength(0);
    expect(claims()).toHaveLength(1);
    expect(publishInputs()).toHaveLength(1);
    expect(JSON.parse(publishInputs()[0]?.Message ?? '{}').upload).toEqual(announcedRecord(written));
    expect(marks()).toEqual([
      expect.objectContaining({ ExpressionAttributeValues: { ':at': processedAt, ':id': 'msg-0001' } }),
    ]);
  });

  it('throws the publish fault when giving the claim up fails too (the claim then lapses at the deadline)', async () => {
    givenObject(text);
    sns.on(PublishCommand).rejects(new InternalErrorException({ message: 'Internal error', $metadata: {} }));
    db.on(UpdateCommand, { UpdateExpression: 'REMOVE claimedBy, claimExpiresAt' }).rejects(throttled());

    await expect(invoke(handler, objectCreated(key))).rejects.toThrow(InternalErrorException);
    expect(releases()).toHaveLength(1);
  });

  it('after the latest update failed, the retry still moves latest to this version', async () => {
    const event = objectCreated(key, { sequencer: '0062E99A88DC4074FF' });
    givenObject(text);
    db.on(UpdateCommand, { Key: { objectId, version: 'latest' } }).rejectsOnce(throttled());
    await expect(invoke(handler, event)).rejects.toThrow(ProvisionedThroughputExceededException);
    const [written] = putItems();
    expect(publishInputs()).toHaveLength(0);
    db.resetHistory();
    s3.resetHistory();
    sns.resetHistory();
    db.on(GetCommand).resolves({ Item: written });
    // resetHistory restarts the call count that rejectsOnce keys on: the update now succeeds.
    db.on(UpdateCommand, { Key: { objectId, version: 'latest' } }).resolves({});

    await invoke(handler, event);

    expect(latestUpdates()).toEqual([
      expect.objectContaining({
        Key: { objectId, version: 'latest' },
        ExpressionAttributeValues: expect.objectContaining({ ':version': written?.version }),
      }),
    ]);
    expect(publishInputs()).toHaveLength(1);
  });

  it('when a concurrent delivery wrote the item first, waits for its announcement and does not announce again', async () => {
    // Prepare: the put loses to a rival that holds the claim until 30 s from now and marks the item a
    // moment later
    givenObject(text);
    const winner = {
      objectId,
      version: '5eb63bbbe01eeed093cb22bb8f5acdc3',
      bucket,
      key,
      size: 11,
      sha256: sha256('hello world'),
      sequencer: '0062E99A88DC407460',
      recordedBy: 'another-delivery',
      claimedBy: 'another-delivery',
      claimExpiresAt: Date.parse(processedAt) + 30_000,
    };
    db.on(GetCommand)
      .resolvesOnce({})
      .resolvesOnce({ Item: winner })
      .resolvesOnce({ Item: winner })
      .resolves({ Item: { ...winner, notifiedAt: processedAt } });
    db.on(PutCommand).rejects(
      conditionFailed({ objectId: { S: objectId }, recordedBy: { S: 'another-delivery' } }),
    );

    // Act
    const outcomes = await invoke(handler, objectCreated(key));

    // Assess: a duplicate, after two short pauses; nothing claimed, published or marked by this one
    expect(outcomes).toEqual([{ status: 'duplicate', record: { ...winner, notifiedAt: processedAt } }]);
    expect(clock.slept).toEqual([50, 100]);
    expect(db.commandCalls(PutCommand)).toHaveLength(1);
    expect(latestUpdates()).toHaveLength(1);
    expect(claims()).toHaveLength(0);
    expect(publishInputs()).toHaveLength(0);
    expect(marks()).toHaveLength(0);
  });

  it('when a concurrent delivery already announced the item, does not announce it again', async () => {
    givenObject(text);
    const winner = { objectId, version: '5eb63bbbe01eeed093cb22bb8f5acdc3', notifiedAt: processedAt };
    db.on(GetCommand).resolvesOnce({}).resolves({ Item: winner });
    db.on(PutCommand).rejects(conditionFailed());

    const outcomes = await invoke(handler, objectCreated(key));

    expect(outcomes).toEqual([{ status: 'duplicate', record: winner }]);
    expect(claims()).toHaveLength(0);
    expect(publishInputs()).toHaveLength(0);
    expect(marks()).toHaveLength(0);
  });

  it('announces its own item when the put was applied but its answer lost (the SDK retry met it)', async () => {
    // Prepare: what the SDK hands back when its retry of an applied put fails the condition on that very
    // item (returned raw, ALL_OLD), carrying this delivery's token
    givenObject(text);
    db.on(PutCommand).callsFake(async ({ Item }: { Item: UploadRecord }) => {
      throw conditionFailed({ objectId: { S: Item.objectId }, recordedBy: { S: String(Item.recordedBy) } });
    });

    // Act
    const outcomes = await invoke(handler, objectCreated(key));

    // Assess: recorded and announced once, not taken for a rival's item
    expect(outcomes).toEqual([expect.objectContaining({ status: 'recorded', messageId: 'msg-0001' })]);
    expect(publishInputs()).toHaveLength(1);
    expect(marks()).toHaveLength(1);
  });

  it('retries the mark after the publish when it is throttled, keeping its claim: one publish, marked', async () => {
    givenObject(text);
    db.on(UpdateCommand, { UpdateExpression: 'SET notifiedAt = :at, messageId = :id' })
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .resolves({});

    const outcomes = await invoke(handler, objectCreated(key));

    expect(outcomes).toEqual([expect.objectContaining({ status: 'recorded', messageId: 'msg-0001' })]);
    expect(publishInputs()).toHaveLength(1);
    expect(marks()).toHaveLength(3);
    expect(clock.slept).toEqual([50, 100]);
    expect(releases()).toHaveLength(0);
  });

  it('throws the mark’s fault only when its time runs short, still holding its claim (no second publish now)', async () => {
    givenObject(text);
    db.on(UpdateCommand, { UpdateExpression: 'SET notifiedAt = :at, messageId = :id' }).rejects(throttled());

    await expect(invoke(handler, objectCreated(key))).rejects.toThrow(ProvisionedThroughputExceededException);

    expect(publishInputs()).toHaveLength(1);
    // Growing pauses until fewer than 5 s of the invocation's 10 s would be left.
    expect(clock.slept).toEqual([50, 100, 200, 400, 800, 1_000, 1_000, 1_000]);
    expect(marks()).toHaveLength(9);
    expect(releases()).toHaveLength(0);
  });

  it('does not retry a mark that fails for good (the item is gone): thrown at once', async () => {
    givenObject(text);
    db.on(UpdateCommand, { UpdateExpression: 'SET notifiedAt = :at, messageId = :id' }).rejects(
      conditionFailed(),
    );

    await expect(invoke(handler, objectCreated(key))).rejects.toThrow(ConditionalCheckFailedException);

    expect(marks()).toHaveLength(1);
    expect(clock.slept).toEqual([]);
  });

  it('claims an unannounced item with a condition: unclaimed, its own claim (a lost answer retried), or lapsed', async () => {
    givenObject(text);
    db.on(GetCommand).resolves({ Item: unannounced() });

    const [outcome] = await invoke(handler, objectCreated(key));

    expect(outcome).toMatchObject({ status: 'announced', messageId: 'msg-0001' });
    expect(claims()).toEqual([
      {
        TableName: tableName,
        Key: { objectId, version: unannounced().version },
        UpdateExpression: 'SET claimedBy = :token, claimExpiresAt = :expires',
        ConditionExpression:
          'attribute_exists(objectId) AND attribute_not_exists(notifiedAt) AND ' +
          '(attribute_not_exists(claimedBy) OR claimedBy = :token OR claimExpiresAt < :now)',
        ExpressionAttributeValues: {
          ':token': deliveryToken,
          ':expires': expect.closeTo(Date.parse(processedAt) + 11_000, -3),
          ':now': Date.parse(processedAt),
        },
      },
    ]);
    expect(publishInputs()).toHaveLength(1);
    expect(marks()).toHaveLength(1);
  });

  it('takes the claim over from a delivery whose claim has lapsed (it died before announcing)', async () => {
    givenObject(text);
    const abandoned = unannounced({
      claimedBy: 'a-dead-delivery',
      claimExpiresAt: Date.parse(processedAt) - 1,
    });
    db.on(GetCommand).resolves({ Item: abandoned });

    const [outcome] = await invoke(handler, objectCreated(key));

    expect(outcome).toMatchObject({ status: 'announced' });
    expect(clock.slept).toEqual([]);
    expect(claims()).toHaveLength(1);
    expect(publishInputs()).toHaveLength(1);
  });

  it('waits out a live claim whose holder never announces, then takes it over and announces', async () => {
    // Prepare: the holder's claim lapses 300 ms from now and the item is never marked
    givenObject(text);
    const held = unannounced({
      claimedBy: 'a-stuck-delivery',
      claimExpiresAt: Date.parse(processedAt) + 300,
    });
    db.on(GetCommand).resolves({ Item: held });

    // Act
    const [outcome] = await invoke(handler, objectCreated(key));

    // Assess: pauses that grow and stop just past the lapse, then one claim and one announcement
    expect(outcome).toMatchObject({ status: 'announced' });
    expect(clock.slept).toEqual([50, 100, 151]);
    expect(claims()).toHaveLength(1);
    expect(publishInputs()).toHaveLength(1);
  });

  it('when another delivery claims between its look and its claim, waits for that one instead', async () => {
    givenObject(text);
    const claimed = unannounced({ claimedBy: 'a-faster-delivery', claimExpiresAt: clock.ms + 60_000 });
    db.on(GetCommand)
      .resolvesOnce({ Item: unannounced() })
      .resolvesOnce({ Item: claimed })
      .resolves({ Item: { ...claimed, notifiedAt: processedAt } });
    db.on(UpdateCommand, { UpdateExpression: 'SET claimedBy = :token, claimExpiresAt = :expires' }).rejects(
      conditionFailed(),
    );

    const [outcome] = await invoke(handler, objectCreated(key));

    expect(outcome).toMatchObject({ status: 'duplicate' });
    expect(claims()).toHaveLength(1);
    expect(publishInputs()).toHaveLength(0);
  });

  it('gives up with a retryable error when the holder keeps its claim past this delivery’s time', async () => {
    // Prepare: a claim that outlasts this invocation (10 s) and is never released
    givenObject(text);
    const held = unannounced({
      claimedBy: 'a-slow-delivery',
      claimExpiresAt: Date.parse(processedAt) + 60_000,
    });
    db.on(GetCommand).resolves({ Item: held });

    // Act
    const delivery = invoke(handler, objectCreated(key));

    // Assess: thrown (Lambda retries the event) once 5 s are left for a publish; nothing published
    await expect(delivery).rejects.toThrow(AnnouncementInProgressError);
    const waited = clock.slept.reduce((sum, ms) => sum + ms, 0);
    expect(waited).toBeGreaterThan(4_000);
    expect(waited).toBeLessThanOrEqual(5_000);
    expect(Math.max(...clock.slept)).toBe(1_000);
    expect(claims()).toHaveLength(0);
    expect(publishInputs()).toHaveLength(0);
  });

  it('moves latest only to a newer sequencer: an older version delivered late is still recorded and announced', async () => {
    givenObject(text);
    const newer = objectCreated(key, { versionId: 'v2', sequencer: '0062E99A88DC407470' });
    const older = objectCreated(key, { versionId: 'v1', sequencer: '0062E99A88DC407460' });
    db.on(UpdateCommand, { Key: { objectId, version: 'latest' } })
      .resolvesOnce({})
      .rejects(conditionFailed());

    const [first] = await invoke(handler, newer);
    const [second] = await invoke(handler, older);

    expect(first).toMatchObject({ status: 'recorded', record: { version: 'v2' } });
    expect(second).toMatchObject({ status: 'recorded', record: { version: 'v1' } });
    expect(putItems().map((item) => item.version)).toEqual(['v2', 'v1']);
    expect(publishInputs()).toHaveLength(2);
    const [toNewer, toOlder] = latestUpdates();
    for (const update of [toNewer, toOlder]) {
      expect(update).toMatchObject({
        Key: { objectId, version: 'latest' },
        ConditionExpression: 'attribute_not_exists(#sequencer) OR #sequencer < :sequencer',
        ExpressionAttributeNames: { '#sequencer': 'sequencer', '#size': 'size' },
      });
    }
    expect(toNewer?.ExpressionAttributeValues).toMatchObject({
      ':version': 'v2',
      ':size': Buffer.byteLength(text),
      ':sha256': sha256(text),
    });
    expect(toOlder?.ExpressionAttributeValues?.[':version']).toBe('v1');
    // The condition compares the stored value with this one: the newer must be the greater string.
    expect(
      String(toNewer?.ExpressionAttributeValues?.[':sequencer']) >
        String(toOlder?.ExpressionAttributeValues?.[':sequencer']),
    ).toBe(true);
  });

  it('throws a latest-update fault other than the condition, before announcing', async () => {
    givenObject(text);
    db.on(UpdateCommand, { Key: { objectId, version: 'latest' } }).rejects(throttled());

    await expect(invoke(handler, objectCreated(key))).rejects.toThrow(ProvisionedThroughputExceededException);
    expect(publishInputs()).toHaveLength(0);
  });

  it('leaves latest alone for an event without a sequencer', async () => {
    givenObject(text);
    const event = objectCreated(key);
    delete (event.detail.object as { sequencer?: string }).sequencer;

    await invoke(handler, event);

    expect(putItems()).toHaveLength(1);
    expect(latestUpdates()).toHaveLength(0);
  });
});

describe('comparableSequencer', () => {
  it('orders sequencers of the same length as their hex values', () => {
    expect(comparableSequencer('0062E99A88DC407470') > comparableSequencer('0062E99A88DC407460')).toBe(true);
    expect(comparableSequencer('0062e99a88dc4074a0') > comparableSequencer('0062E99A88DC407490')).toBe(true);
  });

  it('orders sequencers of different lengths as S3 documents it: right-pad the shorter with zeros', () => {
    // The S3 user guide (event message structure): "The sequencers can be of different lengths. So, to
    // compare these values, first right pad the shorter value with zeros, and then do a lexicographical
    // comparison."
    const later = '0062E99A88DC407470';
    const earlier = '0062E99A88DC40746FFF';

    expect(comparableSequencer(later) > comparableSequencer(earlier)).toBe(true);
  });
});

describe('recordUpload: the SNS notification', () => {
  it('publishes the record to the topic with content type, size and bucket attributes', async () => {
    givenObject(text, { contentType: 'text/csv' });

    await invoke(handler, objectCreated(key));

    const [input] = publishInputs();
    expect(input).toMatchObject({
      TopicArn: topicArn,
      Subject: `Upload recorded: ${key}`,
      MessageAttributes: {
        contentType: { DataType: 'String', StringValue: 'text/plain; charset=utf-8' },
        s3ContentType: { DataType: 'String', StringValue: 'text/csv' },
        size: { DataType: 'Number', StringValue: String(Buffer.byteLength(text)) },
        bucket: { DataType: 'String', StringValue: bucket },
        deduplicationKey: {
          DataType: 'String',
          StringValue: deduplicationKey(putItems()[0] as UploadRecord),
        },
      },
    });
    expect(JSON.parse(input?.Message ?? '{}')).toEqual({
      type: 'UploadRecorded',
      deduplicationKey: deduplicationKey(putItems()[0] as UploadRecord),
      upload: announcedRecord(putItems()[0] as UploadRecord),
    });
  });

  it('gives every publish of one version the same deduplication key, and any other version another', () => {
    const version = { bucket, key, version: 'v1' };

    expect(deduplicationKey(version)).toMatch(/^[0-9a-f]{64}$/);
    expect(deduplicationKey({ ...version })).toBe(deduplicationKey(version));
    for (const other of [
      { ...version, version: 'v2' },
      { ...version, key: `${key}x` },
      { ...version, bucket: `${bucket}-other` },
      // No separator can make two versions collide: bucket/key/version are not concatenated.
      { bucket, key: `${key}v1`, version: '' },
    ])
      expect(deduplicationKey(other)).not.toBe(deduplicationKey(version));
  });

  it.each([
    ['a unicode key', 'uploads/Ünïcödé/報告書 😀.txt'],
    ['a 1,024-byte key', `uploads/${'ü'.repeat(508)}`],
    ['a key with a line break', 'uploads/two\nlines.txt'],
  ])('keeps the subject to at most 100 printable ASCII characters for %s', async (_, name) => {
    givenObject(text);

    await invoke(handler, notification(encodeURIComponent(name).replaceAll('%2F', '/')));

    const subject = publishInputs()[0]?.Subject ?? '';
    expect(subject).toMatch(/^Upload recorded: uploads\//);
    expect(subject).toMatch(/^[\x20-\x7e]{1,100}$/);
  });

  it('subjectFor keeps a short ASCII key whole and marks a cut one', () => {
    expect(subjectFor('uploads/a.txt')).toBe('Upload recorded: uploads/a.txt');
    const cut = subjectFor(`uploads/${'a'.repeat(200)}`);
    expect(cut).toHaveLength(100);
    expect(cut.endsWith('~')).toBe(true);
  });

  it('keeps a 64 KB preview of 4-byte characters in the message (under 256 KB)', async () => {
    const wide = buildHandler({ previewBytes: 64 * 1024 });
    givenObject('𝄞'.repeat(20_000));

    await invoke(wide, objectCreated(key));

    const message = JSON.parse(publishInputs()[0]?.Message ?? '{}');
    expect(Buffer.byteLength(message.upload.textPreview)).toBe(64 * 1024);
    expect(message.upload.previewOmitted).toBeUndefined();
  });

  it.each([
    ['a text with its preview', 'Quarterly numbers.\n', 1024],
    ['a text whose preview is left out (over 256 KB)', '\u0001'.repeat(70_000), 64 * 1024],
    ['a binary file', png, 1024],
  ])(
    'publishes %s as the subscribers’ contract (@repo/events/upload-recorded) describes it',
    async (_, bytes, previewBytes) => {
      givenObject(bytes);

      await invoke(buildHandler({ previewBytes }), objectCreated(key));

      const [input] = publishInputs();
      const parsed = uploadRecordedSchema.safeParse(JSON.parse(input?.Message ?? '{}'));
      expect(parsed.error).toBeUndefined();
      // Strict about what it leaks too: nothing of the item's own bookkeeping goes out.
      expect(Object.keys(JSON.parse(input?.Message ?? '{}').upload)).not.toContain('recordedBy');
      expect(Object.keys(JSON.parse(input?.Message ?? '{}').upload)).not.toContain('claimedBy');
      expect(Object.keys(input?.MessageAttributes ?? {}).sort()).toEqual([
        'bucket',
        'contentType',
        'deduplicationKey',
        's3ContentType',
        'size',
      ]);
    },
  );

  it('omits the preview from a message that would exceed 256 KB, and keeps it in the item', async () => {
    // The largest preview the config allows (64 KB) of control characters, which JSON writes as
    // \u0001 (6 bytes each): ~384 KB, over SNS's 256 KB for message and attributes.
    const wide = buildHandler({ previewBytes: 64 * 1024 });
    givenObject('\u0001'.repeat(70_000));

    await invoke(wide, objectCreated(key));

    const [input] = publishInputs();
    const message = JSON.parse(input?.Message ?? '{}');
    const attributeBytes = Buffer.byteLength(JSON.stringify(input?.MessageAttributes));
    expect(Buffer.byteLength(input?.Message ?? '') + attributeBytes).toBeLessThanOrEqual(256 * 1024);
    expect(message.upload).toMatchObject({ previewOmitted: true, sha256: sha256('\u0001'.repeat(70_000)) });
    expect(message.upload.textPreview).toBeUndefined();
    expect(putItems()[0]?.textPreview).toHaveLength(64 * 1024);
  });
});
