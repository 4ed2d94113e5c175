// The weights figure: heatmaps of the learned W_KQ/β and W_PV·β beside the paper's GD
// construction (appendix A.1), with a diverging colour map, one colour bar per row (shared by
// learned and constructed, so they compare), a layer/head picker, and the value under the cursor.

import { chartFont, createCanvasPanel, presenting } from "./canvas.js";
import { el } from "./dom.js";
import { fmt, isNum, tick } from "./format.js";
import { palette } from "./theme.js";
import { COMPUTING } from "./pending.js";

// Diverging map (blue = negative, white = 0, red = positive), in the style of ColorBrewer RdBu.
const STOPS = [
  [33, 102, 172],
  [146, 197, 222],
  [247, 247, 247],
  [244, 165, 130],
  [178, 24, 43],
];

const MISSING = [200, 204, 210];
// A title sits this far above its matrix, clear of the colour bar's top label (centred on the
// matrix's top edge), which a title wider than its matrix may reach over.
const TITLE_LIFT = 9;

/** The colour [r, g, b] of `v` on a symmetric scale [−vmax, vmax]. */
export function divergingRgb(v, vmax) {
  if (!isNum(v)) return MISSING;
  const t = Math.max(0, Math.min(1, (v / (vmax || 1) + 1) / 2)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(t));
  const f = t - i;
  return STOPS[i].map((a, k) => Math.round(a + (STOPS[i + 1][k] - a) * f));
}

function absMax(...arrays) {
  let m = 0;
  for (const a of arrays) for (const v of a || []) if (isNum(v)) m = Math.max(m, Math.abs(v));
  return m || 1;
}

// A scratch canvas with one pixel per matrix entry, scaled up when drawn.
let scratch = null;

/**
 * One n×n matrix at (x0, y0) with cells of `cell` css px, coloured on [−vmax, vmax], with its
 * title above (TITLE_LIFT px above the matrix); returns its hit box for the hover readout.
 */
function drawMatrix(ctx, values, n, x0, y0, cell, vmax, title) {
  ctx.font = chartFont();
  ctx.fillStyle = palette().text;
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.fillText(title, x0 + (n * cell) / 2, y0 - TITLE_LIFT);
  // One pixel per entry, scaled up without smoothing: one drawImage instead of n² fills.
  const img = new ImageData(n, n);
  for (let k = 0; k < n * n; k++) {
    const [r, g, b] = divergingRgb(values ? values[k] : null, vmax);
    img.data.set([r, g, b, 255], 4 * k);
  }
  scratch ??= document.createElement("canvas");
  if (scratch.width !== n) {
    scratch.width = n;
    scratch.height = n;
  }
  scratch.getContext("2d").putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(scratch, x0, y0, n * cell, n * cell);
  // The last row and column belong to the y entry of a token: mark the block boundary.
  ctx.strokeStyle = palette().cellLine;
  ctx.lineWidth = 1;
  ctx.setLineDash([3, 2]);
  ctx.beginPath();
  ctx.moveTo(x0 + (n - 1) * cell, y0);
  ctx.lineTo(x0 + (n - 1) * cell, y0 + n * cell);
  ctx.moveTo(x0, y0 + (n - 1) * cell);
  ctx.lineTo(x0 + n * cell, y0 + (n - 1) * cell);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.strokeStyle = palette().axis;
  ctx.strokeRect(x0 + 0.5, y0 + 0.5, n * cell - 1, n * cell - 1);
  return { x0, y0, cell, n, values, name: title };
}

/** A vertical colour bar of height `h` at (x0, y0), labelled vmax, 0 and −vmax. */
function drawColorBar(ctx, x0, y0, h, vmax) {
  const w = 12;
  const g = ctx.createLinearGradient(0, y0, 0, y0 + h);
  STOPS.forEach((c, i) => g.addColorStop(1 - i / (STOPS.length - 1), `rgb(${c[0]},${c[1]},${c[2]})`));
  ctx.fillStyle = g;
  ctx.fillRect(x0, y0, w, h);
  ctx.strokeStyle = palette().axis;
  ctx.strokeRect(x0 + 0.5, y0 + 0.5, w, h);
  ctx.font = chartFont(true);
  ctx.fillStyle = palette().axis;
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  for (const [v, py] of [
    [vmax, y0],
    [0, y0 + h / 2],
    [-vmax, y0 + h],
  ]) {
    ctx.fillText(tick(v), x0 + w + 4, py);
  }
}

