// The teaching text's live numbers: every element with data-live="name" shows the current value
// of `name`, taken from the engine's config and latest snapshot (textContent only).

import { setText } from "./dom.js";
import { drawSoon } from "./frames.js";
import { DASH, fixed, fmt, fmtLoss, int, isNum, pct, relation, stretched } from "./format.js";
import { COMPUTING, waitsFor } from "./pending.js";
import { shiftSentences } from "./shifts.js";

/** The stages (pending.js) each live value waits for: "computing…" until they are there. */
const NEEDS = {
  eta_star: ["gd1"],
  gd1_loss: ["gd1"],
  gd_eta: ["gd"],
  gd_loss: ["gd"],
  gd_ref: ["gd"],
  first_1pct: ["gd"],
  construct_eta_n: ["gd"],
  ols_loss: ["ols"],
  untrained_loss: ["untrained"],
  untrained_cos: ["untrained", "gd"],
  untrained_preds_diff: ["untrained", "gd"],
  preds_diff: ["gd"],
  model_cos: ["gd"],
  gdpp_loss: ["gdpp"],
  gdpp_steps_loss: ["gdpp_steps"],
  k_sentence: ["gd", "gdpp"],
  pgd_loss: ["pgd"],
  pgd_preds_diff: ["pgd"],
  pgd_model_cos: ["pgd"],
  classic_note: ["gd1", "gd_layers", "untrained"],
  weights_classic_note: ["untrained"],
};

/** The live values, by name, for the current config and snapshot (and the pinned runs). */
function liveValues(config, snap, ood, pins) {
  const c = config || {};
  const s = snap || {};
  const refs = s.baselines || {};
  const latest = s.latest || {};
  const untrained = s.untrained || {};
  const built = s.weights ? s.weights.construction : null;
  const K = refs.gd_steps;
  const reached = (s.progress || {}).reached_gd_at;
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
    // Softmax attention has no step size to read from its weights (see the weights figure).
    learned_eta_n: c.attn === "softmax" ? "(none: softmax attention)" : fixed(latest.eta_over_n, 3),
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
    first_1pct: isNum(reached)
      ? `it reached GD’s loss at step ${int(reached)} and is now ${relation(latest.loss, refs.gd_loss, "GD’s")}`
      : s.status === "training" || !s.status
        ? "it has not reached GD’s loss yet"
        : "it did not reach GD’s loss",
    k_sentence: DASH,
    heads: isNum(c.heads) ? String(c.heads) : DASH,
    ood_note: oodNote(ood),
    optimal_note: optimalNote(c, refs, latest),
    label_blind_note: labelBlindNote(c, s, pins),
    layernorm_note: layernormNote(c, ood),
    mlp_note: mlpNote(c, s),
  };
  Object.assign(v, anisoValues(c, s));
  v.gdpp_loss = fmtLoss(refs.gdpp_loss);
  v.gdpp_steps_loss = fmtLoss(refs.gdpp_steps_loss);
  v.layers_story = layersStory(c, s.layers);
  v.classic_note = classicNote(c, s);
  v.weights_classic_note = classicCopyNote(c, s);
  if (isNum(K) && K > 1) {
    v.pgd_note = ` With ${K} layers the second line of each transformer cell (“GD++”) compares it with ${K}-step GD++, the learner multi-layer models are compared with.`;
  }
  if (isNum(refs.ols_loss) && Math.abs(refs.ols_loss) < 1e-9) {
    v.ols_note = c.n === c.d ? " — it is exact, because with N = d and no noise the examples determine W" : " — it is exact here";
  }
  if (isNum(K)) {
    v.k_sentence =
      K === 1
        ? `one step, so GD++ adds nothing (GD++ loss ${fmtLoss(refs.gdpp_loss)} vs GD ${fmtLoss(refs.gd_loss)}). Try two layers:`
        : `${K} steps of GD reach ${fmtLoss(refs.gd_loss)}, GD++ (γ = ${fmt(refs.gdpp_gamma, 3)}) reaches ${fmtLoss(refs.gdpp_loss)}, and the transformer ${fmtLoss(latest.loss)} (${pct(latest.loss, refs.gdpp_loss)} vs GD++).`;
  }
  for (const [key, stages] of Object.entries(NEEDS)) if (waitsFor(s, ...stages)) v[key] = COMPUTING;
  if (latest.step === 0 && waitsFor(s, "untrained")) v.model_loss = COMPUTING;
  return v;
}

