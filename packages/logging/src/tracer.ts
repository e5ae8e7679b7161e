import type { MiddlewareObj } from '@middy/core';
import {
  context,
  defaultTextMapGetter,
  type Context as OtelContext,
  type Tracer as OtelTracer,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AWSXRayPropagator } from '@opentelemetry/propagator-aws-xray';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { XRayIdGenerator } from './xray-ids.ts';
import { awsRpcSystem, XRayDaemonSpanProcessor } from './xray-segments.ts';

/** What X-Ray indexes for search: `annotation.objectKey = "uploads/cat.jpg"` in a filter expression. */
export type Annotations = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * The function's tracer. Only this module knows what is behind it (OpenTelemetry); a tracer that does not
 * trace is just its service name.
 */
export interface Tracer {
  readonly serviceName: string;
  /** Whether spans are recorded: in Lambda with active tracing, unless POWERTOOLS_TRACE_ENABLED=false. */
  isTracingEnabled(): boolean;
}

/** What an enabled tracer holds; the invocation is the one Lambda is running (one at a time per process). */
interface Tracing {
  otel: OtelTracer;
  provider: TracerProvider;
  coldStart: boolean;
  invocation?: { span: Span; context: OtelContext };
}

const tracings = new WeakMap<Tracer, Tracing>();

/** One provider per process, built by the first enabled tracer: spans go to Lambda's X-Ray daemon. */
let provider: TracerProvider | undefined;
const propagator = new AWSXRayPropagator();

function tracerProvider(): TracerProvider {
  if (!provider) {
    // Concurrent units of work keep their own active span (and so their own SDK calls) through
    // AsyncLocalStorage; a context manager someone registered before us is kept.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    provider = new TracerProvider({
      idGenerator: new XRayIdGenerator(),
      spanProcessors: [new XRayDaemonSpanProcessor(process.env.AWS_XRAY_DAEMON_ADDRESS)],
    });
  }
  return provider;
}

/**
 * Builds the function's one tracer (OpenTelemetry, exported to X-Ray); call it once at module scope. It
 * traces only where Lambda runs the function (AWS_EXECUTION_ENV) and, per invocation, only when Lambda's
 * trace header is sampled (`Tracing: Active`, the template's Globals): in tests, benches and wherever
 * AWS_EXECUTION_ENV is unset, or with POWERTOOLS_TRACE_ENABLED=false, every call below is a no-op and
 * nothing is exported. Outgoing HTTPS calls are not traced separately: the AWS SDK clients are (see
 * traceClient), and they make all of this repo's calls.
 */
export function createTracer({ serviceName }: { serviceName: string }): Tracer {
  const enabled =
    process.env.AWS_EXECUTION_ENV !== undefined &&
    process.env.POWERTOOLS_TRACE_ENABLED?.toLowerCase() !== 'false';
  const tracer: Tracer = { serviceName, isTracingEnabled: () => enabled };
  if (enabled) {
    const provider = tracerProvider();
    tracings.set(tracer, { otel: provider.getTracer('@repo/logging'), provider, coldStart: true });
  }
  return tracer;
}

/**
 * middy middleware: the invocation as a `## <handler>` span under Lambda's own segment (the Parent of
 * `_X_AMZN_TRACE_ID`), with the ColdStart and Service annotations, errors recorded on it. The response
 * is never recorded: API bodies, batch reports and object listings do not belong in a trace. The
 * invocation's spans are sent before the handler returns, since Lambda freezes the process after it.
 */
