import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { eventually, waitFor } from '@repo/testing/wait';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConcurrencyStats } from '../src/function-host.ts';
import type { StackFile } from '../src/local-stack.ts';
import { type DevProcess, startDev } from './dev-process.ts';
import { type Gate, startGate } from './gate.ts';

// A template of functions that wait at a gate the test holds: how many run at once is counted at the
// gate, never timed. The template declares no parameters — the local stack must not assume a `Stage`.
let dev: DevProcess;
let sqs: SQSClient;
let events: EventBridgeClient;
let gate: Gate;

beforeAll(async () => {
  dev = await startDev([
    '--template',
    'tooling/local/tests/fixtures/scaling/template.yaml',
    '--concurrency',
    '20',
  ]);
  const config = {
    endpoint: dev.stack.endpoint,
    region: dev.stack.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  sqs = new SQSClient(config);
  events = new EventBridgeClient(config);
});

afterEach(async () => {
  gate?.open();
  await gate?.close();
});

afterAll(async () => {
  sqs?.destroy();
  events?.destroy();
  await dev?.stop();
});

const api = (path: string) => `${dev.stack.apiUrl}${path}`;

/** One function's environments, cold starts and throttles, as the stack file has them now. */
const statsOf = (functionId: string) =>
  (JSON.parse(readFileSync(dev.stackFile, 'utf8')) as StackFile).concurrency?.[functionId] as
    | ConcurrencyStats
    | undefined;

/** Lets the gate's calls on in turns, after `settle` ms in which more could arrive, until `done`. */
async function releaseInTurns(done: () => boolean, settleMs = 300) {
  while (!done()) {
    await waitFor(() => gate.waiting() > 0 || done());
    // Time for a call over the limit to show up at the gate before this turn is let on.
    await sleep(settleMs);
    gate.release();
  }
}

describe('pnpm dev scales like Lambda', () => {
  it('serves 10 concurrent requests at once, each in an execution environment of its own', async () => {
    // Prepare
    gate = await startGate();

    // Act: ten requests, all held at the gate until the tenth is there
    const responses = Array.from({ length: 10 }, () => fetch(api(`/gated?gate=${gate.url}`)));
    await waitFor(() => gate.waiting() === 10);
    gate.release();
    const answers = await Promise.all(responses);

    // Assess: ten environments, and the stage of SAM's implicit API
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
    const bodies = (await Promise.all(answers.map((answer) => answer.json()))) as {
      environment: string;
      stage: string;
    }[];
    expect(new Set(bodies.map((body) => body.environment)).size).toBe(10);
    expect(new Set(bodies.map((body) => body.stage))).toEqual(new Set(['Prod']));
    const stats = await eventually(async () => {
      const now = statsOf('ApiFunction');
      return now && now.running === 0 ? now : undefined;
    });
    expect(stats).toMatchObject({ peakEnvironments: 10, peakRunning: 10, coldStarts: 10, throttles: 0 });
  });

  it('throttles a request over the reserved concurrency with API Gateway’s answer, and serves the rest', async () => {
    // Prepare: the two the function may run, held
    gate = await startGate();
    const held = [fetch(api(`/reserved?gate=${gate.url}`)), fetch(api(`/reserved?gate=${gate.url}`))];
    await waitFor(() => gate.waiting() === 2);

    // Act
    const third = await fetch(api('/reserved'));
    gate.release();
    const served = await Promise.all(held);

    // Assess: what API Gateway answers when Lambda refuses the invocation
    expect(third.status).toBe(500);
    expect(await third.json()).toEqual({ message: 'Internal server error' });
    expect(served.map((answer) => answer.status)).toEqual([200, 200]);
    await waitFor(() => statsOf('ReservedApiFunction')?.throttles === 1);
  });

  it('ends only the environment that crashed: the requests running elsewhere are answered', async () => {
    gate = await startGate();
    const held = Array.from({ length: 3 }, () => fetch(api(`/gated?gate=${gate.url}`)));
    await waitFor(() => gate.waiting() === 3);

    const crashed = await fetch(api('/gated?crash=1'));
    gate.release();
    const served = await Promise.all(held);

    expect(crashed.status).toBe(502);
    expect(served.map((answer) => answer.status)).toEqual([200, 200, 200]);
  });

  it('runs at most ScalingConfig.MaximumConcurrency SQS batches at once, and loses no message', async () => {
    // Prepare
    gate = await startGate();
    const queueUrl = dev.stack.resources.Jobs?.ref as string;
    const ids = Array.from({ length: 8 }, (_, index) => `job-${index}`);

    // Act
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: ids.map((id) => ({ Id: id, MessageBody: JSON.stringify({ gate: gate.url, id }) })),
      }),
    );
    await releaseInTurns(() => gate.arrivals.length === ids.length && gate.waiting() === 0);

    // Assess: two at a time at most — and two, so the batches did run side by side — and every job once
    expect(gate.mostWaiting()).toBe(2);
    expect([...gate.arrivals].sort()).toEqual(ids);
    await eventually(async () => {
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return Attributes?.ApproximateNumberOfMessages === '0' &&
        Attributes.ApproximateNumberOfMessagesNotVisible === '0'
        ? true
        : undefined;
    });
  });

  it('delivers every asynchronous event over the reserved concurrency in the end, one at a time', async () => {
    // Prepare
    gate = await startGate();
    const ids = Array.from({ length: 5 }, (_, index) => `event-${index}`);

    // Act: five events at once for a function that may run one
    await events.send(
      new PutEventsCommand({
        Entries: ids.map((id) => ({
          Source: 'test.scaling',
          DetailType: 'job',
          Detail: JSON.stringify({ gate: gate.url, id }),
        })),
      }),
    );
    await waitFor(() => gate.waiting() === 1);
    await waitFor(() => (statsOf('AsyncFunction')?.throttles ?? 0) > 0);
    await releaseInTurns(() => new Set(gate.arrivals).size === ids.length && gate.waiting() === 0);

    // Assess: throttled ones waited and ran later; none was lost or run twice
    expect(gate.mostWaiting()).toBe(1);
    expect([...gate.arrivals].sort()).toEqual(ids);
  });
});
