// Unit tests of www/scales.js (no browser): nice linear and log ticks, the padded range of an
// axis, data-to-pixel scales and the nearest-sample search of the hover readout.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { atLeast3, extent, logTicks, makeScale, nearestIndex, niceTicks } from "../www/scales.js";

const close = (a, b, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} ≉ ${b}`);

describe("niceTicks", () => {
  test("steps of 1, 2, 2.5 or 5 times a power of ten, inside the range", () => {
    assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(-3, 7, 4), [-2.5, 0, 2.5, 5]);
    assert.deepEqual(niceTicks(0, 1000, 4), [0, 250, 500, 750, 1000]);
    assert.deepEqual(niceTicks(0.1, 0.35, 5), [0.1, 0.15, 0.2, 0.25, 0.3, 0.35]);
  });

  test("ticks near zero are exactly 0, with no rounding noise", () => {
    const t = niceTicks(-0.3, 0.3, 6);
    assert.deepEqual(t, [-0.3, -0.2, -0.1, 0, 0.1, 0.2, 0.3]);
    assert.ok(Object.is(t[3], 0));
  });

  test("an empty range gives its one value", () => {
    assert.deepEqual(niceTicks(5, 5, 3), [5]);
  });

  test("atLeast3 raises the count until three ticks fit", () => {
    assert.deepEqual(niceTicks(0, 1, 1), [0, 1]);
    assert.deepEqual(atLeast3(0, 1, 1), [0, 0.5, 1]);
    assert.deepEqual(atLeast3(0, 1, 5), niceTicks(0, 1, 5));
  });
});

describe("logTicks", () => {
  test("one tick per decade when 1-2-5 would be too many", () => {
    assert.deepEqual(logTicks(1e-3, 10, 8), [0.001, 0.01, 0.1, 1, 10]);
  });

  test("1, 2 and 5 in each decade when there is room", () => {
    assert.deepEqual(logTicks(1, 100, 10), [1, 2, 5, 10, 20, 50, 100]);
  });

  test("every other decade when decades outnumber the count", () => {
    // 10 ** -4 is 0.00009999999999999999 in floating point: compare to rounding.
    const t = logTicks(1e-6, 1, 3);
    assert.equal(t.length, 4);
    [1e-6, 1e-4, 0.01, 1].forEach((v, i) => close(t[i], v));
  });

  test("less than 1.2 decades: linear ticks", () => {
    assert.deepEqual(logTicks(2, 8, 10), [2, 4, 6, 8]);
  });
});

describe("makeScale", () => {
  test("linear: maps the range onto the pixels and back", () => {
    const s = makeScale("lin", 0, 10, 100, 200);
    assert.equal(s.map(0), 100);
    assert.equal(s.map(5), 150);
    assert.equal(s.map(10), 200);
    assert.equal(s.inv(150), 5);
    assert.equal(s.log, false);
    assert.equal(s.usable(-1), true);
    assert.equal(s.usable(null), false);
    assert.equal(s.usable(NaN), false);
  });

  test("a y axis runs from the bottom pixel up", () => {
    const y = makeScale("lin", 0, 1, 300, 100);
    assert.equal(y.map(0), 300);
    assert.equal(y.map(1), 100);
    assert.equal(y.map(0.25), 250);
  });

  test("log: equal ratios take equal pixels; non-positive values are unusable", () => {
    const s = makeScale("log", 1, 100, 0, 200);
    close(s.map(10), 100);
    close(s.map(100), 200);
    close(s.inv(100), 10);
    close(s.inv(50), 10 ** 0.5);
    assert.equal(s.usable(0), false);
    assert.equal(s.usable(-3), false);
    assert.equal(s.usable(1e-30), true);
  });
});

describe("extent", () => {
  test("pads a linear range by 6% on each side", () => {
    const [lo, hi] = extent([1, 2, 3], "lin");
    close(lo, 0.88);
    close(hi, 3.12);
  });

  test("an end that is an included value is not padded", () => {
    const [lo, hi] = extent([1, 2, 3], "lin", [0]);
    assert.equal(lo, 0);
    close(hi, 3.18);
  });

  test("skips null and NaN; nothing left gives null", () => {
    assert.equal(extent([null, NaN, undefined], "lin"), null);
    assert.equal(extent([], "log", []), null);
    const [lo, hi] = extent([null, 2, NaN, 4], "lin");
    close(lo, 1.88);
    close(hi, 4.12);
  });

  test("a single value gets a range of ±10% (or ±1 at zero)", () => {
    assert.deepEqual(extent([5, 5], "lin"), [4.5, 5.5]);
    assert.deepEqual(extent([0], "lin"), [-1, 1]);
  });

  test("log: ignores values ≤ 0 and pads by a fraction of the decades", () => {
    const [lo, hi] = extent([0, -1, 10, 1000], "log");
    close(lo, 10 / 10 ** 0.12);
    close(hi, 1000 * 10 ** 0.12);
    assert.equal(extent([0, -2], "log"), null);
  });
});

describe("nearestIndex", () => {
  const xs = [0, 10, 20, 30];
  test("finds the nearest sample of a sorted array", () => {
    assert.equal(nearestIndex(xs, 14), 1);
    assert.equal(nearestIndex(xs, 16), 2);
    assert.equal(nearestIndex(xs, 30), 3);
  });
  test("clamps outside the range, prefers the lower on a tie, −1 when empty", () => {
    assert.equal(nearestIndex(xs, -5), 0);
    assert.equal(nearestIndex(xs, 100), 3);
    assert.equal(nearestIndex(xs, 5), 0);
    assert.equal(nearestIndex([], 3), -1);
    assert.equal(nearestIndex([7], 3), 0);
  });
});

test("a flat series with rounding noise gets one tick, not an endless loop", () => {
  assert.deepEqual(niceTicks(1671.5718994140625, 1671.5718994140627, 5), [1671.5718994140625]);
  assert.deepEqual(logTicks(0, 10, 5), [0]);
});
