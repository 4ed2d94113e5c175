// The run's status line: phase pill, step counter, progress bar, steps per second, a sentence
// about what is happening, and the one-line headline comparing the transformer with GD.

import { setText } from "./dom.js";
import { fmt, fmtLoss, int, isNum, pct, stretched } from "./format.js";

const DETAIL = {
  loading: "Loading the engine (WebAssembly)…",
  preparing: "Preparing baselines: sampling the evaluation tasks and tuning GD, GD++, OLS and ridge…",
  training: "Training: every step is one Adam update on a batch of fresh regression tasks.",
  paused: "Paused. Press Play to continue, or Step +10 to go one small step at a time.",
  done: "Done: the whole training budget is used. Change a setting or pick another experiment.",
  diverged: "The loss blew up: the learning rate is too large for this setting. Lower lr and reset.",
  error: "Something went wrong: see the message above.",
};

const LABEL = {
  loading: "loading wasm",
  preparing: "preparing baselines…",
  training: "training",
  paused: "paused",
  done: "done",
  diverged: "diverged",
  error: "error",
};

export function createStatus(els) {
  return {
    /** phase: one of DETAIL's keys; snap: the latest snapshot or null; rate: steps/s or null. */
    show(phase, snap, rate) {
      setText(els.pill, LABEL[phase] || phase);
      if (els.pill.getAttribute("data-status") !== phase) els.pill.setAttribute("data-status", phase);
      let detail = DETAIL[phase] || "";
      if (phase === "done" && snap && isNum(snap.first_within_1pct)) {
        detail = `Done: the transformer came within 1% of GD at step ${int(snap.first_within_1pct)}. Change a setting or pick another experiment.`;
      }
      setText(els.detail, detail);
      const step = snap ? snap.step : 0;
      const steps = snap ? snap.steps : null;
      setText(els.count, `step ${int(step)} / ${isNum(steps) ? int(steps) : "—"}`);
      const max = isNum(steps) && steps > 0 ? steps : 1;
      const value = isNum(step) ? step : 0;
      if (els.progress.max !== max) els.progress.max = max;
      if (els.progress.value !== value) els.progress.value = value;
      setText(els.rate, phase === "training" && isNum(rate) ? `${rate >= 100 ? int(rate) : fmt(rate, 2)} steps/s` : "— steps/s");
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
      let text = `At step ${int(l.step)} the transformer’s loss is ${fmtLoss(l.loss)}; ${gdName} at η = ${fmt(r.gd_eta)} gets ${fmtLoss(r.gd_loss)} (${pct(l.loss, r.gd_loss)})`;
      if (K > 1) text += `, GD++ ${fmtLoss(r.gdpp_loss)}`;
      if (pgd) text += `, one preconditioned GD step ${fmtLoss(r.pgd_loss)} (${pct(l.loss, r.pgd_loss)})`;
      text += `. Model cos ${fmt(l.model_cos, 3)}, preds diff ${fmt(l.preds_diff, 3)}`;
      if (pgd && l.pgd) text += ` (vs preconditioned GD: ${fmt(l.pgd.model_cos, 3)}, ${fmt(l.pgd.preds_diff, 3)})`;
      text += ".";
      if (isNum(snap.first_within_1pct)) text += ` Within 1% of GD since step ${int(snap.first_within_1pct)}.`;
      setText(els.headline, text);
    },
  };
}
