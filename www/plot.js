// A small canvas plotting kit shared by every line and scatter chart: HiDPI canvas (handled
// once, in resize), linear or log axes with tick labels and titles, stacked panels sharing one
// x axis, an HTML legend, and a hover readout of the values under the cursor. It only draws:
// the numbers come from the engine, and null/NaN points are skipped, never drawn.

import { fmt, isNum, tick } from "./format.js";
import { drawSoon } from "./frames.js";

const FONT = "12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
const SMALL = "11px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
const AXIS = "#5c6370";
const GRID = "#e6e8eb";
const TEXT = "#1f2328";
const MARGIN = { left: 60, right: 16, top: 12, bottom: 42, gap: 26 };
// On a log axis, reference values this far below the data are "≈ 0" and sit on the axis floor.
const TINY_RATIO = 1e-4;

/** Evenly spaced "nice" ticks covering [lo, hi], about `count` of them. */
function niceTicks(lo, hi, count) {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  }
  return out;
}

/** niceTicks, with the count raised until at least three ticks fall in range. */
function atLeast3(lo, hi, count) {
  let t = niceTicks(lo, hi, count);
  for (let k = 0; k < 3 && t.length < 3; k++) t = niceTicks(lo, hi, (count = count * 2));
  return t;
}

/** Ticks for a log axis on [lo, hi]: decades, with 2 and 5 between when there is room. */
function logTicks(lo, hi, count) {
  const decades = Math.log10(hi / lo);
  if (decades < 1.2) return atLeast3(lo, hi, Math.min(count, 5));
  const e0 = Math.floor(Math.log10(lo));
  const e1 = Math.ceil(Math.log10(hi));
  const mults = decades * 2.5 <= count ? [1, 2, 5] : [1];
  const every = Math.max(1, Math.ceil(decades / count));
  const out = [];
  for (let e = e0; e <= e1; e++) {
    if (mults.length === 1 && (e - e0) % every !== 0) continue;
    for (const m of mults) {
      const v = m * 10 ** e;
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}

/** A scale mapping data to pixels on [p0, p1]. */
function makeScale(kind, lo, hi, p0, p1) {
  const log = kind === "log";
  const f = log ? Math.log10 : (v) => v;
  const a = f(lo);
  const b = f(hi);
  const map = (v) => p0 + ((f(v) - a) / (b - a || 1)) * (p1 - p0);
  const inv = (p) => {
    const t = a + ((p - p0) / (p1 - p0 || 1)) * (b - a);
    return log ? 10 ** t : t;
  };
  const usable = (v) => isNum(v) && (!log || v > 0);
  return { lo, hi, log, map, inv, usable };
}

/** [lo, hi] covering `values` (and `include`), padded a little; null when there is nothing. */
function extent(values, kind, include = []) {
  const log = kind === "log";
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values.concat(include)) {
    if (!isNum(v) || (log && v <= 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(lo <= hi)) return null;
  if (log) {
    if (hi / lo < 1.05) {
      lo /= 1.1;
      hi *= 1.1;
    }
    const pad = (Math.log10(hi / lo) || 1) * 0.06;
    return [lo / 10 ** pad, hi * 10 ** pad];
  }
  if (hi - lo < 1e-12) {
    const d = Math.abs(hi) * 0.1 || 1;
    return [lo - d, hi + d];
  }
  const pad = (hi - lo) * 0.06;
  return [include.includes(lo) ? lo : lo - pad, include.includes(hi) ? hi : hi + pad];
}

/** Index of the element of sorted `xs` nearest to `x` (nulls allowed in ys, not in xs). */
function nearestIndex(xs, x) {
  let lo = 0;
  let hi = xs.length - 1;
  if (hi < 0) return -1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid;
    else hi = mid;
  }
  return Math.abs(xs[lo] - x) <= Math.abs(xs[hi] - x) ? lo : hi;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * A plot in `host`. spec = { x: {scale, title, include?}, panels: [{y: {scale, title, include?},
 * weight?}], height (css px), square? (same range on both axes), ariaLabel }.
 * setData({ series: [{label, color, width?, dash?, panel?, type: "line"|"hline"|"points",
 * x?, y?, value?, radius?, legend?, hoverText?(i)}], markers: [{x, label, color}] }).
 */
/** Calls `onChange({px, py})` (css pixels inside `canvas`) as the pointer moves over it, and
 * `onChange(null)` when it leaves: the hover readouts of every chart and heatmap. */
export function trackPointer(canvas, onChange) {
  canvas.addEventListener("pointermove", (e) => {
    const r = canvas.getBoundingClientRect();
    onChange({ px: e.clientX - r.left, py: e.clientY - r.top });
  });
  canvas.addEventListener("pointerleave", () => onChange(null));
}

export function createPlot(host, spec) {
  host.classList.add("plot");
  const wrap = el("div", "plot-canvas");
  const canvas = el("canvas");
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", spec.ariaLabel || "chart");
  canvas.style.height = `${spec.height || 240}px`;
  const tip = el("div", "plot-tip");
  tip.hidden = true;
  wrap.append(canvas, tip);
  const hideTip = () => {
    if (!tip.hidden) tip.hidden = true;
  };
  const legend = el("ul", "legend");
  host.append(wrap, legend);
  const ctx = canvas.getContext("2d");

  let data = { series: [], markers: [] };
  let layout = null; // scales and plot areas of the last draw
  let hover = null; // {px, py} in css pixels
  let cssW = 0;
  let cssH = 0;
  let legendKey = "";

  let sized = ""; // the backing store's size, "w×h×dpr"

  // Measures the canvas; the backing store is resized just before the next draw, so the old
  // picture stays on screen until the new one is ready.
  function resize() {
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    if (w === cssW && h === cssH && sized === `${w}×${h}×${window.devicePixelRatio || 1}`) return;
    cssW = w;
    cssH = h;
    requestDraw();
  }

  function fitBackingStore() {
    const dpr = window.devicePixelRatio || 1;
    const key = `${cssW}×${cssH}×${dpr}`;
    if (key === sized) return;
    sized = key;
    canvas.width = Math.max(1, Math.round(cssW * dpr));
    canvas.height = Math.max(1, Math.round(cssH * dpr));
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  }

  function updateLegend() {
    const items = data.series.filter((s) => s.legend !== false && s.label);
    const key = items.map((s) => `${s.label}|${s.color}|${s.dash}|${s.type}|${s.width}`).join(";");
    if (key === legendKey) return;
    legendKey = key;
    legend.replaceChildren(
      ...items.map((s) => {
        const li = el("li");
        const sw = el("span", s.type === "points" ? "swatch dot" : "swatch");
        if (s.type === "points") sw.style.background = s.color;
        else {
          sw.style.borderTopColor = s.color;
          sw.style.borderTopWidth = `${Math.max(2, s.width || 1.5)}px`;
          sw.style.borderTopStyle = s.dash && s.dash.length ? "dashed" : "solid";
        }
        li.append(sw, el("span", "", s.label));
        return li;
      }),
    );
  }

  function panelOf(s) {
    return s.panel || 0;
  }

  function computeLayout() {
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
      const mine = data.series.filter((s) => panelOf(s) === i);
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

  function drawAxes(L) {
    const { x, left, right } = L;
    ctx.font = SMALL;
    ctx.lineWidth = 1;
    const xCount = Math.max(2, Math.floor((right - left) / 80));
    const xt = x.log ? logTicks(x.lo, x.hi, xCount) : niceTicks(x.lo, x.hi, xCount);
    L.areas.forEach((a, i) => {
      const yCount = Math.max(3, Math.floor((a.bottom - a.top) / 30));
      const yt = a.y.log ? logTicks(a.y.lo, a.y.hi, yCount) : atLeast3(a.y.lo, a.y.hi, yCount);
      ctx.strokeStyle = GRID;
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
      ctx.strokeStyle = AXIS;
      ctx.beginPath();
      ctx.moveTo(left + 0.5, a.top);
      ctx.lineTo(left + 0.5, a.bottom + 0.5);
      ctx.lineTo(right, a.bottom + 0.5);
      ctx.stroke();
      ctx.fillStyle = AXIS;
      ctx.textAlign = "right";
      ctx.textBaseline = "middle";
      for (const v of yt) ctx.fillText(tick(v), left - 5, a.y.map(v));
      ctx.save();
      ctx.font = FONT;
      ctx.fillStyle = TEXT;
      ctx.translate(13, (a.top + a.bottom) / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.fillText(a.spec.y.title || "", 0, 0);
      ctx.restore();
      if (i === L.areas.length - 1) {
        ctx.fillStyle = AXIS;
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
    ctx.font = FONT;
    ctx.fillStyle = TEXT;
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText(spec.x.title || "", (left + right) / 2, cssH - 4);
  }

  function floorLabel(s, a, py) {
    ctx.save();
    ctx.setLineDash([]);
    ctx.font = SMALL;
    ctx.fillStyle = s.color;
    ctx.textAlign = "right";
    ctx.textBaseline = "bottom";
    ctx.fillText(`${s.short || s.label} ≈ 0 (drawn on the axis floor)`, layout.right - 4, py - 2);
    ctx.restore();
  }

  function strokeLine(s, a, x) {
    const xs = s.x;
    const ys = s.y;
    const floor = a.bottom - 2;
    let floored = false;
    ctx.beginPath();
    let pen = false;
    for (let i = 0; i < xs.length; i++) {
      const xv = xs[i];
      let yv = ys[i];
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
    if (floored) floorLabel(s, a, floor);
  }

  function drawSeries(L) {
    const { x } = L;
    for (const s of data.series) {
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
        if (isNum(s.value)) {
          const tiny = a.y.log && (s.value <= 0 || s.value < a.threshold);
          const py = tiny ? a.bottom - 2 : a.y.map(s.value);
          ctx.beginPath();
          ctx.moveTo(L.left, py);
          ctx.lineTo(L.right, py);
          ctx.stroke();
          if (tiny) floorLabel(s, a, py);
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
        strokeLine(s, a, x);
      }
      ctx.restore();
    }
    for (const m of data.markers || []) {
      if (!x.usable(m.x) || m.x < x.lo || m.x > x.hi) continue;
      const px = Math.round(x.map(m.x)) + 0.5;
      ctx.save();
      ctx.strokeStyle = m.color || TEXT;
      ctx.fillStyle = m.color || TEXT;
      ctx.setLineDash([2, 3]);
      ctx.lineWidth = 1.2;
      ctx.beginPath();
      ctx.moveTo(px, L.top);
      ctx.lineTo(px, L.bottom);
      ctx.stroke();
      ctx.font = SMALL;
      ctx.textBaseline = "top";
      const w = ctx.measureText(m.label).width;
      const right = px + 4 + w < L.right;
      ctx.textAlign = right ? "left" : "right";
      ctx.fillStyle = "rgba(255,255,255,0.85)";
      ctx.fillRect(right ? px + 2 : px - 4 - w - 2, L.top + 1 + (m.row || 0) * 14, w + 4, 13);
      ctx.fillStyle = m.color || TEXT;
      ctx.fillText(m.label, right ? px + 4 : px - 4, L.top + 2 + (m.row || 0) * 14);
      ctx.restore();
    }
  }

  // Hover: a crosshair at the nearest x, dots on the lines, and the values in a tooltip.
  function drawHover(L) {
    if (!hover || !L.hasData) {
      hideTip();
      return;
    }
    const { x } = L;
    if (hover.px < L.left || hover.px > L.right || hover.py < L.top || hover.py > L.bottom) {
      hideTip();
      return;
    }
    const lines = [];
    const pointSeries = data.series.filter((s) => s.type === "points");
    if (pointSeries.length) {
      let best = null;
      for (const s of pointSeries) {
        const a = L.areas[panelOf(s)];
        for (let i = 0; i < s.x.length; i++) {
          if (!x.usable(s.x[i]) || !a.y.usable(s.y[i])) continue;
          const d = Math.hypot(x.map(s.x[i]) - hover.px, a.y.map(s.y[i]) - hover.py);
          if (!best || d < best.d) best = { d, s, i, a };
        }
      }
      if (best && best.d < 24) {
        const { s, i, a } = best;
        ctx.strokeStyle = TEXT;
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        ctx.arc(x.map(s.x[i]), a.y.map(s.y[i]), (s.radius || 2.2) + 2.5, 0, Math.PI * 2);
        ctx.stroke();
        lines.push(...(s.hoverText ? s.hoverText(i) : [`${spec.x.title}: ${fmt(s.x[i], 4)}`, `${a.spec.y.title}: ${fmt(s.y[i], 4)}`]));
      }
    } else {
      const xv = x.inv(hover.px);
      let snapX = null;
      let bestDx = Infinity;
      for (const s of data.series) {
        if (s.type !== "line" || !s.x || !s.x.length) continue;
        const i = nearestIndex(s.x, xv);
        const dx = Math.abs(x.map(s.x[i]) - hover.px);
        if (dx < bestDx) {
          bestDx = dx;
          snapX = s.x[i];
        }
      }
      if (snapX !== null) {
        const px = x.map(snapX);
        ctx.strokeStyle = "rgba(31,35,40,0.35)";
        ctx.lineWidth = 1;
        ctx.setLineDash([]);
        ctx.beginPath();
        ctx.moveTo(px, L.top);
        ctx.lineTo(px, L.bottom);
        ctx.stroke();
        lines.push(`${spec.x.hoverTitle || spec.x.title} = ${fmt(snapX, 4)}`);
        for (const s of data.series) {
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
      }
    }
    if (!lines.length) {
      hideTip();
      return;
    }
    tip.replaceChildren(...lines.map((t) => el("div", "", t)));
    tip.hidden = false;
    const tw = tip.offsetWidth;
    const th = tip.offsetHeight;
    let tx = hover.px + 14;
    if (tx + tw > cssW) tx = hover.px - 14 - tw;
    let ty = hover.py + 12;
    if (ty + th > cssH) ty = Math.max(0, hover.py - 12 - th);
    tip.style.left = `${Math.max(0, tx)}px`;
    tip.style.top = `${ty}px`;
  }

  function draw() {
    if (!cssW || !cssH) return;
    fitBackingStore();
    ctx.clearRect(0, 0, cssW, cssH);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, cssW, cssH);
    const L = computeLayout();
    layout = L;

    drawAxes(L);
    if (!L.hasData) {
      ctx.font = FONT;
      ctx.fillStyle = AXIS;
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.fillText(spec.emptyText || "no data yet", (L.left + L.right) / 2, (L.top + L.bottom) / 2);
      hideTip();
      return;
    }
    drawSeries(L);
    drawHover(L);
  }

  function requestDraw() {
    drawSoon(canvas, draw);
  }

  trackPointer(canvas, (at) => {
    hover = at;
    requestDraw();
  });

  return {
    canvas,
    setData(d) {
      data = { series: d.series || [], markers: d.markers || [] };
      updateLegend();
      requestDraw();
    },
    resize,
    get layout() {
      return layout;
    },
  };
}
