// The teaching text's live numbers: every element with data-live="name" shows the current value
// of `name`, taken from the engine's config and latest snapshot (textContent only).

import { DASH, fixed, fmt, fmtLoss, int, isNum, pct } from "./format.js";

/** The live values, by name, for the current config and snapshot. */
function liveValues(config, snap) {
  const c = config || {};
  const s = snap || {};
  const refs = s.refs || {};
  const latest = s.latest || {};
  const untrained = s.untrained || {};
  const built = s.weights ? s.weights.construction : null;
  const K = refs.gd_steps;
  const within = s.first_within_1pct;
  const v = {
    d: isNum(c.d) ? String(c.d) : DASH,
    n: isNum(c.n) ? String(c.n) : DASH,
    layers: isNum(c.layers) ? String(c.layers) : DASH,
    batch: int(c.batch),
    eval_tasks: int(c.eval_tasks),
    x_range: isNum(c.x_range) ? String(c.x_range) : DASH,
    eta_star: fmt(refs.eta_star_1, 3),
    gd_eta: fmt(refs.gd_eta, 3),
    construct_eta_n: fixed(built ? built.eta_over_n : null, 3),
    learned_eta_n: fixed(latest.eta_over_n, 3),
    gd1_loss: fmtLoss(refs.gd1_loss),
    gd_loss: fmtLoss(refs.gd_loss),
    ols_loss: fmtLoss(refs.ols_loss),
    ols_note: "",
    zero_loss: fmtLoss(refs.zero_loss),
    model_loss: fmtLoss(latest.loss),
    untrained_loss: fmtLoss(untrained.loss),
    untrained_cos: fmt(untrained.model_cos, 3),
    untrained_preds_diff: fmt(untrained.preds_diff, 3),
    gd_ref: isNum(K) ? `${K}-step GD at η = ${fmt(refs.gd_eta, 3)}` : "K-step GD",
    first_1pct: isNum(within)
      ? `within 1% of GD since step ${int(within)}`
      : s.status === "training" || !s.status
        ? "not yet within 1% of GD"
        : "and it did not come within 1% of GD",
    k_sentence: DASH,
  };
  if (isNum(refs.ols_loss) && Math.abs(refs.ols_loss) < 1e-9) {
    v.ols_note = c.n === c.d ? " — it is exact, because with N = d and no noise the examples determine W" : " — it is exact here";
  }
  if (isNum(K)) {
    v.k_sentence =
      K === 1
        ? `one step, so GD++ adds nothing (GD++ loss ${fmtLoss(refs.gdpp_loss)} vs GD ${fmtLoss(refs.gd_loss)}). Try two layers:`
        : `${K} steps of GD reach ${fmtLoss(refs.gd_loss)}, GD++ (γ = ${fmt(refs.gdpp_gamma, 3)}) reaches ${fmtLoss(refs.gdpp_loss)}, and the transformer ${fmtLoss(latest.loss)} (${pct(latest.loss, refs.gdpp_loss)} vs GD++).`;
  }
  return v;
}

/** Fills every [data-live] element under `root`. */
let nodes = null; // the page's [data-live] elements (static markup: found once)

export function updateStory(root, config, snap) {
  const values = liveValues(config, snap);
  nodes ??= [...root.querySelectorAll("[data-live]")];
  for (const node of nodes) {
    const key = node.getAttribute("data-live");
    if (key in values && node.textContent !== values[key]) node.textContent = values[key];
  }
}
