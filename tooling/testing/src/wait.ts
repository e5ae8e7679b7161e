import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `check` until it returns a value other than undefined, or fails after `timeoutMs` naming `what`
 * (a function is asked only then, so it can say what did arrive). The default deadline is generous: it
 * only bounds a test that is failing, and a loaded CI machine is slow. Tests wait with this, never sleep.
 */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  what: string | (() => string) = 'condition',
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`,
      );
    }
    await sleep(everyMs);
  }
}

/** Waits until `condition` holds (see eventually). */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs?: number,
  what = String(condition),
): Promise<void> {
  await eventually(async () => ((await condition()) ? true : undefined), timeoutMs, what);
}
