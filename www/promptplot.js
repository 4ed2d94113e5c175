// The "One prompt" card's interactive canvas: the prompt's examples and query as points one can
// drag, click to add, double-click or Delete to remove, and move with the keyboard (each point
// has a transparent focusable button over it), with every learner's answer drawn from the
// engine's numbers. Three pictures by the input dimension d:
//   d = 1  x across, y up: the examples, the query's x_q, each learner's function of x_q (a line
//          through the origin whose slope is its implied weight, or the engine's curve), the
//          true line, and each learner's answer at x_q;
//   d = 2  the examples in the (x₁, x₂) plane coloured by y (legend), the query, and beside it
//          each learner's implied weight vector as an arrow from the origin;
//   d > 2  the examples as a heatmap (a column per example, a row per input) above a bar per
//          example's y (drag a bar), and the implied weights as grouped bars beside the true W.
// It redraws at once (not in a later frame) so a drag shows its answer in the same frame.

import { FAMILY, fitHiDpi } from "./canvas.js";
import { el } from "./dom.js";
import { fmt, isNum, tick } from "./format.js";
import { clampRound, divergingColor, hitTest, keyStep, LEARNER_COLORS, setCoord, symRange } from "./promptmath.js";
import { atLeast3, makeScale } from "./scales.js";
import { palette } from "./theme.js";

const FONT = `12px ${FAMILY}`;
const SMALL = `11px ${FAMILY}`;
const HIT_MOUSE = 12;
const HIT_TOUCH = 22;

/** An arrow from (x0, y0) to (x1, y1) in pixels. */
function arrow(ctx, x0, y0, x1, y1, color, dash = []) {
  ctx.save();
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = 2.2;
  ctx.setLineDash(dash);
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1, y1);
  ctx.stroke();
  const a = Math.atan2(y1 - y0, x1 - x0);
  const len = Math.hypot(x1 - x0, y1 - y0);
  if (len > 4) {
    const h = Math.min(9, len / 2);
    ctx.setLineDash([]);
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.lineTo(x1 - h * Math.cos(a - 0.4), y1 - h * Math.sin(a - 0.4));
    ctx.lineTo(x1 - h * Math.cos(a + 0.4), y1 - h * Math.sin(a + 0.4));
    ctx.closePath();
    ctx.fill();
  }
  ctx.restore();
}