export function withTracing(tracer: Tracer): MiddlewareObj[] {
  const tracing = tracings.get(tracer);
  if (!tracing) return [];
  const name = `## ${process.env._HANDLER ?? 'handler'}`;
  const end = async () => {
    const invocation = tracing.invocation;
    if (!invocation) return;
    tracing.invocation = undefined;
    invocation.span.end();
    await tracing.provider.forceFlush();
  };
  return [
    {
      before: function startInvocationSpan() {
        // A span still open (an invocation whose middleware chain ended early) is closed, not leaked.
        tracing.invocation?.span.end();
        tracing.invocation = undefined;
        const coldStart = tracing.coldStart;
        tracing.coldStart = false;
        const parent = propagator.extract(
          ROOT_CONTEXT,
          { 'x-amzn-trace-id': process.env._X_AMZN_TRACE_ID },
          defaultTextMapGetter,
        );
        const lambdaSegment = trace.getSpanContext(parent);
        if (!lambdaSegment || (lambdaSegment.traceFlags & TraceFlags.SAMPLED) === 0) return;
        const span = tracing.otel.startSpan(
          name,
          { kind: SpanKind.SERVER, attributes: { ColdStart: coldStart, Service: tracer.serviceName } },
          parent,
        );
        tracing.invocation = { span, context: trace.setSpan(parent, span) };
      },
      after: end,
      onError: async function recordInvocationError(request) {
        if (request.error) recordError(tracing.invocation?.span, request.error);
        await end();
      },
    },
  ];
}

/**
 * The same client with every command recorded as a child span of the active one (the unit of work, else
 * the invocation): service, operation, region, request id, retries, HTTP status, and the allow-listed
 * request fields the X-Ray SDK recorded — DynamoDB TableName, S3 Bucket and Key, SNS TopicArn, SQS
 * QueueUrl — never items or bodies. Wrap each client once, where it is built.
 */
export function traceClient<Client extends object>(tracer: Tracer, client: Client): Client {
  const tracing = tracings.get(tracer);
  const instrumented = client as Partial<InstrumentableClient>;
  if (!tracing || !instrumented.middlewareStack) return client;
  const config = instrumented.config ?? {};
  instrumented.middlewareStack.add(
    (next, handlerContext) =>
      async function traceAwsCall(args) {
        const parent = activeParent(tracing);
        if (!parent) return next(args);
        const service = String(
          config.serviceId ?? handlerContext.clientName?.replace(/Client$/, '') ?? 'AWS',
        );
        const operation = handlerContext.commandName?.replace(/Command$/, '') ?? 'Unknown';
        const span = tracing.otel.startSpan(
          service,
          {
            kind: SpanKind.CLIENT,
            attributes: {
              'rpc.system': awsRpcSystem,
              'rpc.service': service,
              'rpc.method': operation,
              ...requestAttributes(args.input),
            },
          },
          parent,
        );
        try {
          const region = typeof config.region === 'function' ? await config.region() : config.region;
          if (typeof region === 'string') span.setAttribute('cloud.region', region);
          const result = await next(args);
          recordResponse(span, result.output?.$metadata);
          return result;
        } catch (error) {
          recordResponse(span, (error as { $metadata?: ResponseMetadata }).$metadata);
          recordError(span, error);
          throw error;
        } finally {
          span.end();
        }
      },
    // initialize runs once per command, around the SDK's retries: one span per call, its attempts counted.
    { step: 'initialize', priority: 'high', name: 'repoTraceAwsCall', override: true },
  );
  return client;
}

/** Annotates the invocation's span (users-api's user id, say). */
export function annotate(tracer: Tracer, annotations: Annotations): void {
  const span = tracings.get(tracer)?.invocation?.span;
  if (!span) return;
  for (const [key, value] of recordable(annotations)) span.setAttribute(key, value);
}

/**
 * Runs one unit of work (an object, a batch message) in its own span named `### <name>`, annotated, so
 * that concurrent jobs in one invocation each get their own SDK calls, duration and error. Work that
 * ends in a permanent rejection without throwing (a corrupt image, a vanished object) is marked too:
 * `rejectionOf` names the reason, which becomes the `rejected` annotation and the span's error status,
 * so `annotation.rejected = "corrupt"` finds them. When tracing is off it just runs the work.
 */
