import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import { startXRayDaemon, useLambdaTracingEnvironment, type XRayDaemon } from '@repo/testing/xray-daemon';
import { afterAll, beforeAll } from 'vitest';
import { type DynamoDBStandIn, startDynamoDBStandIn } from './dynamodb-stand-in.ts';

type Tracing = typeof import('../src/tracer.ts');

/** What a tracer test file works with; filled in before its first test. */
export interface TracerHarness {
  daemon: XRayDaemon;
  dynamodb: DynamoDBStandIn;
  tracing: Tracing;
}

/**
 * The tracer's test bed, set up once per test file: an X-Ray daemon stand-in on UDP, a DynamoDB stand-in
 * on HTTP, Lambda's tracing environment, and the module under test — imported only once that environment
 * is set, as it reads it at import. A file's own `vi.mock` applies to that import too.
 */
export function useTracerHarness(): TracerHarness {
  const harness = {} as TracerHarness;
  let restoreEnvironment: (() => void) | undefined;
  beforeAll(async () => {
    harness.daemon = await startXRayDaemon();
    harness.dynamodb = await startDynamoDBStandIn();
    restoreEnvironment = useLambdaTracingEnvironment(harness.daemon);
    harness.tracing = await import('../src/tracer.ts');
  });
  afterAll(async () => {
    restoreEnvironment?.();
    await harness.daemon?.close();
    await harness.dynamodb?.close();
  });
  return harness;
}

/**
 * A handler whose units of work (`### resize`, one per key) run at once and interleave their SDK calls
 * the same way on any machine: every job's span is open before any job calls, and they call in the
 * reverse of the order they opened, each while the others' calls are in flight — no timing involved.
 * Each job's GetItem names its key as the table, so a test can tell whose call is whose. Resolves with
 * each job's index.
 */
export function concurrentJobsHandler(
  tracing: Tracing,
  tracer: ReturnType<Tracing['createTracer']>,
  db: DynamoDBClient,
  keys: readonly string[],
) {
  let opened = 0;
  const allOpen = Promise.withResolvers<void>();
  const calling = keys.map(() => Promise.withResolvers<void>());
  return middy()
    .use(tracing.withTracing(tracer))
    .handler(async () =>
      Promise.all(
        keys.map((objectKey, index) =>
          tracing.traceWork(tracer, 'resize', { objectKey }, async () => {
            opened += 1;
            if (opened === keys.length) allOpen.resolve();
            await allOpen.promise;
            await calling[index + 1]?.promise;
            const call = db.send(new GetItemCommand({ TableName: objectKey, Key: { id: { S: 'x' } } }));
            calling[index]?.resolve();
            await call;
            return index;
          }),
        ),
      ),
    );
}

/**
 * A handler with two units of work (`### resize`, keys `k0` and `k1`): the first ends in a permanent
 * rejection (`corrupt`, returned, not thrown), the second resized. `attributes` go on both beside the key.
 */
export function rejectionHandler(
  tracing: Tracing,
  tracer: ReturnType<Tracing['createTracer']>,
  attributes: Record<string, string | undefined> = {},
) {
  const outcomes = [
    { status: 'rejected', reason: 'corrupt' },
    { status: 'resized', reason: undefined },
  ];
  return middy()
    .use(tracing.withTracing(tracer))
    .handler(async () =>
      Promise.all(
        outcomes.map((outcome, index) =>
          tracing.traceWork(
            tracer,
            'resize',
            { objectKey: `k${index}`, ...attributes },
            async () => outcome,
            (result) => (result.status === 'rejected' ? result.reason : undefined),
          ),
        ),
      ),
    );
}
