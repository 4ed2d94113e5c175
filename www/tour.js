// The guided tour's content: the paper's argument from the task to the critiques, one step per
// experiment (an engine preset, by name), each with the card to watch and a check that words
// what that card shows now. Every number in a sentence comes from the live state the page
// already receives from the engine (its snapshot, curves and read-outs); a check only compares
// them and says whether the step's claim holds yet, holds, or did not hold in this run. Pure
// (no DOM), so Node tests run the checks on made-up states. The mechanics are in tourguide.js.
//
// A check gets `live` = {phase ("training", "paused", "done" or "diverged"), snap (the engine's
// latest snapshot: step, steps, status, pending, latest, untrained, baselines, progress, weights,
// layers), evals (the evaluation curves so far, history.js), ood and sweep (the latest read-outs,
// or null), config} and returns {state, text}: state "running" (not met yet, the run goes on),
// "met" (the claim holds now) or "missed" (the run stopped without it). While the references a
// step compares with (its `needs`: stages of src/references.rs) are still being computed, the
// step says so instead of checking (their numbers are null until then).

import { fixed, fmt, fmtLoss, int, isNum, relation } from "./format.js";
import { pendingNames } from "./pending.js";

// ---- sentence helpers ---------------------------------------------------------------------

/** True once the run stopped (its budget used, or diverged): a claim not met by then is missed. */
const stopped = (live) => live.phase === "done" || live.phase === "diverged" || (live.snap && live.snap.status !== "training");

/**
 * "Training… step 140" or "Paused at step 140" (or "At step 5,000" once the run stopped): the
 * start of a sentence about a run going on, at its latest evaluation (the step the sentence's
 * numbers were measured at).
 */
function now(live) {
  const l = live.snap.latest;
  const step = int(l && isNum(l.step) ? l.step : live.snap.step);
  if (stopped(live)) return `At step ${step}`;
  return live.phase === "paused" ? `Paused at step ${step}` : `Training… step ${step}`;
}

/** "The run ended at step 5,000" (or "diverged at"). */
function ended(live) {
  const how = live.phase === "diverged" || live.snap.status === "diverged" ? "The run diverged at step" : "The run ended at step";
  return `${how} ${int(live.snap.step)}`;
}

const running = (live, what) => ({ state: "running", text: `${now(live)}: ${what} so far.` });
const missed = (live, what) => ({ state: "missed", text: `${ended(live)}: ${what}.` });
const met = (what) => ({ state: "met", text: `Now: ${what}.` });
/** The check's answer: met when `ok`, missed once the run stopped, else still running. */
const verdict = (live, ok, texts) => (ok ? met(texts.met()) : stopped(live) ? missed(live, texts.missed()) : running(live, texts.running()));

/** How far `a` is from `b`, as a percentage of `b` ("3.2 %"). */
function apart(a, b) {
  if (!isNum(a) || !isNum(b) || b === 0) return "—";
  const p = Math.abs(a / b - 1) * 100;
  return `${p >= 10 ? p.toFixed(0) : p.toFixed(1)} %`;
}

/** The first evaluated step after 0 whose loss satisfies `ok(loss)`, or null. */
function firstStep(evals, ok) {
  if (!evals) return null;
  for (let i = 0; i < evals.step.length; i++) if (evals.step[i] > 0 && isNum(evals.loss[i]) && ok(evals.loss[i])) return evals.step[i];
  return null;
}

/** The read-out's row at input scale `alpha`, or undefined. */
const oodRow = (live, alpha) => (live.ood || []).find((r) => r.alpha === alpha);

/** The loss now and its relation to the learner `name` with loss `ref`: "0.2062, 1.2 % above GD’s 0.2040". */
const against = (loss, ref, name) => `${fmtLoss(loss)}, ${relation(loss, ref, name)} ${fmtLoss(ref)}`;

// ---- the steps ----------------------------------------------------------------------------
// Each: title; preset (the engine's preset name: its settings are the step's experiment); needs
// (the reference stages its check reads); target (a CSS selector: the card to watch), watch (what
// to look at there), about (the idea, without numbers: those are live), check(live).

