// The run's status line: phase pill, step counter, progress bar, steps per second, a sentence
// about what is happening, and the one-line headline comparing the transformer with GD.

import { setText } from "./dom.js";
import { fmt, fmtLoss, int, isNum, pct, relation, stretched } from "./format.js";
import { COMPUTING, pendingNames, waitsFor } from "./pending.js";

const DETAIL = {
  loading: "Loading the engine (WebAssembly)…",
  preparing: "Preparing: sampling the evaluation tasks (the baselines follow while training runs)…",
  reproducing: "Training the link’s pinned runs again before its own run: same settings and seed, so the same numbers.",
  training: "Training: every step is one Adam update on a batch of fresh regression tasks.",
  paused: "Paused. Press Play to continue, or Step +10 to go one small step at a time.",
  done: "Done: the whole training budget is used. Change a setting or pick another experiment.",
  diverged: "The loss blew up: the learning rate is too large for this setting. Lower lr and reset.",
  error: "Something went wrong: see the message above.",
};

const LABEL = {
  loading: "loading wasm",
  preparing: "preparing…",
  reproducing: "reproducing pins…",
  training: "training",
  paused: "paused",
  done: "done",
  diverged: "diverged",
  error: "error",
};

/** The learner a run is compared with, by the engine's name for it. */
function targetName(snap) {
  const r = snap.baselines || {};
  const p = snap.progress || {};
  if (p.target === "gdpp") return `${r.gd_steps}-step GD++`;
  return r.gd_steps > 1 ? `${r.gd_steps}-step GD` : "one GD step";
}

/**
 * What the run's progress means, in one sentence from the engine's verdict (progress.rs):
 * reached its target learner, on a plateau near the zero predictor, settled short of the target,
 * or still learning. `done` words it for a finished run. Empty when there is nothing to say yet.
 */
export function progressSentence(snap, done, config) {
  const p = snap && snap.progress;
  const l = snap && snap.latest;
  if (!p || !l || !isNum(l.loss)) return "";
  const name = targetName(snap);
  const r = snap.baselines || {};
  const target = waitsFor(snap, p.target === "gdpp" ? "gdpp" : "gd")
    ? `${name}’s loss ${COMPUTING}`
    : relation(l.loss, p.target_loss, `${name}’s ${fmtLoss(p.target_loss)}`);
  const now = `${fmtLoss(l.loss)}, ${target}`;
  switch (p.verdict) {
    case "reached":
      return `${done ? "Done: the" : "The"} transformer reached ${name}’s loss at step ${int(p.reached_at)}; now ${now}.`;
    case "plateau":
      if (config && config.labels === "shuffled") {
        // The label-blind control: its training prompts say nothing about their queries, so
        // predicting 0 is the best any learner can do on them; this plateau is its point.
        return `${done ? "Done, flat" : "Flat"} at the zero predictor’s loss ${fmtLoss(r.zero_loss)} since step ${int(p.flat_since)} (now ${fmtLoss(l.loss)}): with shuffled labels a training prompt says nothing about its query, so 0 is the best answer to it.`;
      }
      return `${done ? "Done, on a plateau" : "On a plateau"}: since step ${int(p.flat_since)} the loss has stayed near the zero predictor’s ${fmtLoss(r.zero_loss)} (now ${fmtLoss(l.loss)}). Such plateaus depend on the seed and can outlast the run: try another seed.`;
    case "settled":
      if (config && config.layernorm && config.layers === 1) {
        // Measured for one layer: seeds 1–4, lr 3·10⁻⁴ to 3·10⁻³, settle 23–29 % above GD (README).
        return `${done ? "Done, short of" : "Flat, short of"} ${name}: the loss has hardly moved since step ${int(p.flat_since)} (now ${now}). With LayerNorm attention reads normalised tokens, which no weights turn into a GD step: another seed or learning rate does not close the gap (the paper’s appendix, too, finds one such layer worse than GD on these inputs).`;
      }
      return `${done ? "Done, short of" : "Flat, short of"} ${name}: the loss has hardly moved since step ${int(p.flat_since)} (now ${now}). Try another seed or a smaller learning rate.`;
    default:
      return done ? `Done: the step budget is spent while the loss still falls (now ${now}); more steps would go further.` : "";
  }
}

