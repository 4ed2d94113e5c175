// A line and scatter plot on a canvas panel (canvas.js): linear or log axes with tick labels and
// titles, stacked panels sharing one x axis, vertical markers, an HTML legend, and a hover
// readout of the values under the cursor. It only draws: the numbers come from the engine, and
// null/NaN points are skipped, never drawn.

import { chartFont, createCanvasPanel, presenting } from "./canvas.js";
import { el } from "./dom.js";
import { fmt, isNum, tick } from "./format.js";
import { atLeast3, extent, logTicks, makeScale, nearestIndex, niceTicks } from "./scales.js";
import { palette } from "./theme.js";

const FONT_ = () => chartFont();
const SMALL_ = () => chartFont(true);
const MARGIN = { left: 60, right: 16, top: 12, bottom: 42, gap: 26 };
// On a log axis, reference values this far below the data are "≈ 0" and sit on the axis floor.
const TINY_RATIO = 1e-4;

const panelOf = (s) => s.panel || 0;

// ---- layout: the scales and plot areas for the data and the canvas size ---------------------

/**
 * The y range of one panel for its series `mine`, and the threshold under which its reference
 * values (hlines, and lines marked tinyToFloor) sit on the axis floor (log axes only).
 */
function panelRange(p, mine) {
  const log = p.y.scale === "log";
  const usable = (v) => isNum(v) && (!log || v > 0);
  const valuesOf = (s) => (s.type === "hline" ? [s.value] : s.y || []);
  const floorable = (s) => s.type === "hline" || s.tinyToFloor;
  // On a log axis, a reference far below everything else (OLS ≈ 1e-16) would swallow the
  // range: such values sit on the axis floor, labelled "≈ 0", instead.
  let threshold = -Infinity;
  if (log) {
    let refMin = Infinity;
    let refMax = -Infinity;
    for (const s of mine) {
      for (const v of valuesOf(s)) {
        if (!usable(v)) continue;
        if (floorable(s)) refMax = Math.max(refMax, v);
        else refMin = Math.min(refMin, v);
      }
    }
    const base = Number.isFinite(refMin) ? refMin * 10 * TINY_RATIO : refMax * TINY_RATIO;
    if (Number.isFinite(base)) threshold = base;
  }
  const ys = [];
  let floored = false;
  for (const s of mine) {
    if (s.offScale) continue; // named in the legend, kept out of the range
    for (const v of valuesOf(s)) {
      if (floorable(s) && isNum(v) && v < threshold) floored = true;
      else ys.push(v);
    }
  }
  let yr = extent(ys, p.y.scale, p.y.include);
  if (yr && floored) {
    // Leave a band at the bottom for the "≈ 0" lines, clear of the real data.
    yr = [yr[0] / (yr[1] / yr[0]) ** 0.15, yr[1]];
  }
  return { yr, threshold };
}

/** Scales and plot areas: {x, areas: [{top, bottom, y, spec, threshold}], left, right, top, bottom, hasData}. */
function computeLayout(spec, data, cssW, cssH) {
  const panels = spec.panels;
  const totalWeight = panels.reduce((a, p) => a + (p.weight || 1), 0);
  const left = MARGIN.left;
  const right = cssW - MARGIN.right;
  const top = MARGIN.top;
  const bottom = cssH - MARGIN.bottom;
  const avail = bottom - top - MARGIN.gap * (panels.length - 1);

  const xs = [];
  for (const s of data.series) if (s.type !== "hline" && s.x) xs.push(...s.x);
  for (const m of data.markers || []) xs.push(m.x);
  let xr = extent(xs, spec.x.scale, spec.x.include);

  const areas = [];
  let y0 = top;
  let any = false;
  panels.forEach((p, i) => {
    const h = (avail * (p.weight || 1)) / totalWeight;
    const { yr, threshold } = panelRange(
      p,
      data.series.filter((s) => panelOf(s) === i),
    );
    if (yr) any = true;
    areas.push({ top: y0, bottom: y0 + h, yr, spec: p, threshold });
    y0 += h + MARGIN.gap;
  });
  if (spec.square && xr) {
    const yr = areas[0].yr;
    if (yr) {
      const lo = Math.min(xr[0], yr[0]);
      const hi = Math.max(xr[1], yr[1]);
      xr = [lo, hi];
      areas[0].yr = [lo, hi];
    }
  }
  if (xr && isNum(spec.x.floor) && xr[0] < spec.x.floor) xr = [spec.x.floor, Math.max(xr[1], spec.x.floor + 1)];
  const hasData = any && xr;
  if (!xr) xr = spec.x.scale === "log" ? [1, 10] : [0, 1];
  const x = makeScale(spec.x.scale, xr[0], xr[1], left, right);
  for (const a of areas) {
    if (!a.yr) a.yr = a.spec.y.scale === "log" ? [0.1, 1] : [0, 1];
    a.y = makeScale(a.spec.y.scale, a.yr[0], a.yr[1], a.bottom, a.top);
  }
  return { x, areas, left, right, top, bottom, hasData };
}

