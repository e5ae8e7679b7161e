/**
 * What processing one S3 object came to. `Done` is the work's own result (`resized`, `recorded` …);
 * every work shares the other two: `skipped` (not ours to process, by rule) and `rejected` (permanent:
 * the object as it is fails the same way on every retry). A transient fault is not an outcome: it is
 * thrown, so Lambda or SQS retries.
 */
export type ObjectOutcome<Done extends { status: string }> = Done | SkippedOutcome | RejectedOutcome;

export interface SkippedOutcome {
  status: 'skipped';
  reason: SkipReason;
}

/**
 * `superseded`: the key holds a newer version than the event's — the newer one has an event of its own,
 * and only work that must see every version (a record of each) goes on with the old one.
 */
export type SkipReason = 'outside-input-prefix' | 'folder-marker' | 'empty-object' | 'superseded';

export interface RejectedOutcome {
  status: 'rejected';
  /** A short, stable word for metrics and trace searches: `corrupt`, `object-gone`, `too-large` … */
  reason: string;
  message: string;
}

/**
 * The one way to say "permanent": retrying the same object cannot help (it is gone, changed, too large,
 * not an image, corrupt). Thrown by the work, turned into a `rejected` outcome in one place
 * (processObject); anything else thrown is a fault worth a retry.
 */
export class PermanentError extends Error {
  override name = 'PermanentError';
  constructor(
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The rejected outcome a permanent error stands for. */
export function rejectedBy(error: PermanentError): RejectedOutcome {
  return { status: 'rejected', reason: error.reason, message: error.message };
}

/**
 * Why a key is not ours, by the rules every S3 function shares: outside its input prefix (or inside
 * its own output prefix, so that outputs never trigger it again), or a folder marker ("uploads/2026/",
 * which the console creates and which is no upload). Undefined when the key is ours.
 */
export function skipReasonOf(
  key: string,
  { inputPrefix, outputPrefix }: { inputPrefix: string; outputPrefix?: string },
): SkippedOutcome | undefined {
  if (!key.startsWith(inputPrefix) || (outputPrefix !== undefined && key.startsWith(outputPrefix)))
    return { status: 'skipped', reason: 'outside-input-prefix' };
  if (key.endsWith('/')) return { status: 'skipped', reason: 'folder-marker' };
  return undefined;
}
