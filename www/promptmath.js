// The "One prompt" card's pure helpers (no DOM, unit-tested in Node): which learners to show,
// the sentences with live numbers, the prompt edits (move, add, remove an example), the fixed
// view box of a plot, hit-testing and the diverging colour scale. Every number shown comes from
// the engine's answer (prompt.rs); the only arithmetic here is layout, and the thresholds that
// choose the wording of a sentence.

import { fmt, isNum } from "./format.js";
import { palette } from "./theme.js";

/** One colour per learner, the same as the charts' (theme.js), of the scheme on show. */
const LEARNER_KEYS = { truth: "text", transformer: "model", untrained: "zero", gd: "gd1", gd_same_step: "gdK", gdpp: "gdpp", ols: "ols", ridge: "ridge" };
export const LEARNER_COLORS = Object.defineProperties(
  {},
  Object.fromEntries(Object.entries(LEARNER_KEYS).map(([k, p]) => [k, { get: () => palette()[p], enumerable: true }])),
);

/**
 * The learners the card shows for answer `ans` (prompt.rs Answer) and run `config`, in order:
 * [{key, label, color, dash}]. GD at η·M/N only when M ≠ N, GD++ only for K ≥ 2, ridge only
 * with label noise (σ > 0; at σ = 0 it is OLS).
 */
export function learnersShown(ans, config) {
  const k = ans.gd_steps;
  const steps = k === 1 ? "1 step" : `${k} steps`;
  const list = [
    { key: "transformer", label: "transformer (trained)" },
    { key: "untrained", label: "transformer (untrained)", dash: [5, 4] },
    { key: "gd", label: `GD, ${steps}, η = ${fmt(ans.gd_eta, 3)}` },
  ];
  if (ans.examples_used !== ans.trained_n) list.push({ key: "gd_same_step", label: `GD, ${steps}, η·M/N = ${fmt(ans.gd_same_step_eta, 3)}`, dash: [8, 3] });
  if (k >= 2) list.push({ key: "gdpp", label: `GD++, ${steps}` });
  list.push({ key: "ols", label: "OLS (least squares)", dash: [2, 3] });
  if (config && config.noise > 0) list.push({ key: "ridge", label: `ridge, λ = σ² = ${fmt(ans.ridge_lambda, 3)}`, dash: [2, 3] });
  return list.map((l) => ({ dash: [], ...l, color: LEARNER_COLORS[l.key] }));
}

// ---- the sentences ------------------------------------------------------------------------

// How close the transformer's answer is to GD's, relative to GD's answer: |ŷ_T − ŷ_GD| /
// max(|ŷ_GD|, 0.1·s), where s is the root mean square of the prompt's labels (so an answer near
// 0 is not called "far" for a difference that is tiny next to the labels).
//   ≤ 5 %   "like GD": the claim of the paper holds for this prompt;
//   ≤ 20 %  "close to GD", with the gap in percent;
//   > 20 %  "far from GD", with both numbers (and, while it is near the untrained model's
//           answer, "it has not learned yet").
export const MATCH_REL = 0.05;
export const CLOSE_REL = 0.2;

/** Root mean square of the prompt's labels (the scale of the relative differences). */
export function labelScale(prompt) {
  const ys = prompt.examples.map((e) => e[e.length - 1]);
  if (!ys.length) return 1;
  const s = Math.sqrt(ys.reduce((a, y) => a + y * y, 0) / ys.length);
  return s > 0 ? s : 1;
}

/** |a − b| relative to b (see MATCH_REL); null when either is missing. */
export function relDiff(a, b, scale) {
  if (!isNum(a) || !isNum(b)) return null;
  return Math.abs(a - b) / Math.max(Math.abs(b), 0.1 * scale, 1e-12);
}

/** "3.2%" for a relative difference. */
function pctText(r) {
  return `${fmt(100 * r, 2)}%`;
}

/**
 * The card's sentences for answer `ans` to `prompt`: [{id, text}], built only from the engine's
 * numbers. ctx = {step, training (the weights are still changing), edited (the prompt differs
 * from the evaluation task), influence: {index, without: ans} | null}.
 */
