/** What the local stack hands around: outcomes of one invocation, and the resources it created. */

export interface InvokeError {
  errorType: string;
  errorMessage: string;
  stackTrace?: string[];
}

/** What every outcome carries: the invocation's request id and X-Ray trace id, how long it took. */
interface InvocationFacts {
  requestId: string;
  /** The invocation's X-Ray trace id (its `_X_AMZN_TRACE_ID` Root); absent when it never ran. */
  traceId?: string;
  durationMs: number;
  initMs?: number;
}

export type InvokeOutcome =
  | ({ ok: true; result: unknown } & InvocationFacts)
  | ({ ok: false; error: InvokeError } & InvocationFacts);

/** The error Lambda answers an invocation over the function's concurrency limit with (HTTP 429). */
export const throttledError: InvokeError = {
  errorType: 'TooManyRequestsException',
  errorMessage: 'Rate Exceeded.',
};

export const isThrottled = (outcome: InvokeOutcome) =>
  !outcome.ok && outcome.error.errorType === throttledError.errorType;

/**
 * Invokes one function (by logical id) once with `event`, as Lambda would, and resolves with the
 * outcome. It never rejects for a handler error, a timeout or a crash: those are `ok: false` outcomes.
 * `trigger` names the event source for the invocation log line (e.g. `GET /users`, `sqs:jobs`).
 */
export type Invoke = (
  logicalId: string,
  event: unknown,
  trigger: string,
  options?: InvokeOptions,
) => Promise<InvokeOutcome>;

export interface InvokeOptions {
  /** The caller's X-Amzn-Trace-Id: the invocation joins its trace (as behind API Gateway with tracing). */
  traceHeader?: string;
}

/** One line for the developer: what happened, already formatted. */
export type Log = (line: string) => void;

/** A resource the local stack created, by logical id. */
export interface LocalResource {
  type: string;
  /** What `!Ref` returns for this type in CloudFormation (bucket/table name, queue URL, topic ARN …). */
  ref: string;
  /** What `!GetAtt <id>.<Attribute>` returns (Arn, QueueName, QueueUrl, StreamArn …). */
  attributes: Record<string, string>;
}
