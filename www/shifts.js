// "Prompts unlike training": the engine's shift rows (src/shift.rs; training unchanged, every
// learner recomputed on the shifted evaluation prompts) as a table and as sentences that say
// what this run measured. Pure functions of the rows, testable in Node; drawing is view.js's.

import { fmt, fmtLoss, isNum } from "./format.js";

/** What each shift is called, with its strength. */
export function shiftName(row) {
  switch (row.shift) {
    case "none":
      return "training distribution";
    case "stretched":
      return `stretched inputs (κ_test = ${fmt(row.value, 3)})`;
    case "correlated":
      return `correlated inputs (ρ = ${fmt(row.value, 3)})`;
    case "task_mean":
      return `task mean μ = ${fmt(row.value, 3)}`;
    default:
      return String(row.shift);
  }
}

/** The table's columns: [header, title, cell of a row]. */
export const SHIFT_COLUMNS = [
  ["transformer", "the trained transformer's loss on these prompts", (r) => fmtLoss(r.model)],
  ["GD", "the reference GD from W₀ = 0, at the η tuned on the training distribution", (r) => fmtLoss(r.gd)],
  ["GD from μ", "the same GD started from W₀ = μ·1 (the task mean row only)", (r) => (r.shift === "task_mean" ? fmtLoss(r.gd_from_mean) : "—")],
  ["OLS", "least squares on the prompt's examples", (r) => fmtLoss(r.ols)],
  ["zero", "the zero predictor (ŷ = 0)", (r) => fmtLoss(r.zero)],
  ["preds diff", "mean |ŷ_transformer − ŷ_GD| on these prompts", (r) => fmt(r.preds_diff, 3)],
];

/** Which of a and b `x` is nearer to: "a", "b" or null when it cannot be said. */
function nearer(x, a, b) {
  if (![x, a, b].every(isNum)) return null;
  return Math.abs(x - a) <= Math.abs(x - b) ? "a" : "b";
}

/** One sentence per shift that is on, from its row and the in-distribution row. */
export function shiftSentences(rows) {
  const list = rows || [];
  const base = list.find((r) => r.shift === "none");
  const shifted = list.filter((r) => r.shift !== "none");
  if (!base) return [];
  if (!shifted.length) {
    return [
      `On the training distribution the transformer’s loss is ${fmtLoss(base.model)} and GD’s ${fmtLoss(base.gd)}. Set κ_test, ρ or μ below to shift the test prompts (training stays as it is).`,
    ];
  }
  return shifted.map((r) => {
    const parts = [];
    if (r.shift === "task_mean") {
      const which = nearer(r.model, r.gd, r.gd_from_mean);
      if (which === "a") parts.push(`nearer GD from W₀ = 0 than GD from the tasks’ mean (${fmtLoss(r.gd_from_mean)}): like GD from 0, it does not know the new mean`);
      else if (which === "b") parts.push(`nearer GD from the tasks’ mean (${fmtLoss(r.gd_from_mean)}) than GD from W₀ = 0`);
    } else {
      const which = nearer(r.model, r.gd, r.ols);
      if (which === "a") parts.push("nearer GD’s loss than least squares’");
      else if (which === "b") parts.push("nearer least squares’ loss than GD’s");
    }
    if (isNum(r.model) && isNum(r.zero) && r.model > r.zero) {
      parts.push(isNum(r.gd) && r.gd > r.zero ? "the transformer and GD both do worse than predicting 0" : "the transformer does worse than predicting 0");
    }
    if (isNum(r.preds_diff) && isNum(base.preds_diff)) {
      parts.push(`its answers differ from GD’s by ${fmt(r.preds_diff, 3)} on average (${fmt(base.preds_diff, 3)} on the training distribution)`);
    }
    const head = `With ${shiftName(r)}: transformer ${fmtLoss(r.model)}, GD ${fmtLoss(r.gd)}, OLS ${fmtLoss(r.ols)}, zero predictor ${fmtLoss(r.zero)}`;
    return parts.length ? `${head}; ${parts.join("; ")}.` : `${head}.`;
  });
}