// ---- drawing ---------------------------------------------------------------------------------

/** Grid, axes, tick labels and axis titles of every panel. */
function drawAxes(ctx, L, spec, cssH) {
  const { x, left, right } = L;
  ctx.font = SMALL_();
  ctx.lineWidth = 1;
  const xCount = Math.max(2, Math.floor((right - left) / 80));
  const xt0 = x.log ? logTicks(x.lo, x.hi, xCount) : niceTicks(x.lo, x.hi, xCount);
  // An axis of counts (layers) has no half-way ticks.
  const whole = (lo, hi) => Array.from({ length: Math.floor(hi) - Math.ceil(lo) + 1 }, (_, i) => Math.ceil(lo) + i);
  const xt = !spec.x.integer ? xt0 : x.hi - x.lo <= 12 ? whole(x.lo, x.hi) : xt0.filter((v) => Number.isInteger(v));
  L.areas.forEach((a, i) => {
    const yCount = Math.max(3, Math.floor((a.bottom - a.top) / 30));
    const yt = a.y.log ? logTicks(a.y.lo, a.y.hi, yCount) : atLeast3(a.y.lo, a.y.hi, yCount);
    ctx.strokeStyle = palette().grid;
    ctx.beginPath();
    for (const v of yt) {
      const py = Math.round(a.y.map(v)) + 0.5;
      ctx.moveTo(left, py);
      ctx.lineTo(right, py);
    }
    for (const v of xt) {
      const px = Math.round(x.map(v)) + 0.5;
      ctx.moveTo(px, a.top);
      ctx.lineTo(px, a.bottom);
    }
    ctx.stroke();
    ctx.strokeStyle = palette().axis;
    ctx.beginPath();
    ctx.moveTo(left + 0.5, a.top);
    ctx.lineTo(left + 0.5, a.bottom + 0.5);
    ctx.lineTo(right, a.bottom + 0.5);
    ctx.stroke();
    ctx.fillStyle = palette().axis;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const v of yt) ctx.fillText(tick(v), left - 5, a.y.map(v));
    ctx.save();
    ctx.font = FONT_();
    ctx.fillStyle = palette().text;
    ctx.translate(13, (a.top + a.bottom) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(a.spec.y.title || "", 0, 0);
    ctx.restore();
    if (i === L.areas.length - 1) {
      ctx.fillStyle = palette().axis;
      ctx.textAlign = "center";
      ctx.textBaseline = "top";
      let lastRight = -Infinity;
      for (const v of xt) {
        const px = x.map(v);
        const label = tick(v);
        const w = ctx.measureText(label).width;
        if (px - w / 2 < lastRight + 6) continue;
        ctx.fillText(label, px, a.bottom + 5);
        lastRight = px + w / 2;
      }
    }
  });
  ctx.font = FONT_();
  ctx.fillStyle = palette().text;
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.fillText(spec.x.title || "", (left + right) / 2, cssH - 4);
}

/** The "≈ 0" label of a series drawn on the axis floor at height `py`. */
function floorLabel(ctx, L, s, py) {
  ctx.save();
  ctx.setLineDash([]);
  ctx.font = SMALL_();
  ctx.fillStyle = s.color;
  ctx.textAlign = "right";
  ctx.textBaseline = "bottom";
  ctx.fillText(`${s.short || s.label} ≈ 0 (drawn on the axis floor)`, L.right - 4, py - 2);
  ctx.restore();
}