export async function traceWork<Result>(
  tracer: Tracer,
  name: string,
  annotations: Annotations,
  work: () => Promise<Result>,
  rejectionOf?: (result: Result) => string | undefined,
): Promise<Result> {
  const tracing = tracings.get(tracer);
  const parent = tracing && activeParent(tracing);
  if (!tracing || !parent) return work();
  const span = tracing.otel.startSpan(
    `### ${name}`,
    { attributes: Object.fromEntries(recordable(annotations)) },
    parent,
  );
  try {
    const result = await context.with(trace.setSpan(parent, span), work);
    const rejected = rejectionOf?.(result);
    if (rejected !== undefined) {
      span.setAttribute('rejected', rejected);
      span.setStatus({ code: SpanStatusCode.ERROR, message: `rejected: ${rejected}` });
    }
    return result;
  } catch (error) {
    recordError(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** The context to start a child span in: the active span's (a unit of work), else the invocation's. */
function activeParent(tracing: Tracing): OtelContext | undefined {
  const active = context.active();
  const span = trace.getSpan(active);
  if (span?.isRecording()) return active;
  return tracing.invocation?.context;
}

function recordError(span: Span | undefined, error: unknown): void {
  if (!span) return;
  const failure = error instanceof Error ? error : new Error(String(error));
  span.recordException(failure);
  span.setStatus({ code: SpanStatusCode.ERROR, message: failure.name });
}

interface ResponseMetadata {
  httpStatusCode?: number;
  requestId?: string;
  extendedRequestId?: string;
  attempts?: number;
}

function recordResponse(span: Span, metadata: ResponseMetadata | undefined): void {
  if (!metadata) return;
  if (metadata.httpStatusCode !== undefined)
    span.setAttribute('http.response.status_code', metadata.httpStatusCode);
  if (metadata.requestId) span.setAttribute('aws.request_id', metadata.requestId);
  if (metadata.extendedRequestId) span.setAttribute('aws.extended_request_id', metadata.extendedRequestId);
  if (metadata.attempts !== undefined) span.setAttribute('aws.retries', metadata.attempts - 1);
}

/** The request fields the X-Ray SDK recorded for these services, and the attribute each becomes. */
const recordedRequestFields = [
  ['TableName', 'aws.dynamodb.table_name'],
  ['Bucket', 'aws.s3.bucket'],
  ['Key', 'aws.s3.key'],
  ['TopicArn', 'aws.sns.topic_arn'],
  ['QueueUrl', 'aws.sqs.queue_url'],
] as const;

/** Those fields of a command's input, and nothing else of it. */
function requestAttributes(input: Record<string, unknown> | undefined): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [field, attribute] of recordedRequestFields) {
    // DynamoDB's Key is the item's key (a map), never a string: only S3's object key is recorded.
    const value = input?.[field];
    if (typeof value === 'string') attributes[attribute] = value;
  }
  return attributes;
}

/** The part of an AWS SDK v3 client this module uses: its middleware stack and resolved config. */
interface InstrumentableClient {
  config: { serviceId?: unknown; region?: unknown };
  middlewareStack: {
    add(
      middleware: (
        next: (args: {
          input: Record<string, unknown>;
        }) => Promise<{ output: { $metadata?: ResponseMetadata } }>,
        context: { clientName?: string; commandName?: string },
      ) => (args: {
        input: Record<string, unknown>;
      }) => Promise<{ output: { $metadata?: ResponseMetadata } }>,
      options: { step: 'initialize'; priority: 'high'; name: string; override: boolean },
    ): void;
  };
}

/** The annotations that have a value (X-Ray's 1,000-character limit is applied where they are exported). */
function recordable(annotations: Annotations): [string, string | number | boolean][] {
  return Object.entries(annotations).filter(
    (entry): entry is [string, string | number | boolean] => entry[1] !== undefined,
  );
}
