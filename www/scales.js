// Axis maths for the plots, with no DOM: "nice" linear and log ticks, the padded data range of
// an axis, the data-to-pixel scale, and the nearest sample to a cursor. Unit-tested in Node.

import { isNum } from "./format.js";

/** Evenly spaced "nice" ticks covering [lo, hi], about `count` of them. */
export function niceTicks(lo, hi, count) {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  // A span below the values' float resolution (a flat series with rounding noise) or a
  // non-finite one has no nice ticks: v += step would never move.
  if (!Number.isFinite(first) || !Number.isFinite(last) || last - first > 1000 || step <= Math.abs(lo) * 1e-12) return [lo];
  const out = [];
  for (let i = first; i <= last; i++) {
    const v = i * step;
    out.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  }
  return out;
}

/** niceTicks, with the count raised until at least three ticks fall in range. */
export function atLeast3(lo, hi, count) {
  let t = niceTicks(lo, hi, count);
  for (let k = 0; k < 3 && t.length < 3; k++) t = niceTicks(lo, hi, (count = count * 2));
  return t;
}

/** Ticks for a log axis on [lo, hi]: decades, with 2 and 5 between when there is room. */
export function logTicks(lo, hi, count) {
  const decades = Math.log10(hi / lo);
  if (!(lo > 0) || !Number.isFinite(decades)) return [lo];
  if (decades < 1.2) return atLeast3(lo, hi, Math.min(count, 5));
  const e0 = Math.floor(Math.log10(lo));
  const e1 = Math.ceil(Math.log10(hi));
  const mults = decades * 2.5 <= count ? [1, 2, 5] : [1];
  const every = Math.max(1, Math.ceil(decades / count));
  const out = [];
  for (let e = e0; e <= e1; e++) {
    if (mults.length === 1 && (e - e0) % every !== 0) continue;
    for (const m of mults) {
      const v = m * 10 ** e;
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}

/**
 * A scale ("lin" or "log") mapping data on [lo, hi] to pixels on [p0, p1]: {lo, hi, log,
 * map(v), inv(p), usable(v)}; usable is false for null/NaN and, on a log scale, for v ≤ 0.
 */
export function makeScale(kind, lo, hi, p0, p1) {
  const log = kind === "log";
  const f = log ? Math.log10 : (v) => v;
  const a = f(lo);
  const b = f(hi);
  const map = (v) => p0 + ((f(v) - a) / (b - a || 1)) * (p1 - p0);
  const inv = (p) => {
    const t = a + ((p - p0) / (p1 - p0 || 1)) * (b - a);
    return log ? 10 ** t : t;
  };
  const usable = (v) => isNum(v) && (!log || v > 0);
  return { lo, hi, log, map, inv, usable };
}

/**
 * [lo, hi] covering `values` (and `include`), padded a little (an end that is a value of
 * `include` is not padded on a linear axis); null when there is nothing to show.
 */
export function extent(values, kind, include = []) {
  const log = kind === "log";
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values.concat(include)) {
    if (!isNum(v) || (log && v <= 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(lo <= hi)) return null;
  if (log) {
    if (hi / lo < 1.05) {
      lo /= 1.1;
      hi *= 1.1;
    }
    const pad = (Math.log10(hi / lo) || 1) * 0.06;
    return [lo / 10 ** pad, hi * 10 ** pad];
  }
  if (hi - lo < 1e-12) {
    const d = Math.abs(hi) * 0.1 || 1;
    return [lo - d, hi + d];
  }
  const pad = (hi - lo) * 0.06;
  return [include.includes(lo) ? lo : lo - pad, include.includes(hi) ? hi : hi + pad];
}

/** Index of the element of sorted `xs` nearest to `x` (−1 when `xs` is empty). */
export function nearestIndex(xs, x) {
  let lo = 0;
  let hi = xs.length - 1;
  if (hi < 0) return -1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid;
    else hi = mid;
  }
  return Math.abs(xs[lo] - x) <= Math.abs(xs[hi] - x) ? lo : hi;
}