export function promptSentences(ans, prompt, ctx) {
  const p = ans.predictions;
  const s = labelScale(prompt);
  const k = ans.gd_steps;
  const gdName = k === 1 ? "one GD step" : `${k} GD steps`;
  const out = [];
  const sameStep = ans.examples_used !== ans.trained_n;
  // Which GD to compare with: with M ≠ N the transformer's learned step is a sum over the M
  // examples, so it compares with GD at η·M/N.
  const ref = sameStep ? p.gd_same_step : p.gd;
  const refName = sameStep ? `GD at η·M/N = ${fmt(ans.gd_same_step_eta, 3)}` : `GD at η = ${fmt(ans.gd_eta, 3)}`;
  const r = relDiff(p.transformer, ref, s);
  const rU = relDiff(p.transformer, p.untrained, s);
  const t = fmt(p.transformer, 3);
  const g = fmt(ref, 3);
  const weights = ctx.training ? `The weights are still training (step ${ctx.step}): the answer to this same prompt moves with them.` : `The weights are frozen (step ${ctx.step}); ${ctx.edited ? "only the prompt changed" : "only the prompt changes"}, and the answer follows it.`;
  let match;
  if (r === null) match = "";
  else if (r <= MATCH_REL) match = ` The transformer answers ${t}, like ${gdName} on these examples (${refName}: ${g}, ${pctText(r)} apart).`;
  else if (r <= CLOSE_REL) match = ` The transformer answers ${t}, close to ${gdName} on these examples (${refName}: ${g}, ${pctText(r)} apart).`;
  else if (rU !== null && rU <= CLOSE_REL) match = ` The transformer answers ${t}, still near its untrained answer (${fmt(p.untrained, 3)}) and far from ${gdName} (${refName}: ${g}): it has not learned to use the examples yet.`;
  else match = ` The transformer answers ${t}, far from ${gdName} on these examples (${refName}: ${g}, ${pctText(r)} apart): here it is not doing GD at this step size.`;
  out.push({ id: "frozen", text: weights + match });

  if (sameStep) {
    const m = ans.examples_used;
    const n = ans.trained_n;
    const more = m > n ? "more" : "fewer";
    out.push({
      id: "steps",
      text:
        `With M = ${m} examples instead of N = ${n}, the transformer sums over ${m} examples with a step learned for ${n} (${more} examples, a ${m > n ? "longer" : "shorter"} step): ` +
        `it answers like GD at η·M/N = ${fmt(ans.gd_same_step_eta, 3)} (GD at η = ${fmt(ans.gd_eta, 3)}: ${fmt(p.gd, 3)}; GD at η·M/N: ${fmt(p.gd_same_step, 3)}; transformer: ${t}).`,
    });
  }

  const inf = ctx.influence;
  if (inf && inf.without) {
    const w = inf.without.predictions;
    const pair = (name, a, b) => `${name} ${fmt(b, 3)} → ${fmt(a, 3)}`;
    out.push({
      id: "influence",
      text:
        `How much example ${inf.index + 1} pulls each learner (its answer without it → with it): ` +
        [pair("transformer", p.transformer, w.transformer), pair("GD", p.gd, w.gd), pair("OLS", p.ols, w.ols)].join("; ") +
        (ctx.noise ? `; ${pair("ridge", p.ridge, w.ridge)}` : "") +
        ".",
    });
  }
  if (isNum(ans.target)) {
    out.push({ id: "target", text: `The true answer of this evaluation task is ${fmt(ans.target, 3)}.` });
  }
  return out;
}

// ---- editing a prompt -----------------------------------------------------------------------

/** A deep copy of `prompt` ({examples: [[x…, y]], query: [x…]}), without target or extras. */
export function copyPrompt(prompt) {
  return { examples: prompt.examples.map((e) => e.slice()), query: prompt.query.slice() };
}

/** Rounds to 4 decimals, as the URL code does (so a shared link gives the same numbers). */
export function round4(v) {
  const r = Math.round(v * 1e4) / 1e4;
  return Object.is(r, -0) ? 0 : r;
}

/** `prompt` with every number rounded to 4 decimals: exactly what its link holds. */
export function roundPrompt(prompt) {
  return { examples: prompt.examples.map((e) => e.map(round4)), query: prompt.query.map(round4) };
}

/** A value kept inside [lo, hi] and rounded to 4 decimals. */
export function clampRound(v, lo, hi) {
  return round4(Math.min(hi, Math.max(lo, v)));
}

/**
 * `prompt` with point `target` set: {kind: "example", index} or {kind: "query"}; `coord` is the
 * index of the input (0 … d−1) or d for an example's label. Returns a new prompt.
 */
export function setCoord(prompt, target, coord, value) {
  const p = copyPrompt(prompt);
  if (target.kind === "query") p.query[coord] = round4(value);
  else p.examples[target.index][coord] = round4(value);
  return p;
}

/** `prompt` with example `row` ([x…, y]) appended, unless it already has `max` examples. */
export function addExample(prompt, row, max) {
  const p = copyPrompt(prompt);
  if (p.examples.length < max) p.examples.push(row.map(round4));
  return p;
}

/** `prompt` without example `index`; a prompt keeps at least one example. */
export function removeExample(prompt, index) {
  const p = copyPrompt(prompt);
  if (p.examples.length > 1 && index >= 0 && index < p.examples.length) p.examples.splice(index, 1);
  return p;
}

/** True when two prompts hold the same numbers. */
export function samePrompt(a, b) {
  return JSON.stringify(copyPrompt(a)) === JSON.stringify(copyPrompt(b));
}

// ---- plot helpers ---------------------------------------------------------------------------

/**
 * A symmetric range covering `values` (and at least ±`min`), padded by 15%: the fixed box of a
 * plot, so the axes do not move under a dragged point.
 */
export function symRange(values, min) {
  let h = Math.abs(min) || 1;
  for (const v of values) if (isNum(v)) h = Math.max(h, Math.abs(v));
  return [-1.15 * h, 1.15 * h];
}

/** Index of the point of `pts` ([{px, py}]) nearest to (px, py) within `radius`, else −1. */
export function hitTest(pts, px, py, radius) {
  let best = -1;
  let bestD = radius;
  pts.forEach((p, i) => {
    const d = Math.hypot(p.px - px, p.py - py);
    if (d <= bestD) {
      best = i;
      bestD = d;
    }
  });
  return best;
}

/**
 * A diverging colour for `v` on [−max, max]: blue (negative) – white (0) – red (positive), as
 * "rgb(r,g,b)".
 */
export function divergingColor(v, max) {
  const t = isNum(v) && max > 0 ? Math.max(-1, Math.min(1, v / max)) : 0;
  const lerp = (a, b, u) => Math.round(a + (b - a) * u);
  const [r, g, b] = t >= 0 ? [lerp(247, 178, t), lerp(247, 24, t), lerp(247, 43, t)] : [lerp(247, 33, -t), lerp(247, 102, -t), lerp(247, 172, -t)];
  return `rgb(${r},${g},${b})`;
}

/** The keyboard step of an axis spanning [lo, hi]: 1/50 of it (1/10 with Shift). */
export function keyStep(lo, hi, big) {
  return ((hi - lo) / 50) * (big ? 5 : 1);
}