export function createStatus(els) {
  return {
    /**
     * phase: one of DETAIL's keys; snap: the latest snapshot or null; rate: steps/s or null;
     * config: the run's settings (or null); workers: how many workers share the training
     * (worker.js, pool.js).
     */
    show(phase, snap, rate, config, workers = 1) {
      setText(els.pill, LABEL[phase] || phase);
      if (els.pill.getAttribute("data-status") !== phase) els.pill.setAttribute("data-status", phase);
      let detail = DETAIL[phase] || "";
      if (phase === "done" || phase === "training" || phase === "paused") {
        const said = progressSentence(snap, phase === "done", config);
        // While training, only a plateau or a stall is worth interrupting the default sentence.
        if (said && (phase === "done" || ["plateau", "settled"].includes(snap.progress.verdict))) detail = said;
      }
      // The references still being computed, each named, until the last has arrived.
      const names = pendingNames(snap);
      if (snap && snap.waiting && phase === "training") detail = `Training starts from the construction once it is there: computing ${names}…`;
      else if (names && phase !== "error" && phase !== "loading") detail += ` Computing meanwhile: ${names}…`;
      // A link with autoplay=false opens its run waiting at step 0.
      if (phase === "paused" && snap && snap.step === 0) detail = `Ready: press Play to start training.${names ? ` Computing meanwhile: ${names}…` : ""}`;
      setText(els.detail, detail);
      const step = snap ? snap.step : 0;
      const steps = snap ? snap.steps : null;
      setText(els.count, `step ${int(step)} / ${isNum(steps) ? int(steps) : "—"}`);
      const max = isNum(steps) && steps > 0 ? steps : 1;
      const value = isNum(step) ? step : 0;
      if (els.progress.max !== max) els.progress.max = max;
      if (els.progress.value !== value) els.progress.value = value;
      const on = workers > 1 ? ` on ${workers} workers` : "";
      setText(els.rate, phase === "training" && isNum(rate) ? `${rate >= 100 ? int(rate) : fmt(rate, 2)} steps/s${on}` : "— steps/s");
    },
    /**
     * The headline: the transformer against the reference GD, in numbers (and against one
     * preconditioned GD step when the inputs are stretched).
     */
    headline(snap, config) {
      if (!snap || !snap.baselines) return;
      const r = snap.baselines;
      const l = snap.latest || {};
      const K = r.gd_steps;
      const pgd = stretched(config) && isNum(r.pgd_loss);
      const gdName = K > 1 ? `${K} steps of GD` : "one GD step";
      const loss = isNum(l.loss) ? fmtLoss(l.loss) : COMPUTING; // (step 0 before the untrained model's evaluation)
      const vs = (other) => (isNum(l.loss) ? ` (${pct(l.loss, other)})` : "");
      let text = `At step ${int(l.step)} the transformer’s loss is ${loss}; `;
      text += waitsFor(snap, "gd") ? `${gdName}: ${COMPUTING}` : `${gdName} at η = ${fmt(r.gd_eta)} gets ${fmtLoss(r.gd_loss)}${vs(r.gd_loss)}`;
      if (K > 1) text += waitsFor(snap, "gdpp") ? `, GD++ ${COMPUTING}` : `, GD++ ${fmtLoss(r.gdpp_loss)}${vs(r.gdpp_loss)}`;
      // Classic tokens: two layers are compared with one GD step; two steps are shown beside it.
      if (r.gd_layers) text += `, ${r.gd_layers.steps} GD steps ${fmtLoss(r.gd_layers.loss)}${vs(r.gd_layers.loss)}`;
      if (pgd) text += `, one preconditioned GD step ${fmtLoss(r.pgd_loss)}${vs(r.pgd_loss)}`;
      // The alignment once it can be measured (GD there, and an evaluation to measure).
      if (!waitsFor(snap, "gd") && isNum(l.preds_diff)) {
        text += `. Model cos ${fmt(l.model_cos, 3)}, preds diff ${fmt(l.preds_diff, 3)}`;
        if (pgd && l.pgd && isNum(l.pgd.preds_diff)) text += ` (vs preconditioned GD: ${fmt(l.pgd.model_cos, 3)}, ${fmt(l.pgd.preds_diff, 3)})`;
        if (K > 1 && l.gdpp && isNum(l.gdpp.preds_diff)) text += ` (vs GD++: ${fmt(l.gdpp.model_cos, 3)}, ${fmt(l.gdpp.preds_diff, 3)})`;
      }
      if (!text.endsWith("…")) text += "."; // ("computing…" ends the sentence itself)
      const p = snap.progress || {};
      if (isNum(p.reached_gd_at)) {
        text += ` It reached GD’s loss at step ${int(p.reached_gd_at)}; now ${relation(l.loss, r.gd_loss, "GD’s")}.`;
      }
      setText(els.headline, text);
    },
  };
}
