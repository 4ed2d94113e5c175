// The lab's line and scatter charts. Each is a small factory {update(data), resize()} that turns
// the engine's numbers into series for plot.js; nothing here computes a result.

import { createPlot } from "./plot.js";
import { COLORS, palette } from "./theme.js";
import { fmt, fmtLoss, isNum } from "./format.js";
import { COMPUTING } from "./pending.js";

/** One colour per learner, the same in every chart, the table and the text (theme.js). */
export { COLORS };

const DASHED = [6, 4];

/** `hex` (#rrggbb) at 30 % opacity: the faded part of a curve. */
function fade(hex) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},0.3)`;
}
// Baselines above this multiple of the zero predictor's loss are off the loss chart's scale.
const OFF_SCALE = 3;

/**
 * Reference lines of the baselines, shared by the loss chart and (as values) the table;
 * `pgd`: also one step of preconditioned GD (stretched inputs, where it differs from GD);
 * `pending`: the stages still being computed (their lines are named, not drawn, until then).
 */
function referenceLines(refs, pgd, pending = []) {
  if (!refs) return [];
  // A baseline far worse than predicting 0 (OLS fitting label noise at N ≈ d) would stretch the
  // axis and flatten the gaps the chart is about: it is named in the legend, not drawn.
  const ceiling = isNum(refs.zero_loss) ? refs.zero_loss * OFF_SCALE : Infinity;
  const lines = [
    { label: "zero predictor", short: "zero", value: refs.zero_loss, color: COLORS.zero, dash: DASHED, width: 1.5 },
    { label: `1-step GD at η* = ${fmt(refs.eta_star_1)}`, short: "1-step GD", stage: "gd1", value: refs.gd1_loss, color: COLORS.gd1, width: 2 },
  ];
  if (pgd) {
    lines.push({ label: `1-step preconditioned GD at η = ${fmt(refs.pgd_eta)}`, short: "preconditioned GD", stage: "pgd", value: refs.pgd_loss, color: COLORS.pgd, width: 2.2, dash: [9, 3] });
  }
  const kStep = refs.gd_steps > 1 || (isNum(refs.gd_eta) && refs.gd_eta !== refs.eta_star_1);
  if (kStep) {
    lines.push({ label: `${refs.gd_steps}-step GD at η = ${fmt(refs.gd_eta)}`, short: `${refs.gd_steps}-step GD`, stage: "gd", value: refs.gd_loss, color: COLORS.gdK, width: 2, dash: [10, 3] });
  }
  if (refs.gd_steps > 1) {
    lines.push({ label: `GD++ (${refs.gd_steps} steps, η = ${fmt(refs.gdpp_eta)}, γ = ${fmt(refs.gdpp_gamma)})`, short: "GD++", stage: "gdpp", value: refs.gdpp_loss, color: COLORS.gdpp, width: 2 });
  }
  // A deep model (separate layers) is compared with GD++ that has its own (η_k, γ_k) per step.
  if (refs.gd_steps > 1 && refs.gdpp_per_step && isNum(refs.gdpp_steps_loss)) {
    lines.push({ label: `GD++ with its own (η, γ) per step (${refs.gd_steps} steps)`, short: "per-step GD++", stage: "gdpp_steps", value: refs.gdpp_steps_loss, color: COLORS.gdpp, width: 2, dash: [2, 3] });
  }
  lines.push({ label: "OLS (least squares)", short: "OLS", stage: "ols", value: refs.ols_loss, color: COLORS.ols, width: 1.5, dash: [2, 3] });
  if (isNum(refs.ridge_lambda) && refs.ridge_lambda > 0) {
    lines.push({ label: `ridge (λ = σ² = ${fmt(refs.ridge_lambda)})`, short: "ridge", stage: "ols", value: refs.ridge_loss, color: COLORS.ridge, width: 1.5, dash: [2, 3] });
  }
  return lines.map((l) => {
    const off = isNum(l.value) && l.value > ceiling;
    const waiting = (pending || []).includes(l.stage);
    const label = waiting ? `${l.short}: ${COMPUTING}` : off ? `${l.short} ${fmtLoss(l.value)} (off the scale, not drawn)` : l.label;
    return { ...l, type: "hline", fmt: fmtLoss, tag: true, offScale: off, label, value: waiting ? null : l.value };
  });
}

/** Loss over training steps (log y): train batches, evaluations and the baselines. */
export function createLossChart(host) {
  const plot = createPlot(host, {
    x: { scale: "lin", title: "training step", hoverTitle: "step", include: [0], floor: 0 },
    panels: [{ y: { scale: "log", title: "loss (½·MSE, log scale)" } }],
    height: 280,
    ariaLabel: "Loss of the transformer during training, with the losses of gradient descent and the other baselines",
  });
  return {
    update({ trainX, trainLoss, evals, refs, pending, pgd, ghosts }) {
      plot.setData({
        // Drawn bottom to top: the noisy batch curve (faded), the baselines, the ghosts of pinned
        // runs, and the evaluation curve, the chart's message, on top.
        series: [
          { type: "line", label: "transformer, training batch (faded)", color: COLORS.modelTrain, width: 1, x: trainX, y: trainLoss, fmt: fmtLoss },
          ...referenceLines(refs, pgd, pending),
          ...(ghosts || []),
          { type: "line", label: "transformer, evaluation tasks", color: COLORS.model, width: 3, x: evals.step, y: evals.loss, fmt: fmtLoss },
        ],
        markers: [],
      });
    },
    resize: plot.resize,
    canvas: plot.canvas,
    describe: plot.describe,
  };
}

/**
 * Alignment over training: model cos on top, preds/model diff (log) below. Against the reference
 * GD; from two layers on (`gdpp`) also against GD++, the learner such models are compared with,
 * drawn solid while plain GD's curves turn thin and dotted.
 */
export function createAlignChart(host) {
  const plot = createPlot(host, {
    x: { scale: "lin", title: "training step", hoverTitle: "step", include: [0], floor: 0 },
    panels: [
      { y: { scale: "lin", title: "model cos", include: [0, 1] }, weight: 1 },
      { y: { scale: "log", title: "difference" }, weight: 1.3 },
    ],
    height: 300,
    ariaLabel: "Alignment of the transformer with gradient descent during training",
  });
  return {
    update({ evals, untrained, gdpp, etaChanges, ghosts }) {
      const u = untrained || {};
      const vs = gdpp ? " vs GD" : "";
      const gd = gdpp ? { width: 1.3, dash: [2, 3] } : { width: 2.2 };
      // After GD's η was changed (a cheap setting), the engine measures new points against the
      // new η; the points up to the change stay against the old one: they are drawn faded, and
      // a marker says where. The GD++ curves do not depend on that η.
      const changes = etaChanges || [];
      const last = changes.length ? changes[changes.length - 1] : null;
      const split = (s) => {
        if (!last) return [s];
        const cut = s.x.findIndex((v) => v > last.step);
        const n = cut < 0 ? s.x.length : cut;
        const early = { ...s, color: fade(s.color), legend: false, label: `${s.label} (against an earlier η)`, x: s.x.slice(0, n), y: s.y.slice(0, n), faded: true };
        return [early, { ...s, x: s.x.slice(n), y: s.y.slice(n) }];
      };
      const series = [
        { type: "hline", panel: 0, label: `model cos${vs}, untrained`, value: u.model_cos, color: COLORS.cos, dash: DASHED, width: 1.2, fmt: (v) => fmt(v, 3) },
        { type: "hline", panel: 1, label: `preds diff${vs}, untrained`, value: u.preds_diff, color: COLORS.predsDiff, dash: DASHED, width: 1.2 },
        { type: "hline", panel: 1, label: `model diff${vs}, untrained`, value: u.model_diff, color: COLORS.modelDiff, dash: DASHED, width: 1.2 },
        ...(ghosts || []),
        ...split({ type: "line", panel: 0, label: `model cos${vs}`, color: COLORS.cos, ...gd, x: evals.step, y: evals.model_cos, fmt: (v) => fmt(v, 4) }),
        ...split({ type: "line", panel: 1, label: `preds diff${vs}`, color: COLORS.predsDiff, ...gd, x: evals.step, y: evals.preds_diff }),
        ...split({ type: "line", panel: 1, label: `model diff${vs}`, color: COLORS.modelDiff, ...gd, x: evals.step, y: evals.model_diff }),
      ];
      if (gdpp) {
        series.push(
          { type: "line", panel: 0, label: "model cos vs GD++", color: COLORS.cos, width: 2.4, x: evals.step, y: evals.model_cos_gdpp, fmt: (v) => fmt(v, 4) },
          { type: "line", panel: 1, label: "preds diff vs GD++", color: COLORS.predsDiff, width: 2.4, x: evals.step, y: evals.preds_diff_gdpp },
          { type: "line", panel: 1, label: "model diff vs GD++", color: COLORS.modelDiff, width: 2.4, x: evals.step, y: evals.model_diff_gdpp },
        );
      }
      const markers = changes.map((c, i) => ({
        x: c.step,
        color: palette().text,
        row: i % 2,
        label: c === last ? `η changed to ${fmt(c.to)} here; earlier points are against η = ${fmt(c.from)}` : `η ${fmt(c.from)} → ${fmt(c.to)}`,
      }));
      plot.setData({ series, markers });
    },
    resize: plot.resize,
    canvas: plot.canvas,
    describe: plot.describe,
  };
}

/** Transformer prediction against GD's prediction on the same evaluation tasks. */
export function createScatterChart(host) {
  const plot = createPlot(host, {
    x: { scale: "lin", title: "prediction of the reference GD" },
    panels: [{ y: { scale: "lin", title: "transformer prediction" } }],
    height: 300,
    square: true,
    ariaLabel: "Scatter plot of the transformer's predictions against gradient descent's predictions",
  });
  let shown;
  return {
    update(scatter) {
      if (scatter === shown) return; // the same full snapshot as last time
      shown = scatter;
      const s = scatter || { model: [], gd: [], target: [] };
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of [...s.model, ...s.gd]) {
        if (isNum(v)) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
      const series = [];
      if (lo < hi) {
        series.push({ type: "line", label: "y = x (identical predictions)", color: palette().diagonal, width: 1.2, dash: DASHED, x: [lo, hi], y: [lo, hi], hover: false });
      }
      series.push({
        type: "points",
        label: `${s.model.length} evaluation tasks`,
        color: COLORS.model,
        radius: 2.4,
        alpha: 0.6,
        x: s.gd,
        y: s.model,
        hoverText: (i) => [`GD ŷ: ${fmt(s.gd[i], 4)}`, `transformer ŷ: ${fmt(s.model[i], 4)}`, `true y: ${fmt(s.target[i], 4)}`],
      });
      plot.setData({ series });
    },
    resize: plot.resize,
    canvas: plot.canvas,
    describe: plot.describe,
  };
}

/** Loss when the test inputs are scaled by α, for every learner, with the chosen α marked. */
export function createOodChart(host) {
  const plot = createPlot(host, {
    x: { scale: "lin", title: "test input scale α (training: α = 1)", hoverTitle: "α" },
    panels: [{ y: { scale: "log", title: "loss (log scale)" } }],
    height: 280,
    ariaLabel: "Out-of-distribution loss as a function of the test input scale alpha",
  });
  return {
    update({ rows, alpha, noisy, waiting }) {
      const r = rows || [];
      const col = (k) => r.map((row) => row[k]);
      const a = col("alpha");
      // With label noise OLS fits the noise (far off the scale at N = d): ridge is drawn instead.
      const best = noisy
        ? { type: "line", label: "ridge (λ = σ²)", color: COLORS.ridge, width: 2, dash: [2, 3], x: a, y: col("ridge"), fmt: fmtLoss, tinyToFloor: true }
        : { type: "line", label: "OLS", color: COLORS.ols, width: 2, dash: [2, 3], x: a, y: col("ols"), fmt: fmtLoss, tinyToFloor: true };
      plot.setData({
        series: [
          { type: "line", label: "zero predictor", color: COLORS.zero, dash: DASHED, width: 1.5, x: a, y: col("zero"), fmt: fmtLoss },
          best,
          // The transformer is drawn wide and underneath, so GD's lines stay visible where they coincide.
          { type: "line", label: "transformer", color: COLORS.model, width: 5, x: a, y: col("model"), fmt: fmtLoss },
          { type: "line", label: "GD++", color: COLORS.gdpp, width: 2, x: a, y: col("gdpp"), fmt: fmtLoss },
          { type: "line", label: "GD (reference η)", color: COLORS.gd1, width: 2, dash: [7, 4], x: a, y: col("gd"), fmt: fmtLoss },
        ],
        markers: isNum(alpha) ? [{ x: alpha, label: `α = ${fmt(alpha)}`, color: palette().text }] : [],
        emptyText: waiting ? `the baselines at every α: ${COMPUTING}` : null,
      });
    },
    resize: plot.resize,
    canvas: plot.canvas,
    describe: plot.describe,
  };
}

/** The current model against GD at many step sizes η (log x), with η* marked. */
export function createSweepChart(host) {
  const plot = createPlot(host, {
    x: { scale: "log", title: "GD step size η (log scale)", hoverTitle: "η" },
    panels: [
      { y: { scale: "log", title: "difference / loss" }, weight: 1.4 },
      { y: { scale: "lin", title: "model cos", include: [0, 1] }, weight: 1 },
    ],
    height: 300,
    ariaLabel: "Alignment of the current model with gradient descent as a function of the step size eta",
  });
  return {
    update({ points, etaStar, eta, waiting }) {
      const p = points || [];
      const col = (k) => p.map((row) => row[k]);
      const x = col("eta");
      const markers = [];
      if (isNum(etaStar)) markers.push({ x: etaStar, label: `η* = ${fmt(etaStar)}`, color: COLORS.gd1 });
      if (isNum(eta) && eta !== etaStar) markers.push({ x: eta, label: `η = ${fmt(eta)}`, color: COLORS.gdK, row: 1 });
      plot.setData({
        series: [
          { type: "line", panel: 0, label: "GD loss at η", color: COLORS.gdLoss, width: 1.5, dash: DASHED, x, y: col("gd_loss"), fmt: fmtLoss },
          { type: "line", panel: 0, label: "preds diff", color: COLORS.predsDiff, width: 2.2, x, y: col("preds_diff") },
          { type: "line", panel: 0, label: "model diff", color: COLORS.modelDiff, width: 2.2, x, y: col("model_diff") },
          { type: "line", panel: 1, label: "model cos", color: COLORS.cos, width: 2.2, x, y: col("model_cos"), fmt: (v) => fmt(v, 4) },
        ],
        markers,
        emptyText: waiting ? `GD’s best step size η*: ${COMPUTING}` : null,
      });
    },
    resize: plot.resize,
    canvas: plot.canvas,
    describe: plot.describe,
  };
}
