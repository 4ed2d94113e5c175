// Unit tests of www/poller.js (no browser): the one poller behind the out-of-distribution and
// η-sweep read-outs asks at most once at a time, never twice for a step, not too often while
// training, and at once when training stops or a setting changes.

import assert from "node:assert/strict";
import { test } from "node:test";
import { createPoller } from "../www/poller.js";

/** A poller on a fake clock whose asks the test answers by hand. */
function setup({ everyMs = 2000, ms = 500 } = {}) {
  const t = { now: 0, asks: [], values: 0, errors: [] };
  t.poller = createPoller(
    () =>
      new Promise((resolve, reject) => {
        t.asks.push({ resolve, reject });
      }),
    {
      everyMs,
      ms,
      now: () => t.now,
      onValue: () => t.values++,
      onError: (e) => t.errors.push(e.message),
    },
  );
  return t;
}

const settle = () => new Promise((r) => setTimeout(r, 0));

test("idle: asks at once, once per step, and keeps the value", async () => {
  const t = setup();
  t.poller.poll(7, false);
  assert.equal(t.asks.length, 1);
  assert.equal(t.poller.busy, true);
  t.poller.poll(8, false); // busy: the pending request is the flag
  assert.equal(t.asks.length, 1);
  t.asks[0].resolve({ value: ["rows"], ms: 40 });
  await settle();
  assert.equal(t.poller.busy, false);
  assert.deepEqual(t.poller.value, ["rows"]);
  assert.equal(t.values, 1);
  t.poller.poll(7, false); // same step as last asked: nothing new to measure
  assert.equal(t.asks.length, 1);
  t.poller.poll(9, false);
  assert.equal(t.asks.length, 2);
});

test("training: waits max(everyMs, 5 × the last cost) since the last value", async () => {
  const t = setup({ everyMs: 2000, ms: 500 });
  t.now = 2500; // 5 × 500 ms of the first guess
  t.poller.poll(1, true);
  assert.equal(t.asks.length, 0);
  t.now = 2501;
  t.poller.poll(1, true);
  assert.equal(t.asks.length, 1);
  t.asks[0].resolve({ value: 1, ms: 100 }); // cheaper now: everyMs rules
  await settle();
  t.now = 2501 + 2000;
  t.poller.poll(2, true);
  assert.equal(t.asks.length, 1);
  t.now += 1;
  t.poller.poll(2, true);
  assert.equal(t.asks.length, 2);
});

test("urgent asks while training at once, but not twice for a step", async () => {
  const t = setup();
  t.poller.poll(3, true, true);
  assert.equal(t.asks.length, 1);
  t.asks[0].resolve({ value: 1, ms: 10 });
  await settle();
  t.poller.poll(3, true, true);
  assert.equal(t.asks.length, 1);
  t.poller.invalidate(); // a setting changed: the same step is worth asking again
  t.poller.poll(3, true, true);
  assert.equal(t.asks.length, 2);
});

test("a new run forgets the value and waits again", async () => {
  const t = setup({ everyMs: 2000, ms: 100 });
  t.poller.poll(5, false);
  t.asks[0].resolve({ value: "old", ms: 100 });
  await settle();
  t.now = 10000;
  t.poller.reset();
  assert.equal(t.poller.value, null);
  t.poller.poll(5, true);
  assert.equal(t.asks.length, 1, "too soon after the run started");
  t.now = 12001;
  t.poller.poll(5, true);
  assert.equal(t.asks.length, 2);
});

test("a failed ask clears the busy flag and reports the error", async () => {
  const t = setup();
  t.poller.poll(1, false);
  t.asks[0].reject(new Error("the engine failed"));
  await settle();
  assert.equal(t.poller.busy, false);
  assert.deepEqual(t.errors, ["the engine failed"]);
  assert.equal(t.values, 0);
  assert.equal(t.poller.value, null);
  t.poller.poll(2, false);
  assert.equal(t.asks.length, 2);
});
