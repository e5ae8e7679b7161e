import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { type AttributeValue, type HrTime, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import { xrayTraceId } from './xray-ids.ts';

/**
 * Finished OpenTelemetry spans as X-Ray segment documents, sent over UDP to the X-Ray daemon that Lambda
 * runs beside a function with `Tracing: Active` — the documents the X-Ray SDK sent, so the X-Ray console,
 * `annotation.*` searches and this repo's local daemon (@repo/aws-local/xray-daemon) read them unchanged.
 * The export path chosen by measurement (issue 19): see the package README, "Export".
 */

/** The span attributes that X-Ray indexes as annotations (searchable: `annotation.objectKey = "…"`). */
export const annotationKeys: ReadonlySet<string> = new Set([
  'ColdStart',
  'Service',
  'bucket',
  'objectKey',
  'messageId',
  'userId',
  'rejected',
]);

/** The attributes of an AWS SDK call span (traceClient), each with the X-Ray `aws` field it becomes. */
export const awsAttributes = {
  'rpc.method': 'operation',
  'cloud.region': 'region',
  'aws.request_id': 'request_id',
  'aws.extended_request_id': 'id_2',
  'aws.retries': 'retries',
  'aws.dynamodb.table_name': 'table_name',
  'aws.s3.bucket': 'bucket_name',
  'aws.s3.key': 'key',
  'aws.sns.topic_arn': 'topic_arn',
  'aws.sqs.queue_url': 'queue_url',
} as const;

/** Marks an AWS SDK call span (OpenTelemetry's `rpc.system` for the AWS API); `rpc.service` names it. */
export const awsRpcSystem = 'aws-api';

/** X-Ray keeps string annotation values up to 1,000 characters; S3 keys may have 1,024 bytes. */
const maxAnnotationLength = 1_000;

/** One (sub)segment document as the X-Ray daemon takes it. */
export interface SegmentDocument {
  id: string;
  trace_id: string;
  name: string;
  type?: 'subsegment';
  parent_id?: string;
  namespace?: 'aws';
  start_time: number;
  end_time: number;
  error?: true;
  fault?: true;
  throttle?: true;
  annotations?: Record<string, string | number | boolean>;
  aws?: Record<string, string | number>;
  http?: { response: { status: number } };
  cause?: { exceptions: { id: string; type?: string; message?: string; remote?: true }[] };
}

/**
 * The X-Ray document of one finished span: a subsegment of its parent (the invocation's parent is Lambda's
 * own segment, named by the trace header), an AWS SDK call in the `aws` namespace named after its service,
 * allow-listed attributes as annotations, errors flagged as the X-Ray SDK flagged them (4xx error, 429
 * throttle, 5xx or a thrown exception fault, a permanent rejection error) with their cause.
 */
export function segmentDocument(span: ReadableSpan): SegmentDocument {
  const { traceId, spanId } = span.spanContext();
  const attributes = span.attributes;
  const isAwsCall = attributes['rpc.system'] === awsRpcSystem;
  const document: SegmentDocument = {
    id: spanId,
    trace_id: xrayTraceId(traceId),
    name: isAwsCall ? String(attributes['rpc.service'] ?? span.name) : span.name,
    start_time: epochSeconds(span.startTime),
    end_time: epochSeconds(span.endTime),
  };
  const parentId = span.parentSpanContext?.spanId;
  if (parentId) {
    document.type = 'subsegment';
    document.parent_id = parentId;
  }
  if (isAwsCall) {
    document.namespace = 'aws';
    const aws: Record<string, string | number> = {};
    for (const [attribute, field] of Object.entries(awsAttributes)) {
      const value = attributes[attribute];
      if (typeof value === 'string' || typeof value === 'number') aws[field] = value;
    }
    document.aws = aws;
  }
  const status = attributes['http.response.status_code'];
  if (typeof status === 'number') document.http = { response: { status } };

  const annotations = annotationsOf(attributes);
  if (annotations) document.annotations = annotations;

  const exceptions = span.events
    .filter((event) => event.name === 'exception')
    .map((event) => ({
      id: randomBytes(8).toString('hex'),
      ...stringField('type', event.attributes?.['exception.type']),
      ...stringField('message', event.attributes?.['exception.message']),
      ...(isAwsCall ? { remote: true as const } : {}),
    }));
  if (exceptions.length > 0) document.cause = { exceptions };

  if (typeof status === 'number' && status >= 400) {
    if (status >= 500) document.fault = true;
    else document.error = true;
    if (status === 429) document.throttle = true;
  } else if (span.status.code === SpanStatusCode.ERROR) {
    // A permanent rejection is the caller's (an error); anything thrown is ours (a fault).
    if (attributes.rejected !== undefined && exceptions.length === 0) document.error = true;
    else document.fault = true;
  }
  return document;
}

function annotationsOf(
  attributes: Readonly<Record<string, AttributeValue | undefined>>,
): Record<string, string | number | boolean> | undefined {
  const annotations: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (!annotationKeys.has(key)) continue;
    if (typeof value === 'string') annotations[key] = value.slice(0, maxAnnotationLength);
    else if (typeof value === 'number' || typeof value === 'boolean') annotations[key] = value;
  }
  return Object.keys(annotations).length > 0 ? annotations : undefined;
}

