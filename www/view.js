// What the page shows of a run: the status line, the six figures, the Numbers table, the story's
// live numbers and the sentences under the charts, each drawn from the page's state (main.js)
// when its drawing tier runs (schedule.js). It only reads the state.

import { createAlignChart, createCopyChart, createLossChart, createOodChart, createScatterChart, createSweepChart } from "./charts.js";
import { setText } from "./dom.js";
import { yieldToBrowser } from "./frames.js";
import { fixed, fmt, fmtLoss, int, isNum, stretched } from "./format.js";
import { createWeights } from "./heatmap.js";
import { createLayersCard } from "./layers.js";
import { updateNumbers } from "./numbers.js";
import { COMPUTING, waitsFor } from "./pending.js";
import { shiftName, shiftSentences, SHIFT_COLUMNS } from "./shifts.js";
import { createStatus } from "./status.js";
import { updateStory } from "./story.js";

const $ = (id) => document.getElementById(id);

let shiftShape = ""; // the shift rows on show: the table is rebuilt only when they change

/** "Prompts unlike training": the engine's shift rows as a table, and what they say. */
function shiftsCard(rows, snap) {
  const head = $("shifts-head");
  if (head.children.length === 1) {
    head.append(...SHIFT_COLUMNS.map(([name, title]) => Object.assign(document.createElement("th"), { scope: "col", title, textContent: name })));
  }
  const body = $("shifts-body");
  const list = rows || [];
  const shape = list.map((r) => `${r.shift}:${r.value}`).join(",");
  if (shape !== shiftShape) {
    shiftShape = shape;
    body.replaceChildren(
      ...list.map((r) => {
        const tr = document.createElement("tr");
        tr.dataset.testid = `shift-${r.shift}`;
        tr.append(Object.assign(document.createElement("th"), { scope: "row" }), ...SHIFT_COLUMNS.map(() => document.createElement("td")));
        return tr;
      }),
    );
  }
  list.forEach((r, i) => {
    const cells = body.rows[i].cells;
    setText(cells[0], shiftName(r));
    SHIFT_COLUMNS.forEach(([, , cell], k) => setText(cells[k + 1], cell(r)));
  });
  // One item per sentence, rebuilt only when the sentences change.
  const items = list.length ? shiftSentences(list) : snap ? [`The losses on shifted prompts: ${COMPUTING}`] : [];
  const ul = $("shifts-readout");
  if (ul.children.length !== items.length) ul.replaceChildren(...items.map(() => document.createElement("li")));
  items.forEach((t, i) => setText(ul.children[i], t));
}

/**
 * With stretched inputs: the latest alignment with preconditioned GD beside that with plain GD,
 * in words under the alignment chart (whose curves are against plain GD only).
 */
function alignReadout(snap, config) {
  const l = snap ? snap.latest : null;
  let text = "";
  if (stretched(config) && waitsFor(snap, "gd", "pgd")) {
    text = `Against one preconditioned GD step: ${COMPUTING}`;
  } else if (stretched(config) && l && l.pgd && isNum(l.step) && isNum(l.pgd.preds_diff)) {
    const p = l.pgd;
    const closer = isNum(p.preds_diff) && isNum(l.preds_diff) && p.preds_diff < l.preds_diff;
    text =
      `At step ${int(l.step)} the transformer is ${closer ? "closer to" : "not yet closer to"} one preconditioned GD step than to plain GD: ` +
      `preds diff ${fmt(p.preds_diff, 3)} against preconditioned GD, ${fmt(l.preds_diff, 3)} against GD; ` +
      `model cos ${fixed(p.model_cos, 4)} and ${fixed(l.model_cos, 4)}; model diff ${fmt(p.model_diff, 3)} and ${fmt(l.model_diff, 3)}. ` +
      "The curves above compare with plain GD.";
  }
  const out = $("align-readout");
  setText(out, text);
  if (out.hidden !== !text) out.hidden = !text;
}

/**
 * After GD's η was changed during the run: which points of the alignment curves were measured
 * against which η, in words under the chart (the engine keeps no past predictions to redo them).
 */
function etaNote(changes, evals) {
  const out = $("align-eta-note");
  const last = changes && changes.length ? changes[changes.length - 1] : null;
  let text = "";
  if (last) {
    const later = evals.step.some((s) => s > last.step);
    text =
      `GD’s η was changed to ${fmt(last.to)} after step ${int(last.step)}: the faded points up to there were measured against ` +
      (changes.length > 1 ? `earlier step sizes (the last one η = ${fmt(last.from)})` : `η = ${fmt(last.from)}`) +
      `, ${later ? "the later ones" : "the points still to come (and the table)"} against η = ${fmt(last.to)}. The dashed untrained lines are against η = ${fmt(last.to)}.`;
  }
  setText(out, text);
  if (out.hidden !== !text) out.hidden = !text;
}