/** What the per-layer read-out of this run says, in numbers (empty until it arrives). */
function layersStory(c, L) {
  if (!c || !L || !L.rows || !L.rows.length || !isNum(c.layers) || c.layers < 2) return "";
  const rows = L.rows;
  const losses = rows.map((r) => fmtLoss(r.loss)).join(", ");
  const below = rows.filter((r) => isNum(r.loss) && isNum(r.gd_loss) && r.loss < r.gd_loss).length;
  const falls = rows.every((r, i) => i === 0 || r.loss < rows[i - 1].loss);
  let out =
    `At step ${int(L.step)} the loss read after layers 1 to ${rows.length} is ${losses}` +
    ` (k steps of GD: ${rows.map((r) => fmtLoss(r.gd_loss)).join(", ")}; of GD++: ${rows.map((r) => fmtLoss(r.gdpp_loss)).join(", ")}).` +
    ` It ${falls ? "falls with every layer" : "does not fall with every layer"}, and it is below k-step GD’s after ${below} of ${rows.length} layers.`;
  if (c.attn !== "softmax") {
    const steps = rows.map((r) => `layer ${r.layer}: η/N ${fixed(r.eta_over_n, 2)} vs ${fixed(r.step_eta_over_n, 2)}, γ ${fixed(r.gamma, 2)} vs ${fixed(r.step_gamma, 2)}`).join("; ");
    out += ` Learned steps against the compared ones: ${steps}.`;
  }
  return out;
}

/**
 * Classic tokens: the paper's claim (two layers match one GD step, not two) against this run's
 * losses, and where its copy stands. Empty for paired tokens.
 */
function classicNote(c, s) {
  if (!c || c.tokens !== "classic" || !s.baselines) return "";
  const refs = s.baselines;
  const l = s.latest || {};
  const two = refs.gd_layers || {};
  const reached = (s.progress || {}).reached_gd_at;
  let out =
    `Here, at step ${int(l.step)}: loss ${fmtLoss(l.loss)}, against one GD step’s ${fmtLoss(refs.gd1_loss)} (${pct(l.loss, refs.gd1_loss)}) ` +
    `and two GD steps’ ${fmtLoss(two.loss)} (${pct(l.loss, two.loss)}); the zero predictor scores ${fmtLoss(refs.zero_loss)}` +
    (isNum(reached) ? `, and the run came within 1 % of one GD step at step ${int(reached)}.` : ", and the run has not come within 1 % of one GD step.");
  const copy = classicCopyNote(c, s);
  return copy ? `${out} ${copy}` : out;
}

/** Classic tokens: the first layer's copy now against at the start, in numbers. */
function classicCopyNote(c, s) {
  if (!c || c.tokens !== "classic") return "";
  const now = (s.latest || {}).copy;
  const start = (s.untrained || {}).copy;
  if (!now || !start || !isNum(now.next) || !isNum(start.next)) return "";
  return (
    `The first layer’s x tokens put ${fmt(100 * now.attention_next, 3)} % of their attention on their own y token (${fmt(100 * start.attention_next, 3)} % untrained, ${fmt(100 * now.uniform, 3)} % for uniform attention); ` +
    `‖∂tⱼ/∂eⱼ₊₁‖ = ${fmt(now.next, 3)} against ${fmt(now.other, 3)} for each other token (untrained: ${fmt(start.next, 3)} and ${fmt(start.other, 3)}).`
  );
}

/**
 * The label-blind control's numbers (labels = shuffled), beside those of each pinned run whose
 * labels were paired: measured values only, no verdict.
 */
