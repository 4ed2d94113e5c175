// One HiDPI canvas panel, shared by the line charts and the heatmaps: the <canvas> and its
// tooltip, the backing store sized to the css size × devicePixelRatio, redraws requested through
// frames.js, and the pointer position under the cursor for hover readouts.

import { el } from "./dom.js";
import { drawSoon } from "./frames.js";
import { palette } from "./theme.js";

const panels = new Map(); // <canvas> -> its panel (the page's charts live as long as it does)

/** The panel drawn on `canvas` (a {render(scale), width, height}), or undefined. */
export function panelOf(canvas) {
  return panels.get(canvas);
}

/** Redraws every panel (the colour scheme changed). */
export function redrawAll() {
  for (const p of panels.values()) p.requestDraw();
}

// ---- out of sight ---------------------------------------------------------------------------
// A chart out of sight is not drawn: asked to, it waits here, and is drawn once it comes within
// a quarter of a screen of the window (or the page is printed). Below the fold, while the
// model trains, the charts were redrawn for no one: with the CPU slowed 4×, the main thread
// was busy 5.5 s of the first 8 s with them and 4.2 s without (README.md, "Speed").

const AHEAD = "25% 0px"; // how far beyond the window a chart counts as in sight
const unseen = new Map(); // <canvas> -> its draw, asked for while out of sight
const onSight = new Map(); // <canvas> -> (inSight) => void
let sight = null;

function watchSight(canvas, fn) {
  if (typeof IntersectionObserver === "undefined") return false;
  sight ??= new IntersectionObserver(
    (entries) => {
      for (const e of entries) onSight.get(e.target)?.(e.isIntersecting);
    },
    { rootMargin: AHEAD },
  );
  onSight.set(canvas, fn);
  sight.observe(canvas);
  return true;
}

/** Draws now every chart that waits out of sight (printing; a picture of the whole page). */
export function drawUnseen() {
  for (const [canvas, draw] of [...unseen]) {
    unseen.delete(canvas);
    draw();
  }
}

if (typeof window !== "undefined") window.addEventListener("beforeprint", drawUnseen);

/** The font family of all text drawn on a canvas (the charts, the prompt card, saved pictures). */
export const FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";

/** True in presenter mode (lecture.js): the charts' text is drawn larger, for the back of a room. */
export const presenting = () => typeof document !== "undefined" && document.body.classList.contains("present");

/** The canvas font of the charts' text: labels and titles, or `small` for ticks and legends. */
export function chartFont(small = false) {
  const px = presenting() ? (small ? 14 : 15) : small ? 11 : 12;
  return `${px}px ${FAMILY}`;
}

/**
 * Draws a line of text in each chart font on a small canvas of its own, so that the browser
 * sets those fonts up now, in a task of their own, and not in the first picture of a chart or
 * of the prompt card (with the CPU slowed 4×, the first text drawn in each font took 6–24 ms).
 */
export function warmChartFonts() {
  const ctx = document.createElement("canvas").getContext("2d");
  if (!ctx) return;
  for (const small of [true, false]) {
    ctx.font = chartFont(small);
    ctx.fillText("0123456789 −+.,×⁻ eE x y ŷ η ∂ query weight loss step", 0, 10);
  }
}

/**
 * A canvas panel. `draw(ctx, width, height)` paints on the scheme's background (theme.js), in css pixels, and
 * runs only when the canvas has a size. Returns {element, canvas, pointer, width, height,
 * resize(), requestDraw(), drawNow(), showTip(lines, placement), hideTip()}: `element` (the
 * canvas and its tooltip) is for the caller to place; `pointer` is {px, py} in css pixels while
 * the cursor is over the canvas, else null (each move requests a redraw).
 */
/**
 * Sizes `canvas`'s backing store to `cssW` × `cssH` CSS pixels at the device pixel ratio, with
 * `ctx` drawing in CSS pixels. `sized` is the key of the last fit: nothing is done while it holds.
 * Returns the new key.
 */
