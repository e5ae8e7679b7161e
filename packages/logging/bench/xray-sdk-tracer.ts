// The Powertools Tracer (AWS X-Ray SDK) exactly as @repo/logging/tracer had it before issue 19 (4b845ae), kept
// for the observability bench only: bench.ts aliases @repo/logging/tracer to this file to measure what the
// old tracer cost against the shipped OpenTelemetry one in the same run. Never import it from src/ or an app.
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj } from '@middy/core';

export type { Tracer } from '@aws-lambda-powertools/tracer';

/** What X-Ray indexes for search: `annotation.objectKey = "uploads/cat.jpg"` in a filter expression. */
export type Annotations = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * Builds the function's one Powertools Tracer (AWS X-Ray); call it once at module scope. It traces only
 * where Lambda runs the function with `Tracing: Active` (the template's Globals): in tests, benches and
 * wherever AWS_EXECUTION_ENV is unset, or with POWERTOOLS_TRACE_ENABLED=false, every call below is a
 * no-op. Outgoing HTTPS calls are not traced separately: the AWS SDK clients are (see traceClient), and
 * they make all of this repo's calls.
 */
export function createTracer({ serviceName }: { serviceName: string }): Tracer {
  return new Tracer({ serviceName, captureHTTPsRequests: false });
}

/**
 * middy middleware: the invocation as a `## <handler>` subsegment with the ColdStart and Service
 * annotations, errors recorded on it. The response is never captured: API bodies, batch reports and
 * object listings do not belong in a trace (X-Ray documents are capped at 64 KB anyway).
 */
export function withTracing(tracer: Tracer): MiddlewareObj[] {
  return [captureLambdaHandler(tracer, { captureResponse: false }) as MiddlewareObj];
}

/**
 * The same client with every command recorded as a subsegment (service, operation, region, request id,
 * retries, status, and the SDK's allow-listed request fields such as TableName — never items or bodies).
 * Wrap each client once, where it is built.
 */
export function traceClient<Client extends object>(tracer: Tracer, client: Client): Client {
  return tracer.captureAWSv3Client(client);
}

/** Annotates the invocation's subsegment (users-api's user id, say). */
export function annotate(tracer: Tracer, annotations: Annotations): void {
  if (!tracer.isTracingEnabled()) return;
  for (const [key, value] of recordable(annotations)) tracer.putAnnotation(key, value);
}

/**
 * Runs one unit of work (an object, a batch message) in its own subsegment named `name`, annotated, so
 * that concurrent jobs in one invocation each get their own SDK calls, duration and error. Work that
 * ends in a permanent rejection without throwing (a corrupt image, a vanished object) is marked too:
 * `rejectionOf` names the reason, which becomes the `rejected` annotation and the subsegment's error
 * flag, so `annotation.rejected = "corrupt"` finds them. When tracing is off it just runs the work.
 */
export async function traceWork<Result>(
  tracer: Tracer,
  name: string,
  annotations: Annotations,
  work: () => Promise<Result>,
  rejectionOf?: (result: Result) => string | undefined,
): Promise<Result> {
  if (!tracer.isTracingEnabled()) return work();
  // captureAsyncFunc runs the work in a context of its own and returns what it returns.
  return tracer.provider.captureAsyncFunc(`### ${name}`, async (subsegment) => {
    for (const [key, value] of recordable(annotations)) subsegment?.addAnnotation(key, value);
    try {
      const result = await work();
      const rejected = rejectionOf?.(result);
      if (rejected !== undefined) {
        subsegment?.addAnnotation('rejected', annotationValue(rejected));
        subsegment?.addErrorFlag();
      }
      return result;
    } catch (error) {
      subsegment?.addError(error as Error);
      throw error;
    } finally {
      subsegment?.close();
    }
  }) as Promise<Result>;
}

/** X-Ray keeps string annotation values up to 1,000 characters; S3 keys may have 1,024 bytes. */
const maxAnnotationLength = 1_000;

/** The annotations that have a value, each as X-Ray keeps it. */
function recordable(annotations: Annotations): [string, string | number | boolean][] {
  return Object.entries(annotations).flatMap(([key, value]) =>
    value === undefined ? [] : [[key, annotationValue(value)] as [string, string | number | boolean]],
  );
}

function annotationValue(value: string | number | boolean): string | number | boolean {
  return typeof value === 'string' && value.length > maxAnnotationLength
    ? value.slice(0, maxAnnotationLength)
    : value;
}
