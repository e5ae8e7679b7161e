/**
 * Counts how many calls of a fake are in flight at once, without depending on how fast the machine is:
 * each call is held open until `bound` calls are in flight together (or the last of `calls` has
 * started), then the held calls are released together. So a limiter that admits `bound` jobs reaches
 * `bound` on any machine, however slow, and one that admits more shows it: a release waits for the event
 * loop to turn once (setImmediate), by which time every call that could start without I/O has started.
 * A limiter that admits fewer would hold its calls forever; after `stallMs` they are released anyway,
 * so the test fails on the count rather than on its timeout.
 */
export function inFlightProbe({
  bound,
  calls,
  stallMs = 15_000,
}: {
  bound: number;
  calls: number;
  stallMs?: number;
}) {
  let inFlight = 0;
  let started = 0;
  let max = 0;
  let stalled = false;
  let releasing = false;
  let held: (() => void)[] = [];
  let watchdog: NodeJS.Timeout | undefined;

  const release = () => {
    releasing = false;
    clearTimeout(watchdog);
    watchdog = undefined;
    const gates = held;
    held = [];
    for (const open of gates) open();
  };
  const releaseWhenDue = () => {
    if (releasing || (inFlight < bound && started < calls && !stalled)) return;
    releasing = true;
    setImmediate(release);
  };

  return {
    /** The most calls in flight at once so far. */
    get max() {
      return max;
    },
    /** Runs one call of the fake: counted in flight until released, then answered with `answer()`. */
    async hold<Result>(answer: () => Result): Promise<Result> {
      started += 1;
      inFlight += 1;
      max = Math.max(max, inFlight);
      const gate = new Promise<void>((resolve) => held.push(resolve));
      watchdog ??= setTimeout(() => {
        stalled = true;
        release();
      }, stallMs);
      releaseWhenDue();
      await gate;
      inFlight -= 1;
      return answer();
    },
  };
}