export function fitHiDpi(canvas, ctx, cssW, cssH, sized) {
  const dpr = window.devicePixelRatio || 1;
  const key = `${cssW}×${cssH}×${dpr}`;
  if (key === sized) return key;
  canvas.width = Math.max(1, Math.round(cssW * dpr));
  canvas.height = Math.max(1, Math.round(cssH * dpr));
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return key;
}

export function createCanvasPanel({ height, ariaLabel, draw }) {
  const element = el("div", { class: "plot-canvas" });
  const canvas = el("canvas", { role: "img", "aria-label": ariaLabel });
  canvas.style.height = `${height}px`;
  const tip = el("div", { class: "plot-tip" });
  tip.hidden = true;
  element.append(canvas, tip);
  const ctx = canvas.getContext("2d");

  let cssW = 0;
  let cssH = 0;
  let sized = ""; // the backing store's size, "w×h×dpr"
  let pointer = null;

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
    sized = fitHiDpi(canvas, ctx, cssW, cssH, sized);
  }

  function drawNow() {
    if (!cssW || !cssH) return;
    fitBackingStore();
    ctx.fillStyle = palette().bg;
    ctx.fillRect(0, 0, cssW, cssH);
    draw(ctx, cssW, cssH);
  }

  // Out of sight until the observer says otherwise (its first report comes within a frame).
  let inSight = !watchSight(canvas, (now) => {
    inSight = now;
    if (inSight && unseen.delete(canvas)) drawSoon(canvas, drawNow);
  });

  function requestDraw() {
    if (inSight) drawSoon(canvas, drawNow);
    else unseen.set(canvas, drawNow);
  }

  /**
   * The picture on show drawn afresh on a new canvas at `scale` backing pixels per css pixel
   * (for a PNG), without the hover marks; null while the panel has no size.
   */
  function render(scale) {
    if (!cssW || !cssH) return null;
    const out = document.createElement("canvas");
    out.width = Math.round(cssW * scale);
    out.height = Math.round(cssH * scale);
    const g = out.getContext("2d");
    g.setTransform(scale, 0, 0, scale, 0, 0);
    g.fillStyle = palette().bg;
    g.fillRect(0, 0, cssW, cssH);
    const at = pointer;
    pointer = null;
    try {
      draw(g, cssW, cssH);
    } finally {
      pointer = at;
    }
    return out;
  }

  function hideTip() {
    if (!tip.hidden) tip.hidden = true;
  }

  /**
   * Shows `lines` (one text each) beside the pointer, on its left when there is no room on its
   * right. Below it by default; where that overflows the bottom, "flip" puts it above the
   * pointer and "clamp" lifts it to the canvas's bottom edge.
   */
  function showTip(lines, placement = "flip") {
    if (!pointer) return;
    const { px, py } = pointer;
    tip.replaceChildren(...lines.map((t) => el("div", {}, t)));
    tip.hidden = false;
    const tw = tip.offsetWidth;
    const th = tip.offsetHeight;
    let tx = px + 14;
    if (tx + tw > cssW) tx = px - 14 - tw;
    let ty = py + 12;
    if (placement === "clamp") ty = Math.min(cssH - th, ty);
    else if (ty + th > cssH) ty = Math.max(0, py - 12 - th);
    tip.style.left = `${Math.max(0, tx)}px`;
    tip.style.top = `${ty}px`;
  }

  canvas.addEventListener("pointermove", (e) => {
    const r = canvas.getBoundingClientRect();
    pointer = { px: e.clientX - r.left, py: e.clientY - r.top };
    requestDraw();
  });
  canvas.addEventListener("pointerleave", () => {
    pointer = null;
    requestDraw();
  });

  const api = {
    element,
    canvas,
    get pointer() {
      return pointer;
    },
    get width() {
      return cssW;
    },
    get height() {
      return cssH;
    },
    resize,
    requestDraw,
    drawNow,
    showTip,
    hideTip,
    render,
  };
  panels.set(canvas, api);
  return api;
}
