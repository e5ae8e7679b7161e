/**
 * The warm-overhead measurement of bench.ts, in a process of its own: the parent sets Lambda's environment
 * (the X-Ray SDK reads it at import) and points AWS_XRAY_DAEMON_ADDRESS at its UDP listener; stdout goes to
 * /dev/null (a real write per log/EMF line, as Lambda's log pipe gets). Results: one JSON line on stderr.
 */
import middy from '@middy/core';
import { lambdaTraceHeader } from '@repo/aws-local/xray-daemon';
import { lambdaContext } from '@repo/testing/lambda-context';
import type { Context } from 'aws-lambda';

const { createLogger } = await import('../src/logger.ts');
const { withLogging } = await import('../src/middleware.ts');
const { createMetrics, withMetrics } = await import('../src/metrics.ts');
const { createTracer, withTracing, annotate } = await import('../src/tracer.ts');

const { warmupCalls, batches, callsPerBatch } = JSON.parse(process.argv[2] ?? '{}') as {
  warmupCalls: number;
  batches: number;
  callsPerBatch: number;
};

interface Event {
  id: string;
  key: string;
}
type Invoke = (event: Event, context: Context) => Promise<unknown>;

const serviceName = 'bench';
const logger = createLogger({ serviceName, logLevel: 'INFO' });
const metrics = createMetrics({ serviceName });
const tracer = createTracer({ serviceName });
if (!tracer.isTracingEnabled())
  throw new Error('tracing is not enabled in the warm child: check its environment');

// What a function does per invocation besides its own work: one log line, one metric, one annotation.
const work = async (event: Event) => ({ statusCode: 200, body: JSON.stringify({ id: event.id }) });
const correlationId = (event: Event) => event.id;

const bare: Invoke = async (event) => work(event);
const logged: Invoke = middy<Event, unknown, Error, Context>()
  .use(withLogging(logger, correlationId))
  .handler(async (event) => {
    logger.info('Done', { key: event.key });
    return work(event);
  });
const measured: Invoke = middy<Event, unknown, Error, Context>()
  .use(withLogging(logger, correlationId))
  .use(withMetrics(metrics))
  .handler(async (event) => {
    logger.info('Done', { key: event.key });
    metrics.addMetric('ImagesResized', 'Count', 1);
    return work(event);
  });
const traced: Invoke = middy<Event, unknown, Error, Context>()
  .use(withTracing(tracer))
  .use(withLogging(logger, correlationId))
  .use(withMetrics(metrics))
  .handler(async (event) => {
    annotate(tracer, { objectKey: event.key });
    logger.info('Done', { key: event.key });
    metrics.addMetric('ImagesResized', 'Count', 1);
    return work(event);
  });
const variants = { bare, logged, measured, traced };
type Name = keyof typeof variants;

const context = lambdaContext();
const event: Event = { id: 'c0ffee', key: 'uploads/cat.jpg' };
async function timeCalls(invoke: Invoke, calls: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let call = 0; call < calls; call++) {
    // Lambda's runtime sets a new trace header before every invocation.
    process.env._X_AMZN_TRACE_ID = lambdaTraceHeader().header;
    await invoke(event, context);
  }
  return Number(process.hrtime.bigint() - started) / 1_000 / calls;
}

for (const invoke of Object.values(variants)) await timeCalls(invoke, warmupCalls);
const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, [] as number[]])) as Record<
  Name,
  number[]
>;
const names = Object.keys(variants) as Name[];
for (let batch = 0; batch < batches; batch++) {
  // Rotate the order so drift (GC, CPU frequency, neighbours) hits every variant alike.
  const order = names.map((_, index) => names[(index + batch) % names.length] as Name);
  for (const name of order) samples[name].push(await timeCalls(variants[name], callsPerBatch));
}
process.stderr.write(`WARM_JSON ${JSON.stringify(samples)}\n`);
