/**
 * The warm-overhead measurement of bench.ts, in a process of its own: the parent sets Lambda's environment
 * (the X-Ray SDK reads it at import) and points AWS_XRAY_DAEMON_ADDRESS at its UDP listener; stdout goes to
 * /dev/null (a real write per log/EMF line, as Lambda's log pipe gets). Results: one JSON line on stderr.
 * Usage: warm-child.ts <settings JSON> <tracer: opentelemetry | xray-sdk | otlp-http>. One tracer per process:
 * the X-Ray SDK's cls-hooked enables a process-wide async hook that would tax every other arm in the same
 * process. otlp-http is the shipped tracer exporting OTLP/JSON over HTTP (bench/otlp-http-exporter.ts) to
 * OTEL_EXPORTER_OTLP_ENDPOINT, the parent's receiver, as it would to a collector extension.
 */
import dgram from 'node:dgram';
import { registerHooks } from 'node:module';
import middy from '@middy/core';
import { lambdaTraceHeader } from '@repo/aws-local/xray-daemon';
import { lambdaContext } from '@repo/testing/lambda-context';
import type { Context } from 'aws-lambda';

const { createLogger } = await import('../src/logger.ts');
const { withLogging } = await import('../src/middleware.ts');
const { createMetrics, withMetrics } = await import('../src/metrics.ts');
const tracerVariant = process.argv[3] ?? 'opentelemetry';
if (tracerVariant !== 'opentelemetry' && tracerVariant !== 'xray-sdk' && tracerVariant !== 'otlp-http')
  throw new Error(`unknown tracer ${tracerVariant}: opentelemetry, xray-sdk or otlp-http`);
if (tracerVariant === 'otlp-http') {
  // As bench.ts's esbuild alias does for the bundle: src/tracer.ts gets the SDK whose provider exports OTLP.
  const standIn = new URL('./otlp-sdk-trace.ts', import.meta.url).href;
  registerHooks({
    resolve: (specifier, context, nextResolve) =>
      specifier === '@opentelemetry/sdk-trace' && context.parentURL?.endsWith('/src/tracer.ts')
        ? { url: standIn, shortCircuit: true }
        : nextResolve(specifier, context),
  });
}
// Both tracers send over node:dgram: a datagram counts as sent when its send callback runs (Node re-calls
// send() itself on an unbound socket's first datagram, so counting the calls would count that one twice).
let datagramsSent = 0;
const countingCallbacks = new WeakSet<object>();
const send = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function countedSend(this: dgram.Socket, ...args: unknown[]) {
  const callback = args.at(-1);
  if (typeof callback !== 'function' || !countingCallbacks.has(callback)) {
    const counting = (...results: unknown[]) => {
      datagramsSent++;
      if (typeof callback === 'function') callback(...results);
    };
    countingCallbacks.add(counting);
    if (typeof callback === 'function') args[args.length - 1] = counting;
    else args.push(counting);
  }
  return (send as (...sendArgs: unknown[]) => void).apply(this, args);
} as typeof send;
const { exported } = await import('./otlp-http-exporter.ts');
/** Spans sent so far: datagrams for the UDP paths, spans handed to a request for OTLP/HTTP. */
const spansSent = () => (tracerVariant === 'otlp-http' ? exported.spans : datagramsSent);
const { createTracer, withTracing, annotate } = (await import(
  tracerVariant === 'xray-sdk' ? './xray-sdk-tracer.ts' : '../src/tracer.ts'
)) as typeof import('../src/tracer.ts');

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
let tracedInvocations = 0;
async function timeCalls(invoke: Invoke, calls: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let call = 0; call < calls; call++) {
    // Lambda's runtime sets a new trace header before every invocation.
    process.env._X_AMZN_TRACE_ID = lambdaTraceHeader().header;
    await invoke(event, context);
  }
  if (invoke === traced) {
    tracedInvocations += calls;
    // The OpenTelemetry tracer has sent each span before its invocation returns (over OTLP/HTTP, the
    // collector has even answered); the X-Ray SDK queues its subsegments and sends them one by one
    // afterwards. The batch ends when its spans are sent, so that sending is timed with the tracer that
    // causes it, not with whichever arm runs next.
    const deadline = Date.now() + 10_000;
    while (spansSent() < tracedInvocations && Date.now() < deadline)
      await new Promise((resolve) => setImmediate(resolve));
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
process.stderr.write(`WARM_JSON ${JSON.stringify({ samples, spansSent: spansSent(), tracedInvocations })}\n`);
