/** What the local stack hands around: outcomes of one invocation, and the resources it created. */

export interface InvokeError {
  errorType: string;
  errorMessage: string;
  stackTrace?: string[];
}

export type InvokeOutcome =
  | { ok: true; result: unknown; requestId: string; durationMs: number; initMs?: number }
  | { ok: false; error: InvokeError; requestId: string; durationMs: number; initMs?: number };

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
export type Invoke = (logicalId: string, event: unknown, trigger: string) => Promise<InvokeOutcome>;

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
