import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { eventually } from '@repo/testing/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJournal } from '../src/journal.ts';
import { type DevProcess, startDev } from './dev-process.ts';

// The redrive fixture: an EventBridge event makes its function PutItem a record (no async retries, so a
// failed invocation would never record it).
const template = 'tooling/local/tests/fixtures/redrive/template.yaml';
const folder = mkdtempSync(join(tmpdir(), 'dev-faults-'));
const profile = join(folder, 'first-puts-throttled.json');
const flag = join(folder, 'fixed');
const journal = join(folder, 'journal.jsonl');

let dev: DevProcess;
let db: DynamoDBClient;
let events: EventBridgeClient;

beforeAll(async () => {
  writeFileSync(flag, '');
  writeFileSync(
    profile,
    JSON.stringify({
      description: 'The first two PutItem calls are throttled.',
      aws: [
        {
          service: 'dynamodb',
          operation: 'PutItem',
          count: 2,
          fault: {
            kind: 'error',
            status: 400,
            code: 'ProvisionedThroughputExceededException',
            message: 'The level of configured provisioned throughput for the table was exceeded.',
            when: 'before',
          },
        },
      ],
    }),
  );
  dev = await startDev([
    ...['--template', template, '--faults', profile, '--faults-seed', '42'],
    ...['--journal', journal],
  ]);
  const config = {
    endpoint: dev.stack.endpoint,
    region: dev.stack.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  db = new DynamoDBClient(config);
  events = new EventBridgeClient(config);
});

afterAll(async () => {
  for (const client of [db, events]) client?.destroy();
  await dev?.stop();
});

describe('pnpm dev --faults', () => {
  it('throttles the first PutItem calls, the function succeeds through the SDK’s retries, and it is printed and journaled', async () => {
    expect(dev.output()).toContain(
      `faults     ${profile} (seed 42) — The first two PutItem calls are throttled.`,
    );

    await events.send(
      new PutEventsCommand({
        Entries: [{ Source: 'redrive.test', DetailType: 'Poke', Detail: JSON.stringify({ id: 'f1', flag }) }],
      }),
    );
    const table = dev.stack.resources.Records?.ref as string;
    const item = await eventually(
      async () =>
        (await db.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'event#f1' } } }))).Item,
      undefined,
      'the record of event f1',
    );

    expect(item?.pk?.S).toBe('event#f1');
    const injected = `fault  dynamodb PutItem ${table} → ProvisionedThroughputExceededException 400 (before)`;
    await dev.waitForOutput(new RegExp(`(${escapeRegExp(injected)}[\\s\\S]*){2}`));
    expect(await dev.stop()).toBe(0);
    expect(dev.output().split(injected).length - 1).toBe(2);
    expect(dev.output()).toContain(
      'faults     aws[0] dynamodb PutItem ProvisionedThroughputExceededException 400 (before): 2×',
    );

    // --journal: the faults, the SDK’s retries, the invocation and its log line, all in its trace.
    expect(dev.stack.journal).toBe(journal);
    const entries = readJournal(journal);
    const invocation = entries.find((entry) => entry.type === 'invocation');
    expect(invocation).toMatchObject({
      functionId: 'FlakyFunction',
      ok: true,
      coldStart: true,
      traceId: expect.stringMatching(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/),
    });
    const { traceId } = invocation as { traceId: string };
    const call = { service: 'dynamodb', operation: 'PutItem', traceId };
    expect(entries.filter((entry) => entry.type === 'aws-fault')).toEqual([
      expect.objectContaining({
        ...call,
        attempt: 1,
        fault: expect.objectContaining({ code: 'ProvisionedThroughputExceededException' }),
      }),
      expect.objectContaining({ ...call, attempt: 2 }),
    ]);
    expect(entries.filter((entry) => entry.type === 'aws-retry')).toEqual([
      expect.objectContaining({ ...call, attempt: 2 }),
      expect.objectContaining({ ...call, attempt: 3 }),
    ]);
    expect(entries).toContainEqual({
      at: expect.any(Number),
      type: 'log',
      functionId: 'FlakyFunction',
      record: { level: 'INFO', message: 'recorded', id: 'f1' },
    });
    const times = entries.map((entry) => entry.at);
    expect(times).toEqual(times.toSorted((a, b) => a - b));
  });
});

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
