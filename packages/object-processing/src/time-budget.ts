/**
 * The invocation is about to run out of time: a step is not started rather than killed half-way.
 * Not the object's fault, so it is thrown like a fault (Lambda retries the event; SQS delivers the
 * message again), never turned into a rejection.
 */
export class NoTimeLeftError extends Error {
  override readonly name = 'NoTimeLeftError';
  constructor(step: string, remainingMs: number, neededMs: number) {
    super(`Not starting "${step}": ${remainingMs} ms left, ${neededMs} ms needed`);
  }
}

/** How much of the invocation is left, and the least a step needs to start. */
export interface TimeBudget {
  /** Throws NoTimeLeftError unless at least the budget's minimum is left for `step`. */
  ensure(step: string): void;
}

/** The budget of one invocation: `remainingMs` is the Lambda context's getRemainingTimeInMillis. */
export function timeBudget(
  context: { getRemainingTimeInMillis(): number },
  minRemainingMs: number,
): TimeBudget {
  return {
    ensure(step) {
      const left = context.getRemainingTimeInMillis();
      if (left < minRemainingMs) throw new NoTimeLeftError(step, left, minRemainingMs);
    },
  };
}