/** A line series, broken at unusable points; tinyToFloor values below the threshold on the floor. */
function strokeLine(ctx, L, s, a) {
  const { x } = L;
  const xs = s.x;
  const ys = s.y;
  const floor = a.bottom - 2;
  let floored = false;
  ctx.beginPath();
  let pen = false;
  for (let i = 0; i < xs.length; i++) {
    const xv = xs[i];
    const yv = ys[i];
    const tiny = s.tinyToFloor && a.y.log && isNum(yv) && (yv <= 0 || yv < a.threshold);
    if (!x.usable(xv) || (!tiny && !a.y.usable(yv))) {
      pen = false;
      continue;
    }
    const px = x.map(xv);
    const py = tiny ? floor : a.y.map(yv);
    floored ||= tiny;
    if (pen) ctx.lineTo(px, py);
    else ctx.moveTo(px, py);
    pen = true;
  }
  ctx.stroke();
  if (floored) floorLabel(ctx, L, s, floor);
}

/** Every series, each clipped to its panel. */
function drawSeries(ctx, L, series) {
  const { x } = L;
  for (const s of series) {
    const a = L.areas[panelOf(s)];
    if (!a) continue;
    ctx.save();
    ctx.beginPath();
    ctx.rect(L.left, a.top - 1, L.right - L.left + 1, a.bottom - a.top + 2);
    ctx.clip();
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = s.width || 1.5;
    ctx.setLineDash(s.dash || []);
    ctx.lineJoin = "round";
    if (s.type === "hline") {
      if (isNum(s.value) && !s.offScale) {
        const tiny = a.y.log && (s.value <= 0 || s.value < a.threshold);
        const py = tiny ? a.bottom - 2 : a.y.map(s.value);
        ctx.beginPath();
        ctx.moveTo(L.left, py);
        ctx.lineTo(L.right, py);
        ctx.stroke();
        if (tiny) floorLabel(ctx, L, s, py);
      }
    } else if (s.type === "points") {
      const r = s.radius || 2.2;
      ctx.globalAlpha = s.alpha ?? 0.7;
      ctx.beginPath();
      for (let i = 0; i < s.x.length; i++) {
        if (!x.usable(s.x[i]) || !a.y.usable(s.y[i])) continue;
        const px = x.map(s.x[i]);
        const py = a.y.map(s.y[i]);
        ctx.moveTo(px + r, py);
        ctx.arc(px, py, r, 0, Math.PI * 2);
      }
      ctx.fill();
    } else if (s.x && s.y) {
      strokeLine(ctx, L, s, a);
    }
    ctx.restore();
  }
}

/**
 * The name and value of each reference line marked `tag`, at its right end, above the line;
 * tags that would overlap are moved apart (a thin leader joins a moved tag to its line).
 */
function drawTags(ctx, L, series) {
  const tags = [];
  for (const s of series) {
    if (s.type !== "hline" || !s.tag || s.offScale || !isNum(s.value)) continue;
    const a = L.areas[panelOf(s)];
    if (!a || (a.y.log && (s.value <= 0 || s.value < a.threshold))) continue; // floor lines have their own label
    const py = a.y.map(s.value);
    if (py < a.top || py > a.bottom) continue;
    tags.push({ s, py, y: py - 2, text: `${s.short || s.label} ${s.fmt ? s.fmt(s.value) : fmt(s.value, 3)}` });
  }
  tags.sort((p, q) => p.py - q.py);
  const H = presenting() ? 17 : 13;
  for (let i = 1; i < tags.length; i++) tags[i].y = Math.max(tags[i].y, tags[i - 1].y + H);
  ctx.save();
  ctx.font = SMALL_();
  ctx.textAlign = "right";
  ctx.textBaseline = "bottom";
  for (const t of tags) {
    const w = ctx.measureText(t.text).width;
    ctx.fillStyle = palette().labelBg;
    ctx.fillRect(L.right - 6 - w, t.y - H + 1, w + 4, H - 1);
    ctx.fillStyle = t.s.color;
    ctx.fillText(t.text, L.right - 4, t.y);
  }
  ctx.restore();
}

