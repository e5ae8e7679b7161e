/**
 * Bench-only candidate export path for issue 19 (never shipped): the same OpenTelemetry tracer, its spans
 * sent as OTLP/JSON over HTTP to a collector running as a Lambda extension (the OpenTelemetry Lambda
 * collector's receiver, localhost:4318/v1/traces). Lambda freezes the process when the handler returns,
 * so the invocation's spans are POSTed in `forceFlush`, which the tracer's middleware awaits: that round
 * trip is inside every invocation, which is what the bench measures. Hand-written (no exporter package,
 * ~20 KB more) from /tmp/otel-research's OtlpJsonHttpExporter.
 */
import { Agent, request } from 'node:http';
import { type AttributeValue, type HrTime, TraceFlags } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';

/** Spans this process handed to a request (the bench compares them with those its receiver counted). */
export const exported = { spans: 0 };

type AnyValue =
  | { stringValue: string }
  | { intValue: string }
  | { doubleValue: number }
  | { boolValue: boolean }
  | { arrayValue: { values: AnyValue[] } };

const nanos = ([seconds, nanoseconds]: HrTime) =>
  (BigInt(seconds) * 1_000_000_000n + BigInt(nanoseconds)).toString();

function anyValue(value: AttributeValue | unknown): AnyValue {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number')
    return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(anyValue) } };
  return { stringValue: String(value) };
}

function keyValues(attributes: Record<string, unknown> = {}) {
  return Object.entries(attributes)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => ({ key, value: anyValue(value) }));
}

/** The OTLP/JSON ExportTraceServiceRequest of `spans` (one resource: one function's process). */
export function otlpJson(spans: readonly ReadableSpan[]): string {
  const scopes = new Map<string, { scope: { name: string; version?: string }; spans: unknown[] }>();
  for (const span of spans) {
    const key = `${span.instrumentationScope.name}@${span.instrumentationScope.version ?? ''}`;
    let entry = scopes.get(key);
    if (!entry) {
      entry = { scope: span.instrumentationScope, spans: [] };
      scopes.set(key, entry);
    }
    const { traceId, spanId, traceFlags } = span.spanContext();
    entry.spans.push({
      traceId,
      spanId,
      parentSpanId: span.parentSpanContext?.spanId,
      flags: traceFlags,
      name: span.name,
      kind: span.kind + 1, // the API's SpanKind 0..4 is OTLP's 1..5
      startTimeUnixNano: nanos(span.startTime),
      endTimeUnixNano: nanos(span.endTime),
      attributes: keyValues(span.attributes),
      events: span.events.map((event) => ({
        name: event.name,
        timeUnixNano: nanos(event.time),
        attributes: keyValues(event.attributes),
      })),
      status: { code: span.status.code, message: span.status.message },
    });
  }
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: keyValues(spans[0]?.resource.attributes) },
        scopeSpans: [...scopes.values()],
      },
    ],
  });
}

/**
 * Buffers the sampled spans of an invocation and POSTs them in one request on `forceFlush`, resolving when
 * the collector has answered (or failed: a trace is never worth a crash). One kept-alive connection, as
 * the extension's receiver on localhost allows: the best case for this path.
 */
export class OtlpHttpSpanProcessor implements SpanProcessor {
  readonly #url: string;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 1 });
  #buffer: ReadableSpan[] = [];

  constructor(
    url = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
      `${process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://localhost:4318'}/v1/traces`,
  ) {
    this.#url = url;
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    this.#buffer.push(span);
  }

  forceFlush(): Promise<void> {
    const spans = this.#buffer;
    if (spans.length === 0) return Promise.resolve();
    this.#buffer = [];
    const body = otlpJson(spans);
    exported.spans += spans.length;
    return new Promise((resolve) => {
      const post = request(
        this.#url,
        {
          method: 'POST',
          agent: this.#agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          timeout: 1_000,
        },
        (response) => {
          response.resume();
          response.on('end', resolve);
          response.on('error', () => resolve());
        },
      );
      post.on('timeout', () => post.destroy());
      post.on('error', () => resolve());
      post.end(body);
    });
  }

  shutdown(): Promise<void> {
    return this.forceFlush().then(() => this.#agent.destroy());
  }
}