/** The weights figure in `host`; update(weights) takes snapshot.weights. */
export function createWeights(host, { height = 380 } = {}) {
  let weights = null;
  let choice = 0;
  let cells = []; // hit boxes of drawn matrices
  let pickKey = "";

  const pickRow = el("label", { class: "picker" });
  pickRow.hidden = true;
  const select = el("select", { "data-testid": "weights-picker" });
  pickRow.append(el("span", {}, "learned weights of "), select);
  // From two layers on the model is compared with GD++, whose construction differs from plain
  // GD's by −γ on the x-diagonal of W_PV; the switch shows either.
  const againstRow = el("label", { class: "picker" });
  againstRow.hidden = true;
  const against = el("select", { "data-testid": "weights-against" });
  against.append(el("option", { value: "gdpp" }, "the GD++ construction"), el("option", { value: "gd" }, "the plain GD construction"));
  againstRow.append(el("span", {}, "beside "), against);
  const panel = createCanvasPanel({
    height,
    ariaLabel: "Heatmaps of the learned attention weights beside the gradient-descent construction",
    draw,
  });
  host.classList.add("plot");
  const pickers = el("div", { class: "pickers" });
  pickers.append(pickRow, againstRow);
  host.append(pickers, panel.element);

  select.addEventListener("change", () => {
    choice = Number(select.value) || 0;
    panel.drawNow();
  });
  against.addEventListener("change", () => panel.drawNow());

  /** The construction on show and its name: GD++ when the run has one and it is chosen. */
  function construction() {
    if (!weights) return [null, ""];
    if (weights.construction_gdpp && against.value === "gdpp") {
      // Deep models: the construction of the picked layer's own step (η_k, γ_k).
      const per = weights.construction_layers || [];
      const view = weights.learned ? weights.learned[choice] || weights.learned[0] : null;
      if (view && per[view.layer]) return [per[view.layer], `GD++ step ${view.layer + 1}`];
      return [weights.construction_gdpp, "GD++ construction"];
    }
    return [weights.construction, "GD construction"];
  }

  function updatePicker() {
    const learned = weights ? weights.learned : [];
    const key = learned.map((w) => `${w.layer}.${w.head}`).join(",");
    if (key === pickKey) return;
    pickKey = key;
    pickRow.hidden = learned.length <= 1;
    againstRow.hidden = !(weights && weights.construction_gdpp);
    select.replaceChildren(...learned.map((w, i) => el("option", { value: String(i) }, `layer ${w.layer + 1}, head ${w.head + 1}`)));
    if (choice >= learned.length) choice = 0;
    select.value = String(choice);
  }

  // The cell under the pointer: outlined, and its value in the tooltip.
  function drawHover(ctx) {
    panel.hideTip();
    const at = panel.pointer;
    if (!at) return;
    for (const c of cells) {
      const j = Math.floor((at.px - c.x0) / c.cell);
      const i = Math.floor((at.py - c.y0) / c.cell);
      if (i < 0 || j < 0 || i >= c.n || j >= c.n) continue;
      ctx.strokeStyle = palette().text;
      ctx.lineWidth = 2;
      ctx.strokeRect(c.x0 + j * c.cell, c.y0 + i * c.cell, c.cell, c.cell);
      const name = (k) => (k === c.n - 1 ? "y" : `x${k + 1}`);
      const v = c.values ? c.values[i * c.n + j] : null;
      panel.showTip([c.name, `row ${name(i)}, column ${name(j)}: ${fmt(v, 4)}`], "clamp");
      return;
    }
  }

  function draw(ctx, cssW, cssH) {
    cells = [];
    const learned = weights && weights.learned ? weights.learned[choice] || weights.learned[0] : null;
    const [built, builtTitle] = construction();
    const n = weights ? weights.width : 0;
    if (!n || !learned) {
      ctx.font = chartFont();
      ctx.fillStyle = palette().axis;
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.fillText("no data yet", cssW / 2, cssH / 2);
      return;
    }
    // Presenter mode's larger type needs more room for the titles and the colour bar's labels.
    const titleH = (presenting() ? 19 : 16) + TITLE_LIFT;
    const gapY = 30;
    const bottomRoom = 10; // for the colour bar's lowest label
    const rows = [
      ["w_kq", "W_KQ / β", "W_KQ"],
      ["w_pv", "W_PV · β", "W_PV"],
    ];
    const vmaxes = rows.map(([field]) => absMax(learned[field], built ? built[field] : null));
    // The colour bar (12 px, 10 px from the matrix) and its widest label, 4 px from it.
    ctx.font = chartFont(true);
    const barW = 30 + Math.max(...vmaxes.map((v) => ctx.measureText(tick(-v)).width));
    // Each title is centred over its matrix and may be wider than it (presenter mode's type):
    // the widest titles set the least gap between the matrices and the room on either side, so
    // no title overlaps another or leaves the canvas.
    ctx.font = chartFont();
    const widths = rows.map(([, learnedName, builtName]) => [ctx.measureText(`learned ${learnedName}`).width, ctx.measureText(`${builtTitle} ${builtName}`).width]);
    const halfL = Math.max(...widths.map((w) => w[0])) / 2;
    const halfR = Math.max(...widths.map((w) => w[1])) / 2;
    const fit = (gap) => Math.max(2, Math.min((cssW - gap - barW - 8) / (2 * n), (cssH - 2 * titleH - gapY - bottomRoom) / (2 * n)));
    let gapX = 28;
    let cell = fit(gapX);
    for (let k = 0; k < 3 && cell * n + gapX < halfL + halfR + 10; k++) {
      gapX = halfL + halfR + 10 - cell * n;
      cell = fit(gapX);
    }
    const size = cell * n;
    const total = Math.max(2 * size + gapX + barW, 1.5 * size + gapX + halfR);
    const x0 = Math.max(4, halfL - size / 2 + 2, (cssW - total) / 2);
    rows.forEach(([field, learnedName, builtName], r) => {
      const y0 = titleH + r * (size + titleH + gapY);
      const vmax = vmaxes[r];
      cells.push(drawMatrix(ctx, learned[field], n, x0, y0, cell, vmax, `learned ${learnedName}`));
      if (built) cells.push(drawMatrix(ctx, built[field], n, x0 + size + gapX, y0, cell, vmax, `${builtTitle} ${builtName}`));
      else {
        // The construction's step sizes are still being computed (the engine sends null).
        ctx.font = chartFont();
        ctx.fillStyle = palette().axis;
        ctx.textAlign = "center";
        ctx.textBaseline = "middle";
        ctx.fillText(`construction: ${COMPUTING}`, x0 + size + gapX + size / 2, y0 + size / 2);
      }
      drawColorBar(ctx, x0 + 2 * size + gapX + 10, y0, size, vmax);
    });
    drawHover(ctx);
  }

  return {
    canvas: panel.canvas,
    update(w) {
      if ((w || null) === weights) return; // the same full snapshot as last time
      weights = w || null;
      updatePicker();
      panel.requestDraw();
    },
    resize: panel.resize,
    /** The learned view on show (for the "learned η/N" sentence). */
    get current() {
      return weights && weights.learned ? weights.learned[choice] || weights.learned[0] : null;
    },
    /** The construction on show: {view, name} ("GD construction" or "GD++ construction"). */
    get construction() {
      const [view, name] = construction();
      return { view, name };
    },
    onPick(fn) {
      select.addEventListener("change", fn);
      against.addEventListener("change", fn);
    },
  };
}