/** Dotted vertical markers with their labels (stacked in rows by `row`). */
function drawMarkers(ctx, L, markers) {
  const { x } = L;
  for (const m of markers) {
    if (!x.usable(m.x) || m.x < x.lo || m.x > x.hi) continue;
    const px = Math.round(x.map(m.x)) + 0.5;
    ctx.save();
    ctx.strokeStyle = m.color || palette().text;
    ctx.fillStyle = m.color || palette().text;
    ctx.setLineDash([2, 3]);
    ctx.lineWidth = 1.2;
    ctx.beginPath();
    ctx.moveTo(px, L.top);
    ctx.lineTo(px, L.bottom);
    ctx.stroke();
    ctx.font = SMALL_();
    ctx.textBaseline = "top";
    const w = ctx.measureText(m.label).width;
    const right = px + 4 + w < L.right;
    ctx.textAlign = right ? "left" : "right";
    ctx.fillStyle = palette().labelBg;
    const rowH = presenting() ? 18 : 14;
    ctx.fillRect(right ? px + 2 : px - 4 - w - 2, L.top + 1 + (m.row || 0) * rowH, w + 4, rowH - 1);
    ctx.fillStyle = m.color || palette().text;
    ctx.fillText(m.label, right ? px + 4 : px - 4, L.top + 2 + (m.row || 0) * rowH);
    ctx.restore();
  }
}

/** Scatter hover: a ring round the nearest point (within 24 px); returns the tooltip lines. */
function hoverPoint(ctx, L, spec, pointSeries, at) {
  const { x } = L;
  let best = null;
  for (const s of pointSeries) {
    const a = L.areas[panelOf(s)];
    for (let i = 0; i < s.x.length; i++) {
      if (!x.usable(s.x[i]) || !a.y.usable(s.y[i])) continue;
      const d = Math.hypot(x.map(s.x[i]) - at.px, a.y.map(s.y[i]) - at.py);
      if (!best || d < best.d) best = { d, s, i, a };
    }
  }
  if (!best || best.d >= 24) return [];
  const { s, i, a } = best;
  ctx.strokeStyle = palette().text;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.arc(x.map(s.x[i]), a.y.map(s.y[i]), (s.radius || 2.2) + 2.5, 0, Math.PI * 2);
  ctx.stroke();
  return s.hoverText ? s.hoverText(i) : [`${spec.x.title}: ${fmt(s.x[i], 4)}`, `${a.spec.y.title}: ${fmt(s.y[i], 4)}`];
}

/** Line hover: a crosshair at the nearest x, dots on the lines; returns the tooltip lines. */
function hoverLines(ctx, L, spec, series, at) {
  const { x } = L;
  const xv = x.inv(at.px);
  let snapX = null;
  let bestDx = Infinity;
  for (const s of series) {
    if (s.type !== "line" || !s.x || !s.x.length) continue;
    const i = nearestIndex(s.x, xv);
    const dx = Math.abs(x.map(s.x[i]) - at.px);
    if (dx < bestDx) {
      bestDx = dx;
      snapX = s.x[i];
    }
  }
  if (snapX === null) return [];
  const px = x.map(snapX);
  ctx.strokeStyle = palette().crosshair;
  ctx.lineWidth = 1;
  ctx.setLineDash([]);
  ctx.beginPath();
  ctx.moveTo(px, L.top);
  ctx.lineTo(px, L.bottom);
  ctx.stroke();
  const lines = [`${spec.x.hoverTitle || spec.x.title} = ${fmt(snapX, 4)}`];
  for (const s of series) {
    if (s.hover === false || !s.label) continue;
    const a = L.areas[panelOf(s)];
    let v = null;
    if (s.type === "hline") v = s.value;
    else if (s.type === "line") {
      // Each curve's own nearest point, if it is close to the crosshair.
      const i = nearestIndex(s.x, snapX);
      if (i >= 0 && Math.abs(x.map(s.x[i]) - px) <= 8) v = s.y[i];
      if (isNum(v) && a.y.usable(v)) {
        ctx.fillStyle = s.color;
        ctx.beginPath();
        ctx.arc(x.map(s.x[i]), a.y.map(v), 3.5, 0, Math.PI * 2);
        ctx.fill();
      }
    }
    if (isNum(v)) lines.push(`${s.label}: ${s.fmt ? s.fmt(v) : fmt(v, 4)}`);
  }
  return lines;
}