function labelBlindNote(c, s, pins) {
  if (!c || c.labels !== "shuffled") return "";
  const refs = s.baselines || {};
  const l = s.latest || {};
  let out =
    `at step ${int(l.step)} its loss is ${fmtLoss(l.loss)}, against the zero predictor’s ${fmtLoss(refs.zero_loss)} and GD’s ${fmtLoss(refs.gd_loss)}; ` +
    `against GD it scores model cos ${fixed(l.model_cos, 3)}, preds diff ${fmt(l.preds_diff, 3)} and model diff ${fmt(l.model_diff, 3)}.`;
  const paired = (pins || []).map((p, i) => [p, i]).filter(([p]) => !/(^|&)labels=shuffled(&|$)/.test(p.query));
  if (!paired.length) return `${out} Pin a run with paired labels (the first experiment) to keep its numbers beside these.`;
  for (const [p, i] of paired) {
    const f = p.final;
    const times = isNum(f.preds_diff) && f.preds_diff > 0 && isNum(l.preds_diff) ? ` (this run’s preds diff is ${fmt(l.preds_diff / f.preds_diff, 3)} times that)` : "";
    out += ` Pinned run ${i + 1} — ${p.label} — trained on paired labels: loss ${fmtLoss(f.loss)}, model cos ${fixed(f.model_cos, 3)}, preds diff ${fmt(f.preds_diff, 3)}${times}, model diff ${fmt(f.model_diff, 3)}.`;
  }
  return out;
}

/**
 * The LayerNorm claim (paper appendix: worse than GD on inputs like the training ones, better
 * for large ones) against this run's out-of-distribution read-out, with the verdict the numbers
 * give (empty without LayerNorm).
 */
function layernormNote(c, ood) {
  if (!c || !c.layernorm) return "";
  const rows = (ood || []).filter((r) => isNum(r.model) && isNum(r.gd));
  const at = (a) => rows.find((r) => r.alpha === a);
  const [one, two] = [at(1), at(2)];
  if (!one || !two) return "This run has LayerNorm; its numbers follow once the out-of-distribution read-out is computed.";
  const worseIn = one.model > one.gd;
  const betterOut = two.model < two.gd;
  // The smallest α of the grid from which the transformer stays below GD.
  let from = null;
  for (let i = rows.length - 1; i >= 0 && rows[i].model < rows[i].gd; i--) from = rows[i].alpha;
  const verdict =
    worseIn && betterOut
      ? "worse than GD in distribution and better at α = 2, as the paper reports"
      : !worseIn && betterOut
        ? "better than GD at α = 2, as the paper reports, but not worse in distribution, unlike the paper"
        : worseIn
          ? "worse than GD in distribution, as the paper reports, but not better at α = 2, unlike the paper"
          : "neither worse than GD in distribution nor better at α = 2: not what the paper reports";
  const K = c.layers;
  const gd = K > 1 ? `${K}-step GD’s` : "GD’s";
  const gdName = K > 1 ? `${K}-step GD` : "GD";
  const text =
    `This run has LayerNorm. On inputs like the training ones (α = 1) the transformer’s loss is ${fmtLoss(one.model)} against ${gd} ${fmtLoss(one.gd)} (${relation(one.model, one.gd, gd)}); ` +
    `at α = 2 it is ${fmtLoss(two.model)} against ${gd} ${fmtLoss(two.gd)} (${relation(two.model, two.gd, gd)})` +
    (isNum(from) && from > 1 ? `, and it stays below ${gdName} from α = ${fmt(from)} on` : "");
  // The paper's finding is about one layer; deeper runs get their numbers (and GD++'s) alone.
  if (K > 1) return `${text}; ${K}-step GD++ scores ${fmtLoss(one.gdpp)} at α = 1 and ${fmtLoss(two.gdpp)} at α = 2.`;
  return `${text}: ${verdict}.`;
}

/**
 * With an MLP after attention: does the model still match GD, and how much of its answer comes
 * from the MLP (empty without an MLP).
 */
