import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { messagesLeft } from '@repo/aws-local/sqs-queues';
import { runProcess } from '@repo/testing/run-process';
import { eventually } from '@repo/testing/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevProcess, root, startDev } from './dev-process.ts';

const template = 'tooling/local/tests/fixtures/redrive/template.yaml';
const redriveScript = fileURLToPath(new URL('../src/redrive.ts', import.meta.url));

let dev: DevProcess;
let db: DynamoDBClient;
let events: EventBridgeClient;
let sqs: SQSClient;

beforeAll(async () => {
  dev = await startDev(['--template', template]);
  const config = {
    endpoint: dev.stack.endpoint,
    region: dev.stack.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  db = new DynamoDBClient(config);
  events = new EventBridgeClient(config);
  sqs = new SQSClient(config);
});

afterAll(async () => {
  for (const client of [db, events, sqs]) client?.destroy();
  await dev?.stop();
});

const ref = (logicalId: string) => dev.stack.resources[logicalId]?.ref as string;

/** A flag file that does not exist yet: the fixture function fails until the test creates it. */
const newFlag = () => join(mkdtempSync(join(tmpdir(), 'redrive-')), 'fixed');

/** `pnpm redrive …` as the root script runs it, against this test's pnpm dev. */
const redrive = (...args: string[]) =>
  runProcess(
    process.execPath,
    ['--import', 'tsx', redriveScript, ...args, '--template', template, '--stack-file', dev.stackFile],
    {
      cwd: root,
      env: { ...process.env, INIT_CWD: root },
    },
  );

/** What the fixture function recorded for `pk`, once it is there. */
const recorded = (pk: string) =>
  eventually(
    async () => {
      const { Item } = await db.send(
        new GetItemCommand({ TableName: ref('Records'), Key: { pk: { S: pk } } }),
      );
      return Item?.detail?.S === undefined ? undefined : JSON.parse(Item.detail.S);
    },
    undefined,
    `record ${pk}`,
  );

/** Waits until `queueUrl` holds exactly `count` messages (visible or in flight). */
const holds = (queueUrl: string, count: number) =>
  eventually(
    async () => ((await messagesLeft(sqs, queueUrl)) === count ? true : undefined),
    undefined,
    `${count} on ${queueUrl}`,
  );

describe('pnpm redrive on the local stack', () => {
  it('gives an on-failure record’s event back to its function, which succeeds once fixed', async () => {
    const flag = newFlag();
    await events.send(
      new PutEventsCommand({
        Entries: [{ Source: 'redrive.test', DetailType: 'Poke', Detail: JSON.stringify({ id: 'e1', flag }) }],
      }),
    );
    await holds(ref('FlakyFailures'), 1);

    const dryRun = await redrive('FlakyFailures', '--dry-run');
    expect(dryRun.status, dryRun.stderr).toBe(0);
    expect(dryRun.stdout).toMatch(/would move \S+ → FlakyFunction/);
    expect(await messagesLeft(sqs, ref('FlakyFailures'))).toBe(1);

    writeFileSync(flag, '');
    const { status, stdout, stderr } = await redrive('FlakyFailures');

    expect(status, stderr).toBe(0);
    expect(stdout).toMatch(/^moved {3}\S+ → FlakyFunction$/m);
    expect(stdout).toContain('FlakyFailures: 1 moved to FlakyFunction');
    const event = await recorded('event#e1');
    expect(event).toMatchObject({
      source: 'redrive.test',
      'detail-type': 'Poke',
      detail: { id: 'e1', flag },
    });
    expect(await messagesLeft(sqs, ref('FlakyFailures'))).toBe(0);
  });

  it('sends a DLQ message back to its source queue, attributes and all, where it is processed', async () => {
    const flag = newFlag();
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: ref('Jobs'),
        MessageBody: JSON.stringify({ id: 'j1', flag }),
        MessageAttributes: { tenant: { DataType: 'String', StringValue: 'acme' } },
      }),
    );
    await holds(ref('JobsDlq'), 1);

    writeFileSync(flag, '');
    const { status, stdout, stderr } = await redrive('JobsDlq');

    expect(status, stderr).toBe(0);
    expect(stdout).toContain('JobsDlq: 1 moved to Jobs');
    const job = await recorded('job#j1');
    expect(job).toMatchObject({
      body: { id: 'j1', flag },
      messageAttributes: { tenant: { dataType: 'String', stringValue: 'acme' } },
    });
    expect(await messagesLeft(sqs, ref('JobsDlq'))).toBe(0);
  });

  it('leaves a message that is not an invocation record in place and exits 1', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: ref('FlakyFailures'), MessageBody: 'not a record' }));

    const { status, stdout } = await redrive('FlakyFailures');

    expect(status).toBe(1);
    expect(stdout).toMatch(/left {4}\S+: not a Lambda invocation record \(its body is not JSON\)/);
    expect(await messagesLeft(sqs, ref('FlakyFailures'))).toBe(1);
  });
});