// ---- legend ----------------------------------------------------------------------------------

/** The legend's items: one swatch and label per labelled series. */
function legendItems(series) {
  return series
    .filter((s) => s.legend !== false && s.label)
    .map((s) => {
      const li = el("li");
      const sw = el("span", { class: s.type === "points" ? "swatch dot" : "swatch" });
      if (s.type === "points") sw.style.background = s.color;
      else {
        sw.style.borderTopColor = s.color;
        sw.style.borderTopWidth = `${Math.max(2, s.width || 1.5)}px`;
        sw.style.borderTopStyle = s.dash && s.dash.length ? "dashed" : "solid";
      }
      li.append(sw, el("span", {}, s.label));
      return li;
    });
}

const legendKey = (series) =>
  series
    .filter((s) => s.legend !== false && s.label)
    .map((s) => `${s.label}|${s.color}|${s.dash}|${s.type}|${s.width}`)
    .join(";");

// ---- the plot --------------------------------------------------------------------------------

/**
 * A plot in `host`. spec = { x: {scale, title, hoverTitle?, include?, floor?}, panels: [{y:
 * {scale, title, include?}, weight?}], height (css px), square? (same range on both axes),
 * emptyText?, ariaLabel }.
 * setData({ series: [{label, color, width?, dash?, panel?, type: "line"|"hline"|"points",
 * x?, y?, value?, radius?, alpha?, legend?, hover?, fmt?, short?, tinyToFloor?, hoverText?(i)}],
 * markers: [{x, label, color, row?}], emptyText? (what an empty plot says, for now) }).
 */
export function createPlot(host, spec) {
  let data = { series: [], markers: [] };
  let layout = null; // scales and plot areas of the last draw
  let drawn = null; // the data of the last draw (a chart out of sight waits with newer data)
  let shownLegend = "";

  const panel = createCanvasPanel({ height: spec.height || 240, ariaLabel: spec.ariaLabel || "chart", draw });
  const legend = el("ul", { class: "legend" });
  host.classList.add("plot");
  host.append(panel.element, legend);

  function draw(ctx, cssW, cssH) {
    const L = computeLayout(spec, data, cssW, cssH);
    layout = L;
    drawn = data;
    drawAxes(ctx, L, spec, cssH);
    if (!L.hasData) {
      ctx.font = FONT_();
      ctx.fillStyle = palette().axis;
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.fillText(data.emptyText || spec.emptyText || "no data yet", (L.left + L.right) / 2, (L.top + L.bottom) / 2);
      panel.hideTip();
      return;
    }
    drawSeries(ctx, L, data.series);
    drawTags(ctx, L, data.series);
    drawMarkers(ctx, L, data.markers);
    drawHover(ctx, L);
  }

  // Hover: the nearest point of a scatter, or the values at the nearest x of the lines.
  function drawHover(ctx, L) {
    const at = panel.pointer;
    if (!at || at.px < L.left || at.px > L.right || at.py < L.top || at.py > L.bottom) {
      panel.hideTip();
      return;
    }
    const pointSeries = data.series.filter((s) => s.type === "points");
    const lines = pointSeries.length ? hoverPoint(ctx, L, spec, pointSeries, at) : hoverLines(ctx, L, spec, data.series, at);
    if (lines.length) panel.showTip(lines, "flip");
    else panel.hideTip();
  }

  return {
    canvas: panel.canvas,
    setData(d) {
      data = { series: d.series || [], markers: d.markers || [], emptyText: d.emptyText };
      const key = legendKey(data.series);
      if (key !== shownLegend) {
        shownLegend = key;
        legend.replaceChildren(...legendItems(data.series));
      }
      panel.requestDraw();
    },
    resize: panel.resize,
    get layout() {
      return layout;
    },
    /** What is on show, for tests: the series' labels in drawing order, and the y range of each panel. */
    describe() {
      const L = drawn === data ? layout : computeLayout(spec, data, panel.width, panel.height);
      return {
        series: data.series.map((s) => ({ label: s.label, type: s.type, offScale: Boolean(s.offScale), faded: Boolean(s.faded) })),
        markers: data.markers.map((m) => m.label),
        ranges: L ? L.areas.map((a) => [a.y.lo, a.y.hi]) : [],
      };
    },
  };
}