/** The losses at the chosen α, in words under the chart. */
function oodReadout(rows, config, snap) {
  const alpha = config ? config.alpha : null;
  const row = (rows || []).find((r) => r.alpha === alpha);
  // The read-out comes once its baselines are there (the references' last stage); a row may
  // still wait for GD when its η* is being computed again.
  const waiting = waitsFor(snap, "ood") || (row && !isNum(row.zero));
  const text = waiting
    ? `The losses at α = ${fmt(alpha)}, with the baselines at every α: ${COMPUTING}`
    : row
    ? `At α = ${fmt(alpha)}: transformer ${fmtLoss(row.model)}, GD ${fmtLoss(row.gd)}, GD++ ${fmtLoss(row.gdpp)}, OLS ${fmtLoss(row.ols)}` +
      (config.noise > 0 ? `, ridge (λ = σ²) ${fmtLoss(row.ridge)}` : "") +
      `, zero predictor ${fmtLoss(row.zero)}.`
    : "";
  setText($("ood-readout"), text);
}

/**
 * The learned η/N (and γ, against GD++) of the weights on show against the construction's,
 * under the heatmaps. For softmax attention no step size can be read from the weights: say so.
 */
function etaSentence(view, built, snap, config) {
  if (!view || !built) return;
  let text;
  if (config && config.attn === "softmax") {
    text = "With softmax attention W_KQ scales the attention logits and each head outputs a weighted average, not a sum over examples: no GD step size can be read from these weights, so none is shown.";
  } else if (config && config.layernorm) {
    text =
      `With LayerNorm, attention multiplies normalised tokens (each divided by its own spread, then scaled and shifted by learned weights), not the (x, y) the construction is built for, and no weights make such a layer a GD step: the heatmaps show only how much the learned pattern resembles the construction’s, and the η/N read from the corner, ${fixed(view.eta_over_n, 3)}, is not a GD step size.`;
  } else if (!built.view) {
    text = `Learned η/N = ${fixed(view.eta_over_n, 3)} (β = ${fmt(view.beta, 3)}); the construction beside it: ${COMPUTING}`;
  } else if (built.name.startsWith("GD++")) {
    const c = built.view;
    text = `Learned η/N = ${fixed(view.eta_over_n, 3)} and γ = ${fixed(view.gamma, 3)} (minus the mean x-diagonal of W_PV·β) vs the GD++ construction’s η/N = ${fixed(c.eta_over_n, 3)} and γ = ${fixed(c.gamma, 3)} (β = ${fmt(view.beta, 3)}).`;
  } else {
    const refName = snap.baselines.gd_eta === snap.baselines.gd_eta_star ? "η*/N" : "η/N";
    text = `Learned η/N = ${fixed(view.eta_over_n, 3)} vs ${refName} = ${fixed(built.view.eta_over_n, 3)} (β = ${fmt(view.beta, 3)}).`;
  }
  if (config && config.mlp > 0 && !config.layernorm && snap.weights) {
    // The MLP can rescale what the attention writes: say how much of the answer it gives.
    const off = snap.weights.mlp_off_loss;
    text += ` These are the attention’s weights only: the MLP after it can rescale its answer, so the step the whole layer takes need not be the attention’s. With the MLP switched off (W₂ = 0) the trained model’s loss is ${fmtLoss(off)}, with it ${fmtLoss(snap.latest && snap.latest.loss)} (GD ${fmtLoss(snap.baselines.gd_loss)}).`;
  }
  if (built.view && stretched(config) && isNum(snap.baselines.pgd_eta) && isNum(config.n) && config.n > 0) {
    // W_KQ/β has a mean diagonal of 1, like preconditioned GD's Γ: their η/N compare directly.
    text += ` One preconditioned GD step uses η/N = ${fixed(snap.baselines.pgd_eta / config.n, 3)} (its Γ scaled to a mean of 1).`;
  }
  setText($("eta-sentence"), text);
}

/**
 * Classic tokens: the copy card is shown, with the copy now and at the start in words under it.
 */
function copyCard(snap, config) {
  const card = document.querySelector('[data-testid="chart-copy"]');
  const show = Boolean(config && config.tokens === "classic");
  if (card.hidden === show) card.hidden = !show;
  let text = "";
  const now = snap && snap.latest ? snap.latest.copy : null;
  const start = snap && snap.untrained ? snap.untrained.copy : null;
  if (show && now && start && isNum(now.next) && isNum(start.next)) {
    text =
      `At step ${int(snap.latest.step)}: ‖∂tⱼ/∂eⱼ₊₁‖ = ${fmt(now.next, 3)} (untrained ${fmt(start.next, 3)}), each other token ${fmt(now.other, 3)} (untrained ${fmt(start.other, 3)}), ` +
      `its own token ${fmt(now.own, 3)} (the residual connection alone gives √d = ${fmt(now.residual, 3)}); ` +
      `attention on the y token ${fmt(100 * now.attention_next, 3)} % (uniform: ${fmt(100 * now.uniform, 3)} %). ` +
      `Averaged over the x tokens of the first ${int(now.tasks)} evaluation tasks.`;
  }
  setText($("copy-readout"), text);
}