export const STEPS = [
  {
    title: "One layer learns one step of gradient descent",
    preset: "fig2",
    needs: ["gd"],
    target: '[data-testid="chart-loss"]',
    watch: "The loss chart: the thick orange curve of the transformer against the blue line of one GD step at the best step size η*.",
    about:
      "Each prompt holds examples (x, y = Wx) of a linear task the model has never seen, then a query x whose y it must predict. One linear self-attention layer is trained on many such prompts. Beside it: one step of gradient descent on the same examples, starting from W = 0. The paper’s fig. 2 claims the trained layer’s loss meets GD’s.",
    check(live) {
      const { latest: l, baselines: b, progress: p } = live.snap;
      return verdict(live, isNum(p.reached_gd_at), {
        met: () => `within 1 % of GD at step ${int(p.reached_gd_at)}; at step ${int(l.step)} the loss is ${against(l.loss, b.gd_loss, "GD’s")}`,
        running: () => `loss ${against(l.loss, b.gd_loss, "GD’s")}`,
        missed: () => `its loss is ${against(l.loss, b.gd_loss, "GD’s")}: it did not get within 1 % of GD`,
      });
    },
  },
  {
    title: "Its weights become the construction",
    preset: "fig2",
    needs: ["gd"],
    target: '[data-testid="chart-weights"]',
    watch: "The weights: the learned W_KQ and W_PV (rescaled by β) beside the hand-made construction of one GD step, and the learned step size η/N under them.",
    about:
      "The paper writes down weights that make one attention layer compute exactly one GD step: W_KQ the identity on the inputs, W_PV zero except −η/N in its corner. Does training find them? Compare the heatmaps, and the step size η/N read from the learned weights with the construction’s.",
    check(live) {
      const { latest: l, progress: p, weights: w } = live.snap;
      const built = w && w.construction ? w.construction.eta_over_n : null;
      if (!isNum(l.eta_over_n) || !isNum(built)) {
        const why = !isNum(l.eta_over_n) ? "no step size can be read from these weights (softmax attention has none)" : "the construction’s step size is not there yet";
        return stopped(live) ? missed(live, why) : running(live, why);
      }
      const close = Math.abs(l.eta_over_n / built - 1) <= 0.1;
      const pair = `learned η/N = ${fixed(l.eta_over_n, 3)} against the construction’s ${fixed(built, 3)} (${apart(l.eta_over_n, built)} apart)`;
      return verdict(live, close && isNum(p.reached_gd_at), {
        met: () => `at step ${int(l.step)} the ${pair}, within 10 %, and the loss is within 1 % of GD’s since step ${int(p.reached_gd_at)}`,
        running: () => pair,
        missed: () => `${pair}${close ? ", but its loss never got within 1 % of GD’s" : ": not within 10 %"}`,
      });
    },
  },
  {
    title: "A cosine near 1 proves little",
    preset: "fig2",
    needs: ["gd"],
    target: '[data-testid="chart-sweep"]',
    watch: "The step-size sweep: the trained model against GD at many step sizes η, its cosine (model cos) and its distance (preds diff).",
    about:
      "Model cos compares directions only, and GD at any step size η points the same way as GD at η*: against it, GD at any η scores 1. Only a distance such as preds diff pins down the step size. Try it: change GD’s η in the settings, and on the alignment chart model cos stays where it is while preds diff moves.",
    check(live) {
      const { latest: l, baselines: b, progress: p } = live.snap;
      const pts = (live.sweep || []).filter((s) => isNum(s.model_cos) && isNum(s.preds_diff));
      if (!pts.length) {
        const wait = `loss ${against(l.loss, b.gd_loss, "GD’s")}; the sweep has not been read out yet`;
        return stopped(live) ? missed(live, wait) : running(live, wait);
      }
      const cos = pts.map((s) => s.model_cos);
      const [lo, hi] = [Math.min(...cos), Math.max(...cos)];
      const best = pts.reduce((a, s) => (s.preds_diff < a.preds_diff ? s : a));
      const star = b.gd_eta_star;
      const flat = hi - lo <= 0.01;
      const found = isNum(star) && best.eta / star <= 1.25 && star / best.eta <= 1.25;
      const first = pts[0].eta;
      const last = pts[pts.length - 1].eta;
      const sweep = `over η from ${fmt(first, 2)} to ${fmt(last, 2)} the model’s cosine with GD is between ${fixed(lo, 4)} and ${fixed(hi, 4)}, and its preds diff is smallest at η = ${fmt(best.eta, 3)} (η* = ${fmt(star, 3)})`;
      return verdict(live, flat && found && isNum(p.reached_gd_at), {
        met: () => `the loss is within 1 % of GD’s since step ${int(p.reached_gd_at)}, and at the latest read-out ${sweep}: the cosine is flat in η, only the distance finds η*`,
        running: () => `loss ${against(l.loss, b.gd_loss, "GD’s")}; at the latest read-out ${sweep}`,
        missed: () => `${sweep}${flat ? "" : ": the cosine is not flat within 0.01"}${found ? "" : ": the smallest distance is not near η*"}${isNum(p.reached_gd_at) ? "" : ", and the loss never got within 1 % of GD’s"}`,
      });
    },
  },
  {
    title: "Control: the same model, untrained",
    preset: "fig2",
    needs: ["untrained", "gd"],
    target: '[data-testid="chart-align"]',
    watch: "The alignment chart: the solid curves of the trained model against the dashed lines of the same model before training, measured the same way.",
    about:
      "If an untrained model already scored close to GD, a good score would say little about learning. The dashed lines are that control: model cos, preds diff and model diff of the untrained model against GD.",
    check(live) {
      const { latest: l, untrained: u, progress: p } = live.snap;
      const times = isNum(u.preds_diff) && isNum(l.preds_diff) && l.preds_diff > 0 ? u.preds_diff / l.preds_diff : null;
      const pair = `trained, model cos ${fixed(l.model_cos, 3)} and preds diff ${fmt(l.preds_diff, 3)}; untrained, ${fixed(u.model_cos, 3)} and ${fmt(u.preds_diff, 3)}`;
      const ok = isNum(times) && times >= 10 && isNum(p.reached_gd_at);
      return verdict(live, ok, {
        met: () => `at step ${int(l.step)}: ${pair}. Training made preds diff ${fmt(times, 2)}× smaller`,
        running: () => `${pair}`,
        missed: () => `${pair}: preds diff is only ${fmt(times, 2)}× smaller than untrained${isNum(p.reached_gd_at) ? "" : ", and the loss never got within 1 % of GD’s"}`,
      });
    },
  },
  {
    title: "Control: training on prompts without usable labels",
    preset: "label-blind",
    needs: ["gd"],
    target: '[data-testid="chart-align"]',
    watch: "The alignment chart: model cos and preds diff against GD of a model whose training prompts carried another task’s labels.",
    about:
      "A stricter control: the same model, trained the same way, but every training prompt’s labels belong to another task of the batch, so a prompt says nothing about its query and nothing can be learned in context. Whatever alignment with GD it scores on normal prompts, the set-up gives without learning. Compare its numbers with the previous step’s trained model.",
    check(live) {
      const { latest: l, baselines: b, progress: p } = live.snap;
      const scores = `against GD, model cos ${fixed(l.model_cos, 3)}, preds diff ${fmt(l.preds_diff, 3)} and model diff ${fmt(l.model_diff, 3)}`;
      return verdict(live, p.verdict === "plateau", {
        met: () => `flat at the zero predictor’s loss since step ${int(p.flat_since)} (loss ${against(l.loss, b.zero_loss, "the zero predictor’s")}); ${scores}`,
        running: () => `loss ${against(l.loss, b.zero_loss, "the zero predictor’s")}; ${scores}`,
        missed: () => `its loss is ${against(l.loss, b.zero_loss, "the zero predictor’s")}, not flat at it; ${scores}`,
      });
    },
  },
  {
    title: "Two layers: below two steps of GD, near GD++",
    preset: "gdpp",
    needs: ["gd", "gdpp"],
    target: '[data-testid="chart-loss"]',
    watch: "The loss chart: the thick orange curve against the dashed line of two plain GD steps and the green line of GD++.",
    about:
      "Stacking the construction twice performs two GD steps. But the paper’s trained two-layer models end below two plain GD steps, near GD++, which at each step also moves the inputs, x ← (I − γ Σ xᵢxᵢᵀ) x.",
    check(live) {
      const { latest: l, baselines: b } = live.snap;
      const both = `loss ${fmtLoss(l.loss)}: ${relation(l.loss, b.gd_loss, "two GD steps’")} ${fmtLoss(b.gd_loss)}, ${relation(l.loss, b.gdpp_loss, "GD++’s")} ${fmtLoss(b.gdpp_loss)}`;
      const below = l.loss < b.gd_loss;
      const near = l.loss <= 1.05 * b.gdpp_loss;
      return verdict(live, below && near, {
        met: () => `at step ${int(l.step)} the ${both}: below plain GD, within 5 % of GD++`,
        running: () => both,
        missed: () => `${both}: ${below ? "below plain GD but not within 5 % of GD++" : "not below two plain GD steps"}`,
      });
    },
  },
  {
    title: "Three layers: the same question",
    preset: "deep3",
    needs: ["gd", "gdpp"],
    target: '[data-testid="chart-loss"]',
    watch: "The loss chart: the thick orange curve against the dashed line of three plain GD steps and the green line of GD++. This run takes longer: three full layers per step.",
    about:
      "With three applications of one layer, the comparison is with three GD steps and three GD++ steps. Does the gap to plain GD grow, and does the model stay near GD++?",
    check(live) {
      const { latest: l, baselines: b } = live.snap;
      const both = `loss ${fmtLoss(l.loss)}: ${relation(l.loss, b.gd_loss, "three GD steps’")} ${fmtLoss(b.gd_loss)}, ${relation(l.loss, b.gdpp_loss, "GD++’s")} ${fmtLoss(b.gdpp_loss)}`;
      const below = l.loss < b.gd_loss;
      const near = l.loss <= 1.1 * b.gdpp_loss;
      return verdict(live, below && near, {
        met: () => `at step ${int(l.step)} the ${both}: below plain GD, within 10 % of GD++`,
        running: () => both,
        missed: () => `${both}: ${below ? "below plain GD but not within 10 % of GD++" : "not below three plain GD steps"}`,
      });
    },
  },
  {
    title: "Softmax attention, one head",
    preset: "softmax1",
    needs: ["gd1"],
    target: '[data-testid="chart-loss"]',
    watch: "The loss chart: does the thick orange curve linger near the grey zero-predictor line before it falls?",
    about:
      "Real transformers normalise attention with softmax: its weights are positive and sum to 1, while a GD step weighs each example by xᵢᵀx_q, which can be negative. One softmax head can only approximate a GD step. The paper reports long plateaus for one head, which depend on the seed.",
    check(live) {
      const { latest: l, baselines: b, progress: p } = live.snap;
      const off = firstStep(live.evals, (loss) => loss < 0.9 * b.zero_loss);
      const vsGd = `${relation(l.loss, b.gd1_loss, "one GD step’s")} ${fmtLoss(b.gd1_loss)}`;
      return verdict(live, isNum(off), {
        met: () => `off its plateau: at step ${int(off)} its loss first fell below 0.9 × the zero predictor’s ${fmtLoss(b.zero_loss)}; at step ${int(l.step)} it is ${fmtLoss(l.loss)}, ${vsGd}`,
        running: () =>
          p.verdict === "plateau"
            ? `on a plateau since step ${int(p.flat_since)}: loss ${against(l.loss, b.zero_loss, "the zero predictor’s")}`
            : `loss ${against(l.loss, b.zero_loss, "the zero predictor’s")}`,
        missed: () => `still on its plateau: loss ${against(l.loss, b.zero_loss, "the zero predictor’s")}, never below 0.9 × it. Another seed may leave it`,
      });
    },
  },
  {
    title: "Softmax attention, two heads",
    preset: "softmax2",
    needs: ["gd1"],
    target: '[data-testid="chart-loss"]',
    watch: "The loss chart: the thick orange curve against the blue line of one GD step.",
    about: "The paper finds that two softmax heads can approximate the linear layer that performs a GD step. Do they get close to one GD step’s loss here?",
    check(live) {
      const { latest: l, baselines: b } = live.snap;
      const within = firstStep(live.evals, (loss) => loss <= 1.1 * b.gd1_loss);
      return verdict(live, isNum(within), {
        met: () => `within 10 % of one GD step’s loss from step ${int(within)}; at step ${int(l.step)} the loss is ${against(l.loss, b.gd1_loss, "one GD step’s")}`,
        running: () => `loss ${against(l.loss, b.gd1_loss, "one GD step’s")}`,
        missed: () => `its loss is ${against(l.loss, b.gd1_loss, "one GD step’s")}: never within 10 %`,
      });
    },
  },
  {
    title: "Out of distribution: matching GD means matching a failure",
    preset: "ood",
    needs: ["gd", "ood"],
    target: '[data-testid="chart-ood"]',
    watch: "The out-of-distribution chart: losses against the scale α of the test inputs, for the transformer, GD, GD++ and least squares; the line under it gives them at α = 2.",
    about:
      "Scale the test inputs by α. GD’s step size was tuned for α = 1, so its loss grows fast as α grows, while least squares (OLS) solves each prompt exactly at any scale (here N ≥ d and the labels are noise-free). A transformer that does GD should fail with it.",
    check(live) {
      const { latest: l, baselines: b, progress: p } = live.snap;
      const two = oodRow(live, 2);
      const one = oodRow(live, 1);
      if (!two || !one || !isNum(two.model) || !isNum(two.gd)) {
        const wait = `loss ${against(l.loss, b.gd_loss, "GD’s")}; the out-of-distribution read-out has not arrived yet`;
        return stopped(live) ? missed(live, wait) : running(live, wait);
      }
      const follows = two.model >= 0.5 * two.gd;
      const table = `at α = 2 GD’s loss is ${fmtLoss(two.gd)}, ${fmt(two.gd / one.gd, 3)}× its loss at α = 1, and the transformer’s is ${fmtLoss(two.model)}, ${relation(two.model, two.gd, "GD’s")}, while OLS stays at ${fmtLoss(two.ols)}`;
      const so = follows ? "the transformer follows GD into its failure" : "the transformer does not follow GD’s failure there";
      return verdict(live, isNum(p.reached_gd_at), {
        met: () => `${table}: ${so}`,
        running: () => `${table} (the model is still learning: ${relation(l.loss, b.gd_loss, "GD’s")} loss at α = 1)`,
        missed: () => `${table}, but the loss never got within 1 % of GD’s at α = 1`,
      });
    },
  },
  {
    title: "Stretched inputs: preconditioned GD, not plain GD",
    preset: "aniso",
    needs: ["gd1", "pgd"],
    target: '[data-testid="chart-align"]',
    watch: "The sentence under the alignment chart: preds diff against one step of preconditioned GD beside preds diff against plain GD.",
    about:
      "For symmetric inputs, the best a linear-attention layer can do is a GD step (Mahankali et al. 2023; Ahn et al. 2023). Give the inputs unequal scales and the best one-layer learner becomes preconditioned GD, ŷ = (η/N) x_qᵀ Γ Σ yᵢxᵢ with a diagonal Γ. Which one does the trained layer follow?",
    check(live) {
      const { latest: l, baselines: b } = live.snap;
      const pgd = l.pgd || {};
      if (!isNum(pgd.preds_diff) || !isNum(l.preds_diff)) {
        const why = "no preconditioned GD to compare with (the inputs are not stretched)";
        return stopped(live) ? missed(live, why) : running(live, why);
      }
      const times = pgd.preds_diff > 0 ? l.preds_diff / pgd.preds_diff : null;
      const diffs = `preds diff ${fmt(pgd.preds_diff, 3)} against preconditioned GD, ${fmt(l.preds_diff, 3)} against plain GD; loss ${fmtLoss(l.loss)} (preconditioned GD ${fmtLoss(b.pgd_loss)}, plain GD ${fmtLoss(b.gd1_loss)})`;
      return verdict(live, isNum(times) && times >= 2, {
        met: () => `at step ${int(l.step)}, ${diffs}: ${fmt(times, 2)}× closer to preconditioned GD`,
        running: () => diffs,
        missed: () => `${diffs}: not twice as close to preconditioned GD`,
      });
    },
  },
  {
    title: "Noisy labels: GD is not the best learner",
    preset: "noise",
    needs: ["gd", "ols"],
    target: '[data-testid="chart-loss"]',
    watch: "The loss chart: where the thick orange curve settles between the ridge line (the best possible predictor here) and the line of one GD step.",
    about:
      "With label noise σ, ridge regression with λ = σ² is the Bayes-optimal predictor, and least squares (OLS) fits the noise. If the transformer does GD, it lands at GD’s loss, above ridge’s; other studies found trained transformers closer to OLS or ridge than to one GD step (Garg et al. 2022; Akyürek et al. 2023).",
    check(live) {
      const { latest: l, baselines: b, progress: p } = live.snap;
      const others = `ridge (the best possible here) ${fmtLoss(b.ridge_loss)}, OLS ${fmtLoss(b.ols_loss)}`;
      return verdict(live, isNum(p.reached_gd_at), {
        met: () => `within 1 % of one GD step’s loss from step ${int(p.reached_gd_at)}; at step ${int(l.step)} it is ${fmtLoss(l.loss)}, ${relation(l.loss, b.ridge_loss, "ridge’s")}. GD ${fmtLoss(b.gd_loss)}, ${others}`,
        running: () => `loss ${against(l.loss, b.gd_loss, "GD’s")}; ${others}`,
        missed: () => `its loss is ${against(l.loss, b.gd_loss, "GD’s")}, never within 1 %; ${others}`,
      });
    },
  },
  {
    title: "Critique: the query among the keys",
    preset: "query-in-keys",
    needs: ["gd", "gdpp"],
    target: '[data-testid="chart-loss"]',
    watch: "The loss chart: the thick orange curve against the dashed line of two GD steps and the green line of GD++.",
    about:
      "The set-up keeps the query out of the keys, as the construction needs. For one layer that changes nothing (the query’s label entry is 0), but from two layers on the query holds a prediction that enters the sums. Two layers, query among the keys: does the model still get to GD++?",
    check(live) {
      const { latest: l, baselines: b, progress: p } = live.snap;
      const both = `loss ${fmtLoss(l.loss)}: ${relation(l.loss, b.gdpp_loss, "GD++’s")} ${fmtLoss(b.gdpp_loss)}, ${relation(l.loss, b.gd_loss, "two GD steps’")} ${fmtLoss(b.gd_loss)}`;
      const said = p.verdict === "reached" || p.verdict === "settled";
      return verdict(live, said, {
        met: () =>
          p.verdict === "reached"
            ? `it reached GD++’s loss at step ${int(p.reached_at)} (within 1 %); at step ${int(l.step)} the ${both}`
            : `flat since step ${int(p.flat_since)}, short of GD++: at step ${int(l.step)} the ${both}`,
        running: () => both,
        missed: () => `${both}: it neither reached GD++ nor settled`,
      });
    },
  },
  {
    title: "A deep model: a step of its own per layer",
    preset: "deep5",
    needs: ["gd", "gdpp", "gdpp_steps", "layers"],
    target: '[data-testid="chart-layers"]',
    watch: "Layer by layer: the loss read after each of the five layers against k steps of GD and of GD++, and each layer’s learned step.",
    about:
      "Five layers, each with its own weights, as in the paper’s fig. 3 (on a one-minute schedule: fewer steps than the paper’s). If the stack runs an optimiser, the loss read after layer k should fall with k like k optimiser steps, and each layer should learn a step of its own. The fair comparison is GD++ with its own (η, γ) per step.",
    check(live) {
      const { latest: l, baselines: b, layers: L } = live.snap;
      const rows = L && L.rows ? L.rows : [];
      const per = rows.length ? `; read after layers 1 to ${rows.length} at step ${int(L.step)}: ${rows.map((r) => fmtLoss(r.loss)).join(", ")}` : "";
      const three = `loss ${fmtLoss(l.loss)}: ${relation(l.loss, b.gd_loss, "five GD steps’")} ${fmtLoss(b.gd_loss)}, ${relation(l.loss, b.gdpp_loss, "GD++’s with one shared (η, γ)")} ${fmtLoss(b.gdpp_loss)}; GD++ with its own step per layer reaches ${fmtLoss(b.gdpp_steps_loss)}${per}`;
      const ok = l.loss < 0.5 * b.gd_loss && l.loss < b.gdpp_loss;
      return verdict(live, ok, {
        met: () => `at step ${int(l.step)} the ${three}: below half of plain GD’s and below GD++ with one shared step`,
        running: () => three,
        missed: () => `${three}: ${l.loss < 0.5 * b.gd_loss ? "not below GD++ with one shared step" : "not below half of five GD steps’ loss"}`,
      });
    },
  },
];

/** While the references `step` compares with are computed: the loss so far, and what is to come. */
function computing(step, live) {
  const waiting = step.needs.filter((s) => (live.snap.pending || []).includes(s));
  if (!waiting.length) return null;
  const l = live.snap.latest;
  return { state: "running", text: `${now(live)}: loss ${fmtLoss(l.loss)}; still computing what this step compares it with (${pendingNames({ pending: waiting })})…` };
}

/** The step's sentence for `live`; `changed`: the settings on show are not the step's own. */
export function sentence(step, live, changed) {
  const out = computing(step, live) || step.check(live);
  return changed ? { ...out, text: `With settings changed from this step’s experiment: ${out.text}` } : out;
}