const stringField = <Key extends string>(key: Key, value: unknown) =>
  typeof value === 'string' ? ({ [key]: value } as Record<Key, string>) : {};

/** X-Ray's times are epoch seconds with fractions; OpenTelemetry's are [seconds, nanoseconds]. */
const epochSeconds = ([seconds, nanoseconds]: HrTime) => seconds + nanoseconds / 1e9;

/** What the X-Ray daemon expects before each document, one document per datagram. */
const daemonHeader = '{"format":"json","version":1}\n';

/**
 * Where Lambda's X-Ray daemon listens: AWS_XRAY_DAEMON_ADDRESS is `host:port`, or `tcp:host:port
 * udp:host:port` when the two differ; 127.0.0.1:2000 otherwise.
 */
export function daemonAddress(setting: string | undefined): { host: string; port: number } {
  const parts = (setting ?? '').trim().split(/\s+/);
  const udp = parts.find((part) => part.startsWith('udp:'))?.slice('udp:'.length) ?? parts[0] ?? '';
  const match = /^(.+):(\d+)$/.exec(udp);
  return match ? { host: match[1] as string, port: Number(match[2]) } : { host: '127.0.0.1', port: 2000 };
}

/**
 * A span processor that sends each sampled span's document to the daemon as the span ends, as the X-Ray
 * SDK streamed its subsegments; `forceFlush` resolves once every send has left the socket, so that a
 * handler can wait for its spans before Lambda freezes the process. Loopback UDP: no connection, no retry.
 */
export class XRayDaemonSpanProcessor implements SpanProcessor {
  readonly #host: string;
  readonly #port: number;
  #socket: Socket | undefined;
  #sending = 0;
  #flushed: (() => void)[] = [];

  constructor(address: string | undefined) {
    ({ host: this.#host, port: this.#port } = daemonAddress(address));
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    this.#send(daemonHeader + JSON.stringify(segmentDocument(span)));
  }

  forceFlush(): Promise<void> {
    if (this.#sending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#flushed.push(resolve));
  }

  shutdown(): Promise<void> {
    return this.forceFlush().then(() => {
      this.#socket?.close();
      this.#socket = undefined;
    });
  }

  #send(datagram: string): void {
    if (!this.#socket) {
      this.#socket = createSocket('udp4');
      // The daemon may be gone (a test's, after it closed): a trace is never worth a crash.
      this.#socket.on('error', () => {});
      this.#socket.unref();
    }
    this.#sending += 1;
    this.#socket.send(datagram, this.#port, this.#host, () => {
      this.#sending -= 1;
      if (this.#sending > 0) return;
      const flushed = this.#flushed;
      this.#flushed = [];
      for (const resolve of flushed) resolve();
    });
  }
}