function mlpNote(c, s) {
  if (!c || !isNum(c.mlp) || c.mlp === 0) return "";
  const refs = s.baselines || {};
  const l = s.latest || {};
  const w = s.weights || {};
  let out =
    `This run has an MLP of width M = ${c.mlp} after every attention layer. At step ${int(l.step)} its loss is ${fmtLoss(l.loss)}, ${relation(l.loss, refs.gd_loss, "GD’s")} (${fmtLoss(refs.gd_loss)}), ` +
    `with preds diff ${fmt(l.preds_diff, 3)}, model cos ${fixed(l.model_cos, 3)} and model diff ${fmt(l.model_diff, 3)} against GD.`;
  if (!c.layernorm && c.attn !== "softmax" && w.construction) {
    out += ` Its attention’s learned step is η/N = ${fixed(l.eta_over_n, 3)} against the construction’s ${fixed(w.construction.eta_over_n, 3)}`;
    const first = (w.learned || [])[0];
    if (first && isNum(first.pv_elsewhere)) {
      out += `, and W_PV·β has entries up to ${fmt(first.pv_elsewhere, 2)} off its diagonal, where the construction has none`;
      if (c.layers === 1) out += " (what the attention writes into the query’s x entries reaches the answer only through the MLP)";
    }
    out += isNum(w.mlp_off_loss) ? `; with the MLP switched off (W₂ = 0) the trained model’s loss is ${fmtLoss(w.mlp_off_loss)}, which says how much of the step the MLP takes.` : ".";
  }
  return out;
}

/** The out-of-distribution relation at α = 2, as measured (empty until the read-out arrives). */
function oodNote(ood) {
  const row = (ood || []).find((r) => r.alpha === 2);
  if (!row || !isNum(row.model) || !isNum(row.gd)) return "The out-of-distribution chart answers once it is computed.";
  return `Here, at α = 2: transformer ${fmtLoss(row.model)}, GD ${fmtLoss(row.gd)} (the transformer is ${relation(row.model, row.gd, "GD’s")}), least squares ${fmtLoss(row.ols)}.`;
}

/** What the shifted prompts gave, as measured (shifts.js); a pointer to the card until then. */
function shiftNote(rows) {
  const shifted = (rows || []).filter((r) => r.shift !== "none");
  if (!shifted.length) return "Shift the test prompts with the sliders of the card “Prompts unlike training”.";
  return `Here: ${shiftSentences(rows).join(" ")}`;
}

/** The optimal learners beside GD and the transformer, for this run's noise. */
function optimalNote(c, refs, latest) {
  if (!isNum(refs.ols_loss) || !isNum(refs.gd_loss)) return "";
  const model = `the transformer ${fmtLoss(latest.loss)}`;
  if (isNum(c.noise) && c.noise > 0) {
    return `Here (σ = ${fmt(c.noise)}, N = ${c.n}, d = ${c.d}): ridge ${fmtLoss(refs.ridge_loss)}, ${refs.gd_steps}-step GD ${fmtLoss(refs.gd_loss)}, OLS ${fmtLoss(refs.ols_loss)}, ${model}.`;
  }
  return `Here (no noise, N = ${c.n}, d = ${c.d}): OLS ${fmtLoss(refs.ols_loss)}, ${refs.gd_steps}-step GD ${fmtLoss(refs.gd_loss)}, ${model}.`;
}

/** The values about stretched inputs (anisotropy κ); the notes are empty when κ = 1. */
function anisoValues(c, s) {
  const refs = s.baselines || {};
  const latest = s.latest || {};
  const p = latest.pgd || {};
  const out = {
    aniso: isNum(c.aniso) ? fmt(c.aniso, 3) : DASH,
    eval_step: int(latest.step),
    pgd_loss: fmtLoss(refs.pgd_loss),
    preds_diff: fmt(latest.preds_diff, 3),
    model_cos: fixed(latest.model_cos, 3),
    pgd_preds_diff: fmt(p.preds_diff, 3),
    pgd_model_cos: fixed(p.model_cos, 3),
    aniso_note: "",
    weights_note: "",
    pgd_note: "",
  };
  if (!stretched(c)) return out;
  const k = out.aniso;
  out.aniso_note = ` Here the inputs are also stretched (anisotropy κ = ${k}): input k is scaled by sₖ, from √κ = ${fmt(Math.sqrt(c.aniso), 3)} for the first down to 1/√κ = ${fmt(1 / Math.sqrt(c.aniso), 3)} for the last.`;
  out.weights_note = ` With stretched inputs (κ = ${k}), expect the learned diagonal of W_KQ to rise from the widest input (first) to the narrowest (last): that is preconditioned GD’s Γ, which the plain-GD construction beside it lacks.`;
  out.pgd_note = ` The inputs are stretched (κ = ${k}): the second line of each transformer cell (“PGD”) compares it with one step of preconditioned GD instead.`;
  return out;
}

