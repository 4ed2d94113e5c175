// The "layer by layer" card: the loss after every layer k beside k steps of GD and GD++, a
// table of each layer's learned step beside the step it is compared with, the distance of the
// weights from the construction over training, and the loss on the straight path from the
// trained weights to the construction. Every number is the engine's (snapshot.layers,
// evals.dist_*, the "interpolation" read-out); this file only draws and words them.

import { COLORS } from "./charts.js";
import { el, setText } from "./dom.js";
import { fixed, fmt, fmtLoss, int, isNum } from "./format.js";
import { COMPUTING, waitsFor } from "./pending.js";
import { createPlot } from "./plot.js";

const $ = (id) => document.getElementById(id);

/** The stage of the learner whose construction the weights are compared with (pending.js). */
const builtStage = (config) => (config && config.layers > 1 ? "gdpp_steps" : "gd");

/** The card; `ask()` resolves to {value: Interpolation|null, ms} (the worker's read-out). */
export function createLayersCard(ask) {
  const lossPlot = createPlot($("plot-layers"), {
    x: { scale: "lin", title: "read after layer k (= after k steps)", hoverTitle: "k", integer: true },
    panels: [
      { y: { scale: "log", title: "loss (log scale)" }, weight: 1.4 },
      { y: { scale: "log", title: "preds diff" }, weight: 1 },
    ],
    height: 300,
    ariaLabel: "Loss after every layer of the transformer beside k steps of GD and GD++",
  });
  const distPlot = createPlot($("plot-dist"), {
    x: { scale: "lin", title: "training step", hoverTitle: "step", include: [0], floor: 0 },
    panels: [{ y: { scale: "log", title: "distance to the construction" } }],
    height: 200,
    ariaLabel: "Distance of the learned weights from the construction during training",
  });
  const pathPlot = createPlot($("plot-path"), {
    x: { scale: "lin", title: "t (0 = trained weights, 1 = construction)", hoverTitle: "t", include: [0, 1] },
    panels: [{ y: { scale: "log", title: "loss (log scale)" } }],
    height: 200,
    emptyText: "computed when training is done, or press the button",
    ariaLabel: "Loss along the straight path from the trained weights to the construction",
  });
  const plots = [lossPlot, distPlot, pathPlot];
  const observer = new ResizeObserver(() => plots.forEach((p) => p.resize()));
  for (const id of ["plot-layers", "plot-dist", "plot-path"]) observer.observe($(id));

  let path = null; // the latest interpolation read-out
  let asking = false;
  let runKey = null;
  let askedForDone = false;
  let last = { snap: null, config: null };

  function requestPath() {
    if (asking) return;
    asking = true;
    setText($("path-note"), "Computing the path…");
    ask().then(
      (r) => {
        asking = false;
        path = r ? r.value : null;
        drawPath();
        text(last.snap, last.config);
      },
      (err) => {
        asking = false;
        setText($("path-note"), `The path could not be computed: ${err.message || err}`);
      },
    );
  }
  $("path-button").addEventListener("click", requestPath);

  function drawPath() {
    const p = path && path.points ? path.points : [];
    pathPlot.setData({
      series: [{ type: "line", label: "loss on the path", color: COLORS.model, width: 2.4, x: p.map((q) => q.t), y: p.map((q) => q.loss), fmt: fmtLoss }],
      markers: [],
    });
  }

  /** New data: the latest full snapshot, the whole eval history and the settings. */
  function update(snap, evals, config, query) {
    if (query !== runKey) {
      runKey = query;
      path = null;
      askedForDone = false;
      drawPath();
    }
    last = { snap, config };
    const L = snap && snap.layers;
    const rows = L ? L.rows : [];
    const k = rows.map((r) => r.layer);
    const col = (f) => rows.map(f);
    const gdppName = L && L.per_step ? "GD++, own (η_k, γ_k) per step" : "GD++, shared (η, γ)";
    lossPlot.setData({
      series: [
        { type: "line", label: "transformer, read after layer k", color: COLORS.model, width: 3, x: k, y: col((r) => r.loss), fmt: fmtLoss },
        { type: "line", label: "k steps of GD (reference η)", color: COLORS.gdK, width: 2, dash: [10, 3], x: k, y: col((r) => r.gd_loss), fmt: fmtLoss },
        { type: "line", label: `k steps of ${gdppName}`, color: COLORS.gdpp, width: 2, x: k, y: col((r) => r.gdpp_loss), fmt: fmtLoss },
        { type: "line", panel: 1, label: "preds diff vs GD", color: COLORS.gdK, width: 1.6, dash: [2, 3], x: k, y: col((r) => r.vs_gd.preds_diff) },
        { type: "line", panel: 1, label: "preds diff vs GD++", color: COLORS.gdpp, width: 2, x: k, y: col((r) => r.vs_gdpp.preds_diff) },
      ],
      markers: [],
    });
    const e = evals || { step: [], dist_kq: [], dist_pv: [] };
    distPlot.setData({
      series: [
        { type: "line", label: "‖W_KQ/β − construction‖", color: COLORS.cos, width: 2, x: e.step, y: e.dist_kq || [] },
        { type: "line", label: "‖W_PV·β − construction‖", color: COLORS.modelDiff, width: 2, x: e.step, y: e.dist_pv || [] },
      ],
      markers: [],
    });
    $("plot-layers").hidden = !(config && config.layers > 1);
    // (Once the construction is there: a run may end before its references do.)
    if (snap && snap.status === "done" && !askedForDone && config && config.attn !== "softmax" && !waitsFor(snap, builtStage(config))) {
      askedForDone = true;
      requestPath();
    }
    table(rows, config);
  }

  function table(rows, config) {
    const body = $("layers-body");
    const softmax = config && config.attn === "softmax";
    const tr = rows.map((r) =>
      el("tr", {}, ""),
    );
    rows.forEach((r, i) => {
      const cells = [
        `layer ${r.layer}`,
        fmtLoss(r.loss),
        fmtLoss(r.gd_loss),
        fmtLoss(r.gdpp_loss),
        `${fmt(r.vs_gdpp.preds_diff, 3)} / ${fixed(r.vs_gdpp.model_cos, 3)} / ${fmt(r.vs_gdpp.model_diff, 3)}`,
        softmax ? "—" : `${fixed(r.eta_over_n, 3)}, ${fixed(r.gamma, 3)}`,
        `${fixed(r.step_eta_over_n, 3)}, ${fixed(r.step_gamma, 3)}`,
        softmax ? "—" : `${fmt(r.dist_kq, 3)} / ${fmt(r.dist_pv, 3)}`,
      ];
      tr[i].append(...cells.map((c, j) => el(j === 0 ? "th" : "td", j === 0 ? { scope: "row" } : {}, c)));
    });
    body.replaceChildren(...tr);
  }

  /** The sentences under the charts, from the same numbers. */
  function text(snap, config) {
    const L = snap && snap.layers;
    const K = config ? config.layers : null;
    // One layer is one step: the card has nothing to add to the loss chart, so it stays hidden.
    const card = document.querySelector('[data-testid="chart-layers"]');
    // Classic tokens: the first layer copies, so the layers are not compared step by step (the
    // engine sends no rows); their own card shows the copy.
    const show = isNum(K) && K > 1 && config.tokens !== "classic";
    if (card && card.hidden === show) card.hidden = !show;
    let note = "";
    if (isNum(K) && K === 1) {
      note = "With one layer there is one step: the read-out after layer 1 is the model’s prediction (the loss chart shows it). Try two or more layers.";
    } else if (L && L.rows.length) {
      const rows = L.rows;
      const lastRow = rows[rows.length - 1];
      const below = rows.filter((r) => r.loss < r.gd_loss).length;
      const kind = L.recurrent ? `one set of weights applied ${K} times` : `${K} separate layers`;
      note =
        `At step ${int(L.step)}, ${kind}: after layer 1 the loss is ${fmtLoss(rows[0].loss)} (1 step of GD ${fmtLoss(rows[0].gd_loss)}, GD++ ${fmtLoss(rows[0].gdpp_loss)}); ` +
        `after layer ${K} ${fmtLoss(lastRow.loss)} (${K} steps of GD ${fmtLoss(lastRow.gd_loss)}, GD++ ${fmtLoss(lastRow.gdpp_loss)}). ` +
        `The read-out is below k-step GD’s after ${below} of ${K} layers.` +
        (L.per_step ? " GD++ here has its own (η_k, γ_k) per step, fitted to the evaluation tasks, as the paper does for deep models." : "");
    } else if (waitsFor(snap, "layers")) {
      note = `The read-out after every layer comes with k steps of GD and GD++ for every k: ${COMPUTING}`;
    }
    setText($("layers-note"), note);
    let pn = "";
    if (config && config.attn === "softmax") pn = "Softmax attention has no construction, so there is no path to it.";
    else if (config && config.layernorm) pn = "With LayerNorm no weights make a layer a GD step (a normalised token has lost the size a GD step needs), so there is no construction to go to.";
    else if (waitsFor(snap, builtStage(config))) pn = `The path needs the construction, which needs the learner’s step sizes: ${COMPUTING}`;
    else if (path && isNum(path.trained)) {
      const low = path.peak <= Math.max(path.trained, path.construction) * 1.05;
      pn =
        `At step ${int(path.step)}: the trained weights score ${fmtLoss(path.trained)} and the construction ${fmtLoss(path.construction)}; ` +
        (low
          ? `the loss along the straight path stays at or below the higher end (highest ${fmtLoss(path.peak)} at t = ${fmt(path.peak_t, 2)}): no barrier between them.`
          : `the loss along the straight path rises to ${fmtLoss(path.peak)} at t = ${fmt(path.peak_t, 2)}: a barrier, the trained weights are not in the construction’s basin along this line.`) +
        " The paper reports a low path for one layer and for recurrent models, and a failure for deep ones.";
    } else if (!asking) pn = "Press the button (or let training finish) to compute the loss along the path.";
    if (!asking) setText($("path-note"), pn);
  }

  return {
    update,
    text,
  };
}