/**
 * The page's views of `state` ({history, config, phase, rate, ood, sweep}, see main.js).
 * Resolves to {showPhase(), fast(), slow(), text()}: the status line alone, and the three tiers.
 * The charts are built in three tasks: with the CPU slowed 4×, all of them in one took 28–62 ms.
 */
export async function createView(state, actions = {}) {
  const status = createStatus({
    pill: $("status"),
    detail: $("status-detail"),
    count: $("step-count"),
    progress: $("progress"),
    rate: $("rate"),
    headline: $("headline"),
  });
  const charts = {
    "plot-loss": createLossChart($("plot-loss")),
    "plot-align": createAlignChart($("plot-align")),
  };
  await yieldToBrowser();
  charts["plot-weights"] = createWeights($("plot-weights"));
  charts["plot-scatter"] = createScatterChart($("plot-scatter"));
  charts["plot-ood"] = createOodChart($("plot-ood"));
  await yieldToBrowser();
  charts["plot-sweep"] = createSweepChart($("plot-sweep"));
  charts["plot-copy"] = createCopyChart($("plot-copy"));
  const observer = new ResizeObserver((entries) => {
    for (const entry of entries) charts[entry.target.id].resize();
  });
  for (const id of Object.keys(charts)) observer.observe($(id));
  const weights = charts["plot-weights"];
  const layers = createLayersCard(actions.interpolate || (() => Promise.resolve(null)));
  weights.onPick(() => etaSentence(weights.current, weights.construction, state.history.snapshot, state.config));

  // The charts only take their data here: each canvas is drawn in a coming animation frame
  // (frames.js), a few per frame, after the page's texts of this frame are laid out.
  return {
    /** The status line (phase pill, counters) at once. */
    showPhase() {
      status.show(state.phase, state.history.snapshot, state.rate, state.config, state.poolSize);
    },
    /** The loss curve, status line and headline. */
    fast() {
      const { snapshot: snap, trainX, trainLoss, evals } = state.history;
      status.show(state.phase, snap, state.rate, state.config, state.poolSize);
      charts["plot-loss"].update({ trainX, trainLoss, evals, refs: snap.baselines, pending: snap.pending, pgd: stretched(state.config), ghosts: state.ghosts && state.ghosts.loss });
      status.headline(snap, state.config);
    },
    /** The other figures. */
    slow() {
      const { snapshot: snap, evals } = state.history;
      charts["plot-align"].update({ evals, untrained: snap.untrained, gdpp: snap.baselines.gd_steps > 1, etaChanges: state.history.etaChanges, ghosts: state.ghosts && state.ghosts.align });
      weights.update(snap.weights);
      if (snap.layers) layers.update(snap, evals, state.config, state.query);
      charts["plot-scatter"].update(snap.scatter);
      charts["plot-ood"].update({ rows: state.ood, alpha: state.config ? state.config.alpha : null, noisy: Boolean(state.config && state.config.noise > 0), waiting: waitsFor(snap, "ood") });
      charts["plot-sweep"].update({ points: state.sweep, etaStar: snap.baselines.gd_eta_star, eta: snap.baselines.gd_eta, waiting: waitsFor(snap, "eta_star") });
      const copy = (snap.latest && snap.latest.copy) || (snap.untrained && snap.untrained.copy);
      charts["plot-copy"].update({ evals, uniform: copy ? copy.uniform : null });
    },
    /** The table, the story's live numbers and the sentences under the charts. */
    text() {
      const snap = state.history.snapshot;
      updateNumbers($("numbers-body"), snap, state.config, state.pins);
      updateStory(document.body, state.config, snap, state.ood, state.pins, state.shifts);
      etaSentence(weights.current, weights.construction, snap, state.config);
      oodReadout(state.ood, state.config, snap);
      shiftsCard(state.shifts, snap);
      alignReadout(snap, state.config);
      layers.text(snap, state.config);
      copyCard(snap, state.config);
      etaNote(state.history.etaChanges, state.history.evals);
    },
    /** What chart `id` (e.g. "plot-loss") shows, for tests. */
    describe(id) {
      return charts[id] && charts[id].describe ? charts[id].describe() : null;
    },
  };
}
