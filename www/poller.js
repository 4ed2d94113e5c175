// One read-out that costs the worker some time (the out-of-distribution losses, the η sweep):
// asked for every few seconds while training (never more than ~20% of the time), at once when
// a setting changes or training stops, and never twice for the same step. The pending request
// is the busy flag.

/**
 * A poller of `ask()` (a promise of {value, ms}). `everyMs`: the least time between two asks
 * while training; `ms`: a first guess of what one costs. `onValue()` runs when a new value has
 * arrived, `onError(err)` when an ask fails.
 */
export function createPoller(ask, { everyMs, ms, onValue, onError, now = () => performance.now() }) {
  let pending = null; // the request in flight
  let askedAt = -1; // the step it was last asked at
  let at = now(); // when the last value arrived (or the run started)
  let cost = ms;
  let value = null;

  return {
    /** The latest value (null until one arrives for this run). */
    get value() {
      return value;
    },
    get busy() {
      return pending !== null;
    },
    /** A new run: forget the value, and wait before asking while it trains. */
    reset() {
      value = null;
      askedAt = -1;
      at = now();
    },
    /** A setting changed: the next poll asks again even at the same step. */
    invalidate() {
      askedAt = -1;
    },
    /** Asks for step `step` unless busy or asked at that step; while `training`, not too often. */
    poll(step, training, urgent = false) {
      if (pending || askedAt === step) return;
      if (training && !urgent && now() - at <= Math.max(everyMs, 5 * cost)) return;
      askedAt = step;
      pending = ask().then(
        (r) => {
          pending = null;
          if (!r) return; // the worker had no run to measure
          value = r.value;
          cost = r.ms;
          at = now();
          onValue();
        },
        (err) => {
          pending = null;
          onError(err);
        },
      );
    },
  };
}