/** Fills every [data-live] element under `root`. */
let nodes = null; // the page's [data-live] elements (static markup: found once)
let whens = null; // the page's [data-when] elements: shown only while their condition holds

/** The conditions a [data-when] element can name, for this run's settings. */
function conditions(c) {
  const on = new Set([stretched(c) ? "stretched" : "symmetric"]);
  on.add(c && c.labels === "shuffled" ? "labelblind" : "paired");
  // Classic tokens have their own sentences: their two layers are a copy and one GD step, not
  // two steps, and their softmax is in the first layer only.
  if (c && c.tokens === "classic") {
    on.add("classic");
    return on;
  }
  on.add("pairedtokens");
  if (c && c.attn === "softmax") on.add("softmax");
  else on.add("linear");
  if (c && isNum(c.layers) && c.layers > 1) on.add("multilayer");
  if (c && isNum(c.layers)) on.add(c.layers === 1 ? "onelayer" : c.recurrent ? "recurrent" : "deep");
  if (c && c.layernorm) on.add("layernorm");
  if (c && isNum(c.mlp) && c.mlp > 0) on.add("mlp");
  return on;
}

export function updateStory(root, config, snap, ood, pins, shifts) {
  const values = { ...liveValues(config, snap, ood, pins), shift_note: shiftNote(shifts) };
  nodes ??= [...root.querySelectorAll("[data-live]")];
  for (const node of nodes) {
    const key = node.getAttribute("data-live");
    if (key in values) setText(node, values[key]);
  }
  whens ??= [...root.querySelectorAll("[data-when]")];
  const on = conditions(config);
  for (const node of whens) {
    const hide = !on.has(node.getAttribute("data-when"));
    if (node.hidden !== hide) node.hidden = hide;
  }
}

/**
 * Lays out the story a part at a time. boot.js marks the page `story-later` before its body is
 * parsed, which leaves the story's parts out of the page's first layout (style.css): they are
 * more than half of the page's laid-out elements, mostly MathML, and with the CPU slowed 4× the
 * page's HTML and CSS alone took one task of 250–340 ms to lay out. Here each part is shown and
 * laid out in a task of its own, when the main thread is idle; the mark goes once all are
 * shown. A link to a place in the story shows it all at once.
 */
export function revealStory() {
  const root = document.documentElement;
  if (!root.classList.contains("story-later")) return;
  const story = document.querySelector(".story");
  const target = document.getElementById(fragment());
  if (!story || (target && story.contains(target))) {
    root.classList.remove("story-later");
    return;
  }
  const parts = [...story.querySelectorAll(":scope > section > *")];
  const done = () => {
    parts.length = 0;
    root.classList.remove("story-later");
    window.removeEventListener("hashchange", onHash);
  };
  // A link followed meanwhile to a place in the story: all of it now, and that place in view.
  function onHash() {
    const to = document.getElementById(fragment());
    if (!to || !story.contains(to)) return;
    done();
    to.scrollIntoView();
  }
  window.addEventListener("hashchange", onHash);
  // A part in each idle moment of the main thread (requestIdleCallback), where the browser has
  // them: the page's own layout is then done, and the layout forced here is the part's alone.
  // In a turn of the frame queue it came on top of the page's pending layout: with the CPU
  // slowed 4×, up to 44 ms of the part's and 44 ms of the page's in one task. Elsewhere (Safari),
  // a part per turn of the frame queue.
  const owner = {};
  const soon =
    typeof requestIdleCallback === "function" ? (fn) => requestIdleCallback(fn, { timeout: IDLE_WAIT_MS }) : (fn) => drawSoon(owner, fn);
  const next = () => {
    const part = parts.shift();
    if (part) {
      part.classList.add("shown");
      void part.offsetHeight; // laid out now, in this task
    }
    // (boot.js's fallback may have shown the rest meanwhile)
    if (parts.length && root.classList.contains("story-later")) soon(next);
    else done();
  };
  soon(next);
}

/** The longest a part of the story waits for an idle moment before it is laid out anyway. */
const IDLE_WAIT_MS = 500;

/** The address's fragment (after #), decoded when it can be. */
function fragment() {
  const raw = window.location.hash.slice(1);
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw; // a malformed escape: taken as it is
  }
}
