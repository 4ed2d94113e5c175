// Pinned runs: a run's evaluation curves and final numbers kept as a labelled "ghost" on the
// loss and alignment charts while the next run trains, to compare runs side by side (linear vs
// softmax, one vs two heads, depth, the label-blind control). Up to MAX pins, kept in
// localStorage and in the page's link (key `pin`, one per pinned run: its settings, which the
// page trains again on load, link.rs); each has its own link and a remove button. Only numbers
// the engine computed are kept; nothing is recomputed here.

import { el } from "./dom.js";
import { fmt, fmtLoss, int, isNum, pct } from "./format.js";
import { palette } from "./theme.js";

export const MAX_PINS = 3;
const KEY = "icl-lab-pins";
const POINTS = 200; // each pinned curve is thinned to about this many points
// Colours of the pins, distinct from the learners' (theme.js, of the scheme on show).
const CURVES = ["step", "loss", "preds_diff", "model_cos", "model_diff"];
const FINAL = ["step", "loss", "gd_loss", "gd_steps", "preds_diff", "model_cos", "model_diff"];

const numOrNull = (v) => (isNum(v) ? v : null);

/** A run's settings in words for a pin's label: "d = 5, heads = 2" ("defaults" for none). */
export function settingsLabel(query) {
  const pairs = [...new URLSearchParams(query)].map(([k, v]) => `${k} = ${v}`);
  return pairs.length ? pairs.join(", ") : "default settings";
}

/** What a pinned run is: its preset's title, or its settings in words. */
export function pinName(preset, query) {
  return preset ? preset.title : settingsLabel(query);
}

/** A pin's label: its name and the step it shows. */
export function pinLabel(preset, query, step) {
  return `${pinName(preset, query)} (step ${int(step)})`;
}

/**
 * A pin of the current run: its label, link, thinned curves and final numbers (those of the
 * latest evaluation). `query` must reproduce exactly that: the settings of a finished run, or,
 * for a run pinned before its end, the same settings with the step budget cut to that
 * evaluation (main.js), so that the pin's link trains the same numbers again.
 */
export function pinFrom({ label, query, evals, snapshot }) {
  const n = evals.step.length;
  const every = Math.max(1, Math.ceil(n / POINTS));
  const curves = {};
  for (const k of CURVES) {
    const src = evals[k] || [];
    const out = [];
    for (let i = 0; i < n; i += every) out.push(numOrNull(src[i]));
    if (n && (n - 1) % every !== 0) out.push(numOrNull(src[n - 1]));
    curves[k] = out;
  }
  const l = snapshot.latest || {};
  const r = snapshot.baselines || {};
  return {
    label: String(label).slice(0, 120),
    query: String(query),
    curves,
    final: { step: numOrNull(isNum(l.step) ? l.step : snapshot.step), loss: numOrNull(l.loss), gd_loss: numOrNull(r.gd_loss), gd_steps: numOrNull(r.gd_steps), preds_diff: numOrNull(l.preds_diff), model_cos: numOrNull(l.model_cos), model_diff: numOrNull(l.model_diff) },
    reproducible: true,
  };
}

/** A stored pin if it has the expected shape (localStorage may hold anything), else null. */
function valid(p) {
  if (!p || typeof p !== "object" || typeof p.label !== "string" || typeof p.query !== "string") return null;
  if (!p.curves || !p.final || typeof p.final !== "object") return null;
  const len = Array.isArray(p.curves.step) ? p.curves.step.length : -1;
  if (len < 0 || len > POINTS + 1) return null;
  for (const k of CURVES) {
    const c = p.curves[k];
    if (!Array.isArray(c) || c.length !== len || !c.every((v) => v === null || isNum(v))) return null;
  }
  const f = {};
  for (const k of FINAL) f[k] = numOrNull(p.final[k]);
  // `reproducible`: its query trains exactly these numbers again (pins made before it was kept
  // may have been pinned before the end of their run).
  return { label: p.label.slice(0, 120), query: p.query.slice(0, 2000), curves: p.curves, final: f, reproducible: p.reproducible === true };
}

/** The pins kept in localStorage (bad entries are dropped). */
export function loadPins(storage = globalThis.localStorage) {
  try {
    const raw = JSON.parse(storage.getItem(KEY) || "[]");
    return Array.isArray(raw) ? raw.map(valid).filter(Boolean).slice(0, MAX_PINS) : [];
  } catch {
    return [];
  }
}

export function savePins(pins, storage = globalThis.localStorage) {
  try {
    storage.setItem(KEY, JSON.stringify(pins));
  } catch {
    // storage full or disabled: the pins last until the page is closed
  }
}

/** The colour of pin `i` (its ghosts, its swatch, its row in the Numbers table), from the colour
 * scheme's palette (theme.js). */
export const colorOf = (i) => palette().pins[i % palette().pins.length];

/** Ghost series of the pins for the loss chart. */
export function lossGhosts(pins) {
  return pins.map((p, i) => ({ type: "line", label: `pinned ${i + 1}: ${p.label}`, color: colorOf(i), width: 2, dash: [7, 3], x: p.curves.step, y: p.curves.loss, fmt: fmtLoss }));
}

/** Ghost series of the pins for the alignment chart: model cos and preds diff. */
export function alignGhosts(pins) {
  return pins.flatMap((p, i) => [
    { type: "line", panel: 0, label: `pinned ${i + 1}: model cos (top), preds diff (bottom)`, color: colorOf(i), width: 1.8, dash: [7, 3], x: p.curves.step, y: p.curves.model_cos, fmt: (v) => fmt(v, 4) },
    { type: "line", panel: 1, label: `pinned ${i + 1}: preds diff`, color: colorOf(i), width: 1.8, dash: [7, 3], x: p.curves.step, y: p.curves.preds_diff, legend: false },
  ]);
}

/** One line of a pin's final numbers. */
export function pinSummary(p) {
  const f = p.final;
  const gd = f.gd_steps > 1 ? `${f.gd_steps}-step GD` : "GD";
  return `step ${int(f.step)}: loss ${fmtLoss(f.loss)} (${pct(f.loss, f.gd_loss)} vs its ${gd} ${fmtLoss(f.gd_loss)}), preds diff ${fmt(f.preds_diff, 3)}, model cos ${fmt(f.model_cos, 3)}`;
}

/** The list of pins in `host`: swatch, label, numbers, link and remove button each. */
export function renderPins(host, pins, { remove }) {
  host.replaceChildren(
    ...pins.map((p, i) => {
      const li = el("li", { "data-testid": `pin-${i + 1}` });
      const sw = el("span", { class: "swatch" });
      sw.style.borderTopColor = colorOf(i);
      sw.style.borderTopStyle = "dashed";
      sw.style.borderTopWidth = "3px";
      const link = el("a", { href: `?${p.query}`, title: "Open this run" }, `pinned ${i + 1}: ${p.label}`);
      const rm = el("button", { type: "button", class: "small", "aria-label": `Remove pinned run ${i + 1}`, "data-testid": `unpin-${i + 1}` }, "×");
      rm.addEventListener("click", () => remove(i));
      li.append(sw, link, el("span", { class: "pin-numbers" }, ` — ${pinSummary(p)} `), rm);
      return li;
    }),
  );
  host.hidden = pins.length === 0;
}