/** Axes with ticks and titles for the area {left, right, top, bottom} and scales x, y. */
function axes(ctx, A, x, y, xTitle, yTitle) {
  ctx.font = SMALL;
  ctx.lineWidth = 1;
  const xt = atLeast3(x.lo, x.hi, Math.max(2, Math.floor((A.right - A.left) / 70)));
  const yt = atLeast3(y.lo, y.hi, Math.max(2, Math.floor((A.bottom - A.top) / 40)));
  ctx.strokeStyle = palette().grid;
  ctx.beginPath();
  for (const v of xt) {
    const px = Math.round(x.map(v)) + 0.5;
    ctx.moveTo(px, A.top);
    ctx.lineTo(px, A.bottom);
  }
  for (const v of yt) {
    const py = Math.round(y.map(v)) + 0.5;
    ctx.moveTo(A.left, py);
    ctx.lineTo(A.right, py);
  }
  ctx.stroke();
  // The zero lines, darker: every learner's line goes through the origin.
  ctx.strokeStyle = palette().frame;
  ctx.beginPath();
  if (x.lo < 0 && x.hi > 0) {
    const px = Math.round(x.map(0)) + 0.5;
    ctx.moveTo(px, A.top);
    ctx.lineTo(px, A.bottom);
  }
  if (y.lo < 0 && y.hi > 0) {
    const py = Math.round(y.map(0)) + 0.5;
    ctx.moveTo(A.left, py);
    ctx.lineTo(A.right, py);
  }
  ctx.stroke();
  ctx.strokeStyle = palette().axis;
  ctx.strokeRect(A.left + 0.5, A.top + 0.5, A.right - A.left, A.bottom - A.top);
  ctx.fillStyle = palette().axis;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const v of xt) ctx.fillText(tick(v), x.map(v), A.bottom + 4);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const v of yt) ctx.fillText(tick(v), A.left - 4, y.map(v));
  ctx.font = FONT;
  ctx.fillStyle = palette().text;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  ctx.fillText(xTitle, (A.left + A.right) / 2, A.bottom + 19);
  ctx.save();
  ctx.translate(A.left - 36, (A.top + A.bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle";
  ctx.fillText(yTitle, 0, 0);
  ctx.restore();
}

function clip(ctx, A) {
  ctx.beginPath();
  ctx.rect(A.left, A.top, A.right - A.left, A.bottom - A.top);
  ctx.clip();
}

/** A point's name for screen readers and announcements. */
export function pointName(target) {
  return target.kind === "query" ? "the query" : `example ${target.index + 1}`;
}

/**
 * The interactive plot in `host`. on = {edit(prompt, {done}), select(target|null),
 * add(), announce(text)}. Returns {set(model), resetBox(), resize(), focusPoint(target),
 * latency (array of ms from a pointer move to its redraw), canvas}.
 * model = {d, prompt, ans, shown, w (true W or null), truthLabel, selected, maxExamples, xRange}.
 */
export function createPromptPlot(host, on) {
  const wrap = el("div", { class: "prompt-plot" });
  const canvas = el("canvas", { "data-testid": "prompt-canvas", role: "img", "aria-label": "The prompt: examples, query and every learner's answer" });
  const layer = el("div", { class: "prompt-points", role: "group", "aria-label": "Points of the prompt (arrow keys move the focused point)" });
  wrap.append(canvas, layer);
  host.append(wrap);
  const ctx = canvas.getContext("2d");

  let m = null; // the model being drawn
  let box = null; // fixed data ranges, reset on a new task: {x: [lo, hi], y: [lo, hi], c (colour max)}
  let L = null; // the last layout: areas, scales, interactive points
  let cssW = 0;
  // The height before the first task from the start (not the canvas's default 150 px until
  // the first draw, a frame later): the card does not grow under the charts while it loads.
  let cssH = heightFor(0);
  canvas.style.height = `${cssH}px`;
  let sized = "";
  let drag = null; // {target, pointerId, moved}
  const latency = []; // ms from each drag move's pointer event to its redraw
  const work = []; // ms of that spent answering and drawing
  const buttons = new Map(); // key -> button

  // ---- data box ---------------------------------------------------------------------------
  function computeBox() {
    const { prompt, d, ans, xRange } = m;
    const xs = [];
    const ys = [];
    for (const e of prompt.examples) {
      xs.push(...e.slice(0, d));
      ys.push(e[d]);
    }
    xs.push(...prompt.query);
    if (ans) for (const v of Object.values(ans.predictions)) ys.push(v);
    if (isNum(m.target)) ys.push(m.target);
    const xr = symRange(xs, xRange);
    // Room for the lines of the true W at the box's edge, within reason.
    const wMax = m.w ? Math.max(...m.w.map(Math.abs)) : 0;
    const yr = symRange(ys, Math.max(0.2, Math.min(wMax * xr[1], 3 * Math.max(...ys.map(Math.abs), 0.1))));
    box = { x: xr, y: yr, c: Math.max(Math.abs(xr[0]), 1e-9) };
  }

  // ---- layout -----------------------------------------------------------------------------
  function heightFor(w) {
    // Before the first task: the height of the default link's (d = 10), so that the card does
    // not grow, pushing the charts down, when its task arrives.
    if (!m) return 564;
    if (m.d === 1) return Math.round(Math.min(380, Math.max(260, w * 0.62)));
    if (m.d === 2) return w >= 420 ? Math.round(Math.min((w - 30) / 2, 400)) + 44 : 2 * Math.round(Math.min(w, 340)) + 50;
    const cell = Math.max(6, Math.min(16, Math.floor(220 / m.d)));
    return 30 + m.d * cell + 24 + 110 + 40 + 200;
  }

  function layout() {
    const W = cssW;
    const H = cssH;
    const pts = [];
    if (m.d === 1) {
      const A = { left: 58, right: W - 12, top: 10, bottom: H - 42 };
      const x = makeScale("lin", box.x[0], box.x[1], A.left, A.right);
      const y = makeScale("lin", box.y[0], box.y[1], A.bottom, A.top);
      m.prompt.examples.forEach((e, i) => pts.push({ target: { kind: "example", index: i }, px: x.map(e[0]), py: y.map(e[1]) }));
      pts.push({ target: { kind: "query" }, px: x.map(m.prompt.query[0]), py: A.bottom - 8 });
      return { A, x, y, pts };
    }
    if (m.d === 2) {
      const side = W >= 420;
      const size = side ? Math.min((W - 30) / 2, H - 44) : Math.min(W, (H - 50) / 2);
      const pad = { l: 50, r: 10, t: 8, b: 40 };
      const A = { left: pad.l, right: size - pad.r, top: pad.t, bottom: size - pad.b };
      const off = side ? { x: size + 30, y: 0 } : { x: 0, y: size + 50 };
      const B = { left: off.x + pad.l, right: off.x + size - pad.r, top: off.y + pad.t, bottom: off.y + size - pad.b };
      const x = makeScale("lin", box.x[0], box.x[1], A.left, A.right);
      const y = makeScale("lin", box.x[0], box.x[1], A.bottom, A.top);
      m.prompt.examples.forEach((e, i) => pts.push({ target: { kind: "example", index: i }, px: x.map(e[0]), py: y.map(e[1]) }));
      pts.push({ target: { kind: "query" }, px: x.map(m.prompt.query[0]), py: y.map(m.prompt.query[1]) });
      // The weights' plane: a square range covering every arrow.
      const ws = [];
      for (const l of m.shown) if (m.ans) ws.push(...(m.ans.implied_weights[l.key] || []));
      if (m.w) ws.push(...m.w);
      const wr = symRange(ws, 0.5);
      const wx = makeScale("lin", wr[0], wr[1], B.left, B.right);
      const wy = makeScale("lin", wr[0], wr[1], B.bottom, B.top);
      return { A, B, x, y, wx, wy, pts, legendY: side ? A.bottom + 44 : A.bottom + 40, side };
    }
    // d > 2
    const d = m.d;
    const M = m.prompt.examples.length;
    const cell = Math.max(6, Math.min(16, Math.floor(220 / d)));
    const left = 58;
    const right = W - 12;
    const colW = (right - left) / (M + 1.6);
    const H1 = { left, right, top: 22, bottom: 22 + d * cell };
    const Y = { left, right, top: H1.bottom + 24, bottom: H1.bottom + 24 + 110 };
    const WB = { left, right, top: Y.bottom + 40, bottom: H - 34 };
    const colX = (i) => left + (i < M ? i : M + 0.6) * colW; // the query's column sits apart
    const y = makeScale("lin", box.y[0], box.y[1], Y.bottom, Y.top);
    m.prompt.examples.forEach((e, i) => pts.push({ target: { kind: "example", index: i }, px: colX(i) + colW / 2, py: y.map(e[d]), bar: true }));
    return { H1, Y, WB, y, colW, colX, cell, pts };
  }

  // ---- drawing ----------------------------------------------------------------------------
  function fit() {
    sized = fitHiDpi(canvas, ctx, cssW, cssH, sized);
  }

  function draw() {
    cssW = canvas.clientWidth;
    const h = heightFor(cssW);
    if (cssH !== h) {
      canvas.style.height = `${h}px`;
      cssH = h;
    }
    if (!cssW || !m) return;
    if (!box) computeBox();
    fit();
    ctx.fillStyle = palette().bg;
    ctx.fillRect(0, 0, cssW, cssH);
    L = layout();
    if (m.d === 1) draw1();
    else if (m.d === 2) draw2();
    else drawMany();
    placeButtons();
  }

  function selectedIs(t) {
    const s = m.selected;
    return s && s.kind === t.kind && (t.kind === "query" || s.index === t.index);
  }

  function draw1() {
    const { A, x, y } = L;
    const { prompt, ans, shown } = m;
    axes(ctx, A, x, y, "x (input)", "y (label)");
    ctx.save();
    clip(ctx, A);
    const xq = prompt.query[0];
    // The true line (dark, dashed) under the learners.
    if (m.w) {
      ctx.strokeStyle = LEARNER_COLORS.truth;
      ctx.lineWidth = 1.5;
      ctx.setLineDash([7, 5]);
      ctx.beginPath();
      ctx.moveTo(x.map(x.lo), y.map(m.w[0] * x.lo));
      ctx.lineTo(x.map(x.hi), y.map(m.w[0] * x.hi));
      ctx.stroke();
    }
    if (ans) {
      for (const l of [...shown].reverse()) {
        ctx.strokeStyle = l.color;
        ctx.lineWidth = l.key === "transformer" ? 3 : 1.8;
        ctx.setLineDash(l.dash);
        ctx.beginPath();
        const curve = ans.curve && (l.key === "transformer" || l.key === "untrained") ? ans.curve : null;
        if (curve) {
          curve.xq.forEach((xv, i) => {
            const yv = curve[l.key][i];
            if (!isNum(yv)) return;
            if (i === 0) ctx.moveTo(x.map(xv), y.map(yv));
            else ctx.lineTo(x.map(xv), y.map(yv));
          });
        } else {
          const w = ans.implied_weights[l.key][0];
          if (!isNum(w)) continue;
          ctx.moveTo(x.map(x.lo), y.map(w * x.lo));
          ctx.lineTo(x.map(x.hi), y.map(w * x.hi));
        }
        ctx.stroke();
      }
    }
    ctx.setLineDash([]);
    // The query's vertical line.
    ctx.strokeStyle = palette().queryRing;
    ctx.lineWidth = 1;
    ctx.setLineDash([2, 3]);
    ctx.beginPath();
    ctx.moveTo(x.map(xq), A.top);
    ctx.lineTo(x.map(xq), A.bottom);
    ctx.stroke();
    ctx.setLineDash([]);
    // Examples.
    ctx.font = SMALL;
    prompt.examples.forEach((e, i) => {
      const px = x.map(e[0]);
      const py = y.map(e[1]);
      ctx.fillStyle = palette().point;
      ctx.beginPath();
      ctx.arc(px, py, 6, 0, Math.PI * 2);
      ctx.fill();
      ctx.fillStyle = palette().text;
      ctx.textAlign = "left";
      ctx.textBaseline = "bottom";
      ctx.fillText(String(i + 1), px + 6, py - 4);
      if (selectedIs({ kind: "example", index: i })) ring(px, py, 10);
    });
    // Each learner's answer at the query, and the true answer.
    if (ans) {
      for (const l of shown) {
        const v = ans.predictions[l.key];
        if (!isNum(v)) continue;
        ctx.fillStyle = l.color;
        ctx.strokeStyle = palette().bg;
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        ctx.arc(x.map(xq), y.map(v), l.key === "transformer" ? 6 : 4.5, 0, Math.PI * 2);
        ctx.fill();
        ctx.stroke();
      }
    }
    if (isNum(m.target)) {
      ctx.strokeStyle = LEARNER_COLORS.truth;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(x.map(xq), y.map(m.target), 8, 0, Math.PI * 2);
      ctx.stroke();
    }
    ctx.restore();
    // The query's handle on the x axis.
    const qx = x.map(xq);
    const qy = A.bottom - 8;
    ctx.fillStyle = palette().query;
    ctx.beginPath();
    ctx.moveTo(qx, qy - 8);
    ctx.lineTo(qx + 7, qy);
    ctx.lineTo(qx, qy + 8);
    ctx.lineTo(qx - 7, qy);
    ctx.closePath();
    ctx.fill();
    ctx.font = SMALL;
    ctx.textAlign = "left";
    ctx.textBaseline = "bottom";
    ctx.textAlign = "right";
    ctx.fillText("x_q", qx - 9, qy + 4);
    if (selectedIs({ kind: "query" })) ring(qx, qy, 12);
    if (m.w) {
      ctx.fillStyle = palette().text;
      ctx.textAlign = "left";
      ctx.textBaseline = "top";
      ctx.fillText(`dashed: ${m.truthLabel}, slope ${fmt(m.w[0], 3)}`, A.left + 6, A.top + 4);
    }
  }

  function ring(px, py, r) {
    ctx.save();
    ctx.strokeStyle = palette().selected;
    ctx.lineWidth = 2.5;
    ctx.setLineDash([]);
    ctx.beginPath();
    ctx.arc(px, py, r, 0, Math.PI * 2);
    ctx.stroke();
    ctx.restore();
  }

  function ymax() {
    let c = 0;
    for (const e of m.prompt.examples) c = Math.max(c, Math.abs(e[m.d]));
    return Math.max(c, 1e-6);
  }

  function draw2() {
    const { A, B, x, y, wx, wy } = L;
    const { prompt, ans, shown } = m;
    axes(ctx, A, x, y, "x₁", "x₂");
    const cmax = ymax();
    ctx.save();
    clip(ctx, A);
    prompt.examples.forEach((e, i) => {
      const px = x.map(e[0]);
      const py = y.map(e[1]);
      ctx.fillStyle = divergingColor(e[2], cmax);
      ctx.strokeStyle = palette().point;
      ctx.lineWidth = 1.2;
      ctx.beginPath();
      ctx.arc(px, py, 7, 0, Math.PI * 2);
      ctx.fill();
      ctx.stroke();
      ctx.fillStyle = palette().text;
      ctx.font = SMALL;
      ctx.textAlign = "left";
      ctx.textBaseline = "bottom";
      ctx.fillText(String(i + 1), px + 7, py - 4);
      if (selectedIs({ kind: "example", index: i })) ring(px, py, 11);
    });
    // The query: a black diamond.
    const qx = x.map(prompt.query[0]);
    const qy = y.map(prompt.query[1]);
    ctx.fillStyle = palette().query;
    ctx.beginPath();
    ctx.moveTo(qx, qy - 9);
    ctx.lineTo(qx + 8, qy);
    ctx.lineTo(qx, qy + 9);
    ctx.lineTo(qx - 8, qy);
    ctx.closePath();
    ctx.fill();
    ctx.font = SMALL;
    ctx.textAlign = "left";
    ctx.textBaseline = "top";
    ctx.fillText("query", qx + 9, qy + 2);
    if (selectedIs({ kind: "query" })) ring(qx, qy, 13);
    ctx.restore();
    // The colour legend under the plane.
    const lx0 = A.left;
    const lx1 = Math.min(A.right - 70, A.left + 180);
    const ly = A.bottom + 30;
    for (let i = 0; i <= 60; i++) {
      const v = -cmax + (2 * cmax * i) / 60;
      ctx.fillStyle = divergingColor(v, cmax);
      ctx.fillRect(lx0 + ((lx1 - lx0) * i) / 61, ly, (lx1 - lx0) / 61 + 1, 9);
    }
    ctx.strokeStyle = palette().axis;
    ctx.lineWidth = 1;
    ctx.strokeRect(lx0 + 0.5, ly + 0.5, lx1 - lx0, 9);
    ctx.fillStyle = palette().text;
    ctx.font = SMALL;
    ctx.textBaseline = "middle";
    ctx.textAlign = "right";
    ctx.fillText(fmt(-cmax, 2), lx0 - 4, ly + 5);
    ctx.textAlign = "left";
    ctx.fillText(`${fmt(cmax, 2)} = label y`, lx1 + 4, ly + 5);

    // The weights' plane.
    axes(ctx, B, wx, wy, "w₁", "w₂");
    ctx.save();
    clip(ctx, B);
    const ox = wx.map(0);
    const oy = wy.map(0);
    if (m.w) arrow(ctx, ox, oy, wx.map(m.w[0]), wy.map(m.w[1]), LEARNER_COLORS.truth, [6, 4]);
    if (ans) {
      for (const l of [...shown].reverse()) {
        const w = ans.implied_weights[l.key];
        if (!w || !isNum(w[0]) || !isNum(w[1])) continue;
        arrow(ctx, ox, oy, wx.map(w[0]), wy.map(w[1]), l.color, l.dash);
      }
    }
    ctx.restore();
    ctx.fillStyle = palette().text;
    ctx.font = SMALL;
    ctx.textAlign = "left";
    ctx.textBaseline = "top";
    ctx.fillText(m.w ? `implied weights (dashed: ${m.truthLabel})` : "implied weights ∂ŷ/∂x_q", B.left, B.bottom + 30);
  }

  function drawMany() {
    const { H1, Y, WB, y, colW, colX, cell } = L;
    const { prompt, ans, shown, d } = m;
    const M = prompt.examples.length;
    const cmax = box.c;
    ctx.font = SMALL;
    ctx.fillStyle = palette().text;
    ctx.textAlign = "left";
    ctx.textBaseline = "bottom";
    ctx.fillText(`inputs x per example and query (blue < 0 < red)`, H1.left, H1.top - 4);
    const cols = prompt.examples.map((e) => e.slice(0, d)).concat([prompt.query]);
    cols.forEach((xs, i) => {
      const cx = colX(i);
      xs.forEach((v, j) => {
        ctx.fillStyle = divergingColor(v, cmax);
        ctx.fillRect(cx + 1, H1.top + j * cell, Math.max(1, colW - 2), cell - 1);
      });
    });
    ctx.fillStyle = palette().axis;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const j of [0, d - 1]) ctx.fillText(`x${j + 1}`, H1.left - 4, H1.top + (j + 0.5) * cell);
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    ctx.fillText("query", colX(M) + colW / 2, H1.bottom + 2);
    // The labels y, a bar each.
    axesY(Y, y, "label y");
    const y0 = y.map(0);
    prompt.examples.forEach((e, i) => {
      const px = colX(i);
      const py = y.map(e[d]);
      ctx.fillStyle = selectedIs({ kind: "example", index: i }) ? palette().selected : palette().point;
      ctx.fillRect(px + Math.max(1, colW * 0.15), Math.min(py, y0), Math.max(2, colW * 0.7), Math.max(1, Math.abs(py - y0)));
    });
    if (colW >= 14) {
      ctx.fillStyle = palette().axis;
      ctx.textAlign = "center";
      ctx.textBaseline = "top";
      prompt.examples.forEach((_, i) => ctx.fillText(String(i + 1), colX(i) + colW / 2, Y.bottom + 2));
    }
    // The query's column: each learner's answer as a tick, the true answer as a ring.
    if (ans) {
      const qx = colX(M);
      for (const l of shown) {
        const v = ans.predictions[l.key];
        if (!isNum(v) || v < y.lo || v > y.hi) continue;
        ctx.strokeStyle = l.color;
        ctx.lineWidth = 3;
        ctx.beginPath();
        ctx.moveTo(qx + 2, y.map(v));
        ctx.lineTo(qx + colW - 2, y.map(v));
        ctx.stroke();
      }
      if (isNum(m.target) && m.target >= y.lo && m.target <= y.hi) {
        ctx.strokeStyle = LEARNER_COLORS.truth;
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        ctx.arc(qx + colW / 2, y.map(m.target), 5, 0, Math.PI * 2);
        ctx.stroke();
      }
      ctx.fillStyle = palette().axis;
      ctx.font = SMALL;
      ctx.textAlign = "center";
      ctx.textBaseline = "top";
      ctx.fillText("ŷ", qx + colW / 2, Y.bottom + 2);
    }
    // Implied weights: grouped bars per input, beside the true W.
    const groups = [];
    if (m.w) groups.push({ key: "truth", color: LEARNER_COLORS.truth, values: m.w });
    if (ans) for (const l of shown) if (l.key !== "untrained") groups.push({ key: l.key, color: l.color, values: ans.implied_weights[l.key] });
    const all = groups.flatMap((g) => g.values).filter(isNum);
    const wr = symRange(all, 0.5);
    const wy = makeScale("lin", wr[0], wr[1], WB.bottom, WB.top);
    axesY(WB, wy, "weight");
    ctx.fillStyle = palette().text;
    ctx.font = SMALL;
    ctx.textAlign = "left";
    ctx.textBaseline = "bottom";
    ctx.fillText(`implied weights ∂ŷ/∂x_q per input${m.w ? ` (black: ${m.truthLabel})` : ""}`, WB.left, WB.top - 4);
    const gw = (WB.right - WB.left) / d;
    const bw = Math.max(1, (gw * 0.8) / Math.max(1, groups.length));
    const wy0 = wy.map(0);
    for (let j = 0; j < d; j++) {
      groups.forEach((g, k) => {
        const v = g.values[j];
        if (!isNum(v)) return;
        const py = wy.map(Math.max(wr[0], Math.min(wr[1], v)));
        ctx.fillStyle = g.color;
        ctx.fillRect(WB.left + j * gw + gw * 0.1 + k * bw, Math.min(py, wy0), Math.max(1, bw - 0.5), Math.max(1, Math.abs(py - wy0)));
      });
    }
    ctx.fillStyle = palette().axis;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    const every = Math.max(1, Math.ceil(24 / gw));
    for (let j = 0; j < d; j += every) ctx.fillText(`x${j + 1}`, WB.left + (j + 0.5) * gw, WB.bottom + 3);
  }

  /** A y axis with ticks and a zero line for the area A. */
  function axesY(A, y, title) {
    const yt = atLeast3(y.lo, y.hi, Math.max(2, Math.floor((A.bottom - A.top) / 30)));
    ctx.lineWidth = 1;
    ctx.strokeStyle = palette().grid;
    ctx.beginPath();
    for (const v of yt) {
      const py = Math.round(y.map(v)) + 0.5;
      ctx.moveTo(A.left, py);
      ctx.lineTo(A.right, py);
    }
    ctx.stroke();
    ctx.strokeStyle = palette().axis;
    ctx.beginPath();
    ctx.moveTo(A.left + 0.5, A.top);
    ctx.lineTo(A.left + 0.5, A.bottom);
    const z = Math.round(y.map(0)) + 0.5;
    ctx.moveTo(A.left, z);
    ctx.lineTo(A.right, z);
    ctx.stroke();
    ctx.fillStyle = palette().axis;
    ctx.font = SMALL;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const v of yt) ctx.fillText(tick(v), A.left - 4, y.map(v));
    ctx.save();
    ctx.font = FONT;
    ctx.fillStyle = palette().text;
    ctx.translate(14, (A.top + A.bottom) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(title, 0, 0);
    ctx.restore();
  }

  // ---- focusable points -------------------------------------------------------------------
  const keyOf = (t) => (t.kind === "query" ? "q" : `e${t.index}`);

  function describe(t) {
    const { prompt, d } = m;
    const fx = (v) => fmt(v, 3);
    if (t.kind === "query") return `Query: ${d <= 2 ? prompt.query.map((v, j) => `x${d === 1 ? "" : j + 1} = ${fx(v)}`).join(", ") : `${d} inputs`}. ${d === 1 ? "Left and right arrows move it." : d === 2 ? "Arrow keys move it." : ""}`;
    const e = prompt.examples[t.index];
    const where = d <= 2 ? e.slice(0, d).map((v, j) => `x${d === 1 ? "" : j + 1} = ${fx(v)}`).join(", ") + ", " : "";
    const keys = d === 1 ? "Arrow keys move it" : d === 2 ? "Arrow keys move it, + and − change y" : "Up and down arrows change y";
    return `Example ${t.index + 1}: ${where}y = ${fx(e[d])}. ${keys}; Delete removes it.`;
  }

  function placeButtons() {
    const want = new Set();
    for (const p of L.pts) {
      const key = keyOf(p.target);
      want.add(key);
      let b = buttons.get(key);
      if (!b) {
        b = el("button", { type: "button", class: "prompt-point", "data-testid": p.target.kind === "query" ? "point-query" : `point-${p.target.index + 1}` });
        b.addEventListener("keydown", (e) => onKey(e, b.__target));
        b.addEventListener("focus", () => on.select(b.__target, "focus"));
        buttons.set(key, b);
        layer.append(b);
      }
      b.__target = p.target;
      const label = describe(p.target);
      if (b.getAttribute("aria-label") !== label) b.setAttribute("aria-label", label);
      b.style.transform = `translate(${Math.round(p.px - 11)}px, ${Math.round(p.py - 11)}px)`;
    }
    for (const [key, b] of buttons) {
      if (!want.has(key)) {
        b.remove();
        buttons.delete(key);
      }
    }
    // Keep tab order = example order, query last.
    const order = L.pts.map((p) => buttons.get(keyOf(p.target)));
    let prev = null;
    for (const b of order) {
      if (prev ? prev.nextSibling !== b : layer.firstChild !== b) layer.insertBefore(b, prev ? prev.nextSibling : layer.firstChild);
      prev = b;
    }
  }

  // ---- editing ----------------------------------------------------------------------------
  /** The prompt with point `t` moved to pixel (px, py) (clamped to the box). */
  function movedTo(t, px, py) {
    const { d } = m;
    let p = m.prompt;
    if (d === 1) {
      p = setCoord(p, t, 0, clampRound(L.x.inv(px), box.x[0], box.x[1]));
      if (t.kind === "example") p = setCoord(p, t, 1, clampRound(L.y.inv(py), box.y[0], box.y[1]));
    } else if (d === 2) {
      p = setCoord(p, t, 0, clampRound(L.x.inv(px), box.x[0], box.x[1]));
      p = setCoord(p, t, 1, clampRound(L.y.inv(py), box.x[0], box.x[1]));
    } else if (t.kind === "example") {
      p = setCoord(p, t, d, clampRound(L.y.inv(py), box.y[0], box.y[1]));
    }
    return p;
  }

  function nudged(t, coord, sign, big) {
    const { d } = m;
    const range = coord === d ? box.y : box.x;
    const cur = t.kind === "query" ? m.prompt.query[coord] : m.prompt.examples[t.index][coord];
    return setCoord(m.prompt, t, coord, clampRound(cur + sign * keyStep(range[0], range[1], big), range[0], range[1]));
  }

  function onKey(e, t) {
    if (!m) return;
    const { d } = m;
    const big = e.shiftKey;
    let p = null;
    const isEx = t.kind === "example";
    switch (e.key) {
      case "ArrowLeft":
      case "ArrowRight": {
        const s = e.key === "ArrowLeft" ? -1 : 1;
        if (d <= 2) p = nudged(t, 0, s, big);
        break;
      }
      case "ArrowUp":
      case "ArrowDown": {
        const s = e.key === "ArrowDown" ? -1 : 1;
        if (d === 1 && isEx) p = nudged(t, 1, s, big);
        else if (d === 2) p = nudged(t, 1, s, big);
        else if (d > 2 && isEx) p = nudged(t, d, s, big);
        break;
      }
      case "+":
      case "=":
      case "-":
      case "−":
        if (d === 2 && isEx) p = nudged(t, 2, e.key === "-" || e.key === "−" ? -1 : 1, big);
        break;
      case "Delete":
      case "Backspace":
        if (isEx) {
          e.preventDefault();
          on.remove(t.index);
        }
        return;
      default:
        return;
    }
    if (p) {
      e.preventDefault();
      on.select(t, "key");
      on.edit(p, { done: true, keyboard: true, target: t });
    }
  }

  function local(e) {
    const r = canvas.getBoundingClientRect();
    return { px: e.clientX - r.left, py: e.clientY - r.top };
  }

  function hit(e) {
    if (!L) return -1;
    const { px, py } = local(e);
    const radius = e.pointerType === "touch" ? HIT_TOUCH : HIT_MOUSE;
    if (m.d > 2) {
      // A bar: anywhere in its column of the labels' panel.
      const { Y, colW, colX } = L;
      if (py < Y.top - 6 || py > Y.bottom + 6) return -1;
      return L.pts.findIndex((p, i) => px >= colX(i) && px < colX(i) + colW);
    }
    return hitTest(L.pts, px, py, radius);
  }

  /** Whether pixel (px, py) is inside the area where a click adds an example. */
  function inAddArea(px, py) {
    if (!L || m.d > 2) return false;
    const A = L.A;
    return px >= A.left && px <= A.right && py >= A.top && py <= A.bottom;
  }

  canvas.addEventListener("pointerdown", (e) => {
    if (!m || e.button !== 0) return;
    const i = hit(e);
    if (i < 0) {
      drag = { target: null, pointerId: e.pointerId, start: local(e), moved: false };
      return;
    }
    const t = L.pts[i].target;
    drag = { target: t, pointerId: e.pointerId, start: local(e), moved: false };
    canvas.setPointerCapture(e.pointerId);
    on.select(t, "pointer");
    e.preventDefault();
  });

  canvas.addEventListener("pointermove", (e) => {
    if (!m || !L) return;
    if (!drag || !drag.target || e.pointerId !== drag.pointerId) {
      if (e.pointerType === "mouse") canvas.style.cursor = hit(e) >= 0 ? "grab" : inAddArea(local(e).px, local(e).py) ? "crosshair" : "default";
      return;
    }
    const t0 = performance.now();
    const { px, py } = local(e);
    if (!drag.moved && Math.hypot(px - drag.start.px, py - drag.start.py) < 2) return;
    drag.moved = true;
    canvas.style.cursor = "grabbing";
    on.edit(movedTo(drag.target, px, py), { done: false, target: drag.target });
    // The answer and the picture are ready: time from the pointer event to here.
    const t1 = performance.now();
    latency.push(t1 - e.timeStamp);
    work.push(t1 - t0);
    if (latency.length > 2000) {
      latency.splice(0, 1000);
      work.splice(0, 1000);
    }
  });

  function endDrag(e) {
    if (!drag || e.pointerId !== drag.pointerId) return;
    const d = drag;
    drag = null;
    if (d.target) on.dragEnd();
    if (d.target && d.moved) on.edit(m.prompt, { done: true, target: d.target });
    else if (!d.target && e.type === "pointerup") {
      const { px, py } = local(e);
      if (Math.hypot(px - d.start.px, py - d.start.py) < 4 && inAddArea(px, py) && m.prompt.examples.length < m.maxExamples) {
        // A click on empty space: a new example there (d = 2: with label 0, change it with the wheel or + / −).
        const row = m.d === 1 ? [L.x.inv(px), L.y.inv(py)] : [L.x.inv(px), L.y.inv(py), 0];
        on.add(row.map((v, j) => clampRound(v, (m.d === 1 && j === 1 ? box.y : box.x)[0], (m.d === 1 && j === 1 ? box.y : box.x)[1])));
      }
    }
  }
  canvas.addEventListener("pointerup", endDrag);
  canvas.addEventListener("pointercancel", endDrag);

  canvas.addEventListener("dblclick", (e) => {
    const i = hit(e);
    if (i >= 0 && L.pts[i].target.kind === "example") on.remove(L.pts[i].target.index);
  });

  canvas.addEventListener(
    "wheel",
    (e) => {
      if (!m || m.d === 1) return;
      const i = hit(e);
      if (i < 0 || L.pts[i].target.kind !== "example") return;
      e.preventDefault();
      const t = L.pts[i].target;
      on.select(t, "pointer");
      on.edit(nudged(t, m.d, e.deltaY > 0 ? -1 : 1, e.shiftKey), { done: true, target: t, wheel: true });
    },
    { passive: false },
  );

  return {
    canvas,
    latency,
    work,
    /** Draws `model` now. */
    set(model) {
      const dChanged = !m || m.d !== model.d;
      m = model;
      if (dChanged) box = null;
      draw();
    },
    /** Forget the fixed ranges (a new task): the next draw fits them to the prompt. */
    resetBox() {
      box = null;
    },
    /** The fixed x range (for the engine's d = 1 curve). */
    get xBox() {
      return box ? box.x : null;
    },
    resize() {
      sized = "";
      draw();
    },
    focusPoint(t) {
      const b = buttons.get(keyOf(t));
      if (b && document.activeElement !== b) b.focus({ preventScroll: true });
    },
    get dragging() {
      return Boolean(drag && drag.target);
    },
  };
}
