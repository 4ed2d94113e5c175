// The settings panel, built from the engine's schema (the schema lives in Rust only): one native,
// labelled, keyboard-usable control per knob with its one-sentence help. Controls only report
// text values; the engine validates them and the page shows what the engine kept.

import { el } from "./dom.js";
import { drawSoon } from "./frames.js";
import { isNum } from "./format.js";

// Display grouping only; a key the page does not know still gets a control, under "More".
const GROUPS = [
  ["Task", ["d", "n", "x_range", "noise", "aniso"]],
  ["Transformer", ["tokens", "layers", "recurrent", "heads", "attn", "query_in_keys", "layernorm", "mlp"]],
  ["Training", ["lr", "batch", "steps", "seed", "clip", "labels"]],
  ["Evaluation", ["eval_tasks", "eval_every", "gd_eta"]],
];
/** How long a turn of the frame queue may go on building the settings (after its first part). */
const TURN_MS = 5;

// Mantissas of the values a log slider stops at, per decade.
const LOG_STOPS = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8];

let uid = 0;

/** Sorted, distinct slider stops for a log-scale knob on [min, max]. */
export function logStops(knob) {
  const out = new Set([knob.min, knob.max]);
  for (let e = Math.floor(Math.log10(knob.min)); e <= Math.ceil(Math.log10(knob.max)); e++) {
    for (const m of LOG_STOPS) {
      let v = Number((m * 10 ** e).toPrecision(3));
      if (knob.kind === "int") v = Math.round(v);
      if (v >= knob.min && v <= knob.max) out.add(v);
    }
  }
  return [...out].sort((a, b) => a - b);
}

function nearestStop(stops, v) {
  let best = 0;
  for (let i = 1; i < stops.length; i++) {
    if (Math.abs(Math.log(stops[i] / v)) < Math.abs(Math.log(stops[best] / v))) best = i;
  }
  return best;
}

/** A "nice" slider step for a float knob on a linear scale. */
function linStep(knob) {
  if (knob.kind === "int") return 1;
  const raw = (knob.max - knob.min) / 100;
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
}

function clean(v) {
  return String(Number(Number(v).toPrecision(6)));
}

/**
 * A slider (linear, or over log stops) plus an editable number box. `emit(text)` is called on
 * every change; `set(text)` shows a value without emitting.
 */
function numberControl(knob, id, emit) {
  const log = knob.scale === "log";
  const stops = log ? logStops(knob) : null;
  // One tab stop per setting: the number box (arrow keys step it); the slider is for the
  // pointer, kept in sync with the box, and out of the tab order.
  const range = el("input", { type: "range", id: `${id}-range`, tabindex: "-1", "aria-hidden": "true", "data-testid": `slider-${knob.key}` });
  if (log) {
    range.min = "0";
    range.max = String(stops.length - 1);
    range.step = "1";
  } else {
    range.min = String(knob.min);
    range.max = String(knob.max);
    range.step = String(linStep(knob));
  }
  const box = el("input", {
    type: "number",
    id,
    class: "num",
    "aria-label": `${knob.label} value`,
    "data-testid": `value-${knob.key}`,
    min: String(knob.min),
    max: String(knob.max),
    step: knob.kind === "int" ? "1" : "any",
  });
  const fromRange = () => (log ? String(stops[Number(range.value)]) : clean(range.value));
  range.addEventListener("input", () => {
    const text = fromRange();
    box.value = text;
    range.setAttribute("aria-valuetext", text);
    emit(text);
  });
  box.addEventListener("change", () => {
    if (box.value.trim() === "") return;
    set(box.value);
    emit(box.value);
  });
  function set(text) {
    const v = Number(text);
    if (!isNum(v)) return;
    const shown = clean(v);
    if (box.value === shown && range.getAttribute("aria-valuetext") === shown) return;
    box.value = shown;
    range.value = log ? String(nearestStop(stops, v)) : String(v);
    range.setAttribute("aria-valuetext", shown);
  }
  function disable(off) {
    range.disabled = off;
    box.disabled = off;
  }
  return { nodes: [range, box], set, disable, range, box };
}

/** Shows control `box` as fixed by the link (lock=): every input disabled, and a short note. */
function showLocked(box, key) {
  box.classList.add("locked");
  for (const input of box.querySelectorAll("input, select, button")) input.disabled = true;
  if (box.querySelector(".locked-note")) return;
  const note = el("p", { class: "locked-note", "data-testid": `locked-${key}` }, "Fixed by the link.");
  box.querySelector(".control-head").after(note);
}

/**
 * Builds the controls into `root`, except those of `elsewhere` (key -> host element), which go
 * to their own host (e.g. α beside its chart). onChange(key, text, cheap) is called for each
 * user change. Returns {setConfig(config), showAuto(key, value), lock(keys)}.
 */
export function buildControls(root, schema, onChange, elsewhere = {}) {
  const controls = new Map();
  const boxes = new Map(); // key -> the control's element
  const locked = new Set(); // keys the link fixes (lock=): shown, not changeable
  const byKey = new Map(schema.map((k) => [k.key, k]));
  const placed = new Set();
  const groups = GROUPS.map(([title, keys]) => [title, keys.filter((k) => byKey.has(k))]);
  const rest = schema.map((k) => k.key).filter((k) => !GROUPS.some(([, keys]) => keys.includes(k)));
  groups.push(["More", rest]);

  function make(knob) {
    const id = `ctl-${knob.key}-${++uid}`;
    const helpId = `${id}-help`;
    const box = el("div", { class: `control kind-${knob.kind}`, "data-key": knob.key });
    const head = el("div", { class: "control-head" });
    const label = el("label", { for: id }, knob.label);
    head.append(label);
    const help = el("p", { class: "help", id: helpId }, knob.help);
    const emit = (text) => onChange(knob.key, text, knob.cheap);
    let api;

    if (knob.kind === "bool") {
      const input = el("input", { type: "checkbox", id, "aria-describedby": helpId, "data-testid": `check-${knob.key}` });
      input.addEventListener("change", () => emit(input.checked ? "true" : "false"));
      box.classList.add("inline");
      head.prepend(input);
      api = { set: (t) => (input.checked = t === "true") };
      box.append(head, help);
    } else if (knob.kind === "choice") {
      const select = el("select", { id, "aria-describedby": helpId, "data-testid": `select-${knob.key}` });
      for (const c of knob.choices) select.append(el("option", { value: c }, c));
      select.addEventListener("change", () => emit(select.value));
      api = { set: (t) => (select.value = t) };
      box.append(head, select, help);
    } else if (knob.kind === "autofloat") {
      const auto = el("input", { type: "checkbox", id: `${id}-auto`, "data-testid": `auto-${knob.key}` });
      const autoLabel = el("label", { for: `${id}-auto`, class: "auto" }, knob.key === "gd_eta" ? "auto (η*)" : "auto");
      autoLabel.prepend(auto);
      const num = numberControl(knob, id, emit);
      num.box.setAttribute("aria-describedby", helpId);
      num.box.placeholder = "auto";
      let autoValue = null;
      auto.addEventListener("change", () => {
        num.disable(auto.checked);
        if (!auto.checked) num.box.title = "";
        emit(auto.checked ? "auto" : num.box.value || knob.default);
      });
      api = {
        set(t) {
          auto.checked = t === "auto";
          num.disable(auto.checked || locked.has(knob.key));
          if (t !== "auto") num.set(t);
          else if (autoValue !== null) num.set(String(autoValue));
        },
        showAuto(v) {
          autoValue = isNum(v) ? Number(v.toPrecision(4)) : null;
          if (auto.checked && autoValue !== null) num.set(String(autoValue));
          const title = auto.checked && autoValue !== null ? `auto: the engine uses ${autoValue}` : "";
          if (num.box.title !== title) num.box.title = title;
        },
      };
      const row = el("div", { class: "row" });
      row.append(...num.nodes);
      head.append(autoLabel);
      box.append(head, row, help);
    } else if (knob.scale === "lin" && knob.kind === "int" && knob.max - knob.min > 1000) {
      // A huge whole-number range (the seed): type it, or draw a new one.
      const input = el("input", { type: "number", id, class: "num wide", min: String(knob.min), max: String(knob.max), step: "1", "aria-describedby": helpId, "data-testid": `value-${knob.key}` });
      input.addEventListener("change", () => input.value.trim() !== "" && emit(input.value));
      const again = el("button", { type: "button", class: "small", "data-testid": `new-${knob.key}` }, `new ${knob.label}`);
      again.addEventListener("click", () => {
        const span = Math.min(knob.max - knob.min, 1e6);
        const v = String(knob.min + Math.floor(Math.random() * (span + 1)));
        input.value = v;
        emit(v);
      });
      api = { set: (t) => (input.value = t) };
      const row = el("div", { class: "row" });
      row.append(input, again);
      box.append(head, row, help);
    } else {
      const num = numberControl(knob, id, emit);
      num.box.setAttribute("aria-describedby", helpId);
      api = { set: num.set };
      const row = el("div", { class: "row" });
      row.append(...num.nodes);
      box.append(head, row, help);
    }
    controls.set(knob.key, api);
    boxes.set(knob.key, box);
    if (locked.has(knob.key)) showLocked(box, knob.key);
    return box;
  }

  // The controls are built a few at a time, in turns of the frame queue: building and laying
  // out every control in one go would hold the main thread for a long moment just as training
  // starts (and a whole group in one turn took up to 48 ms with the CPU slowed 4×). Each group's box comes first,
  // its controls after it, so nothing above a new control moves. Values arriving before a
  // control exists are kept and shown when it is built.
  const parts = [];
  for (const [title, keys] of groups) {
    const mine = keys.filter((k) => byKey.has(k) && !placed.has(k) && !(k in elsewhere));
    for (const k of mine) placed.add(k);
    if (!mine.length) continue;
    const fs = el("fieldset", { class: "group" });
    fs.append(el("legend", {}, title));
    parts.push(() => root.append(fs));
    for (const k of mine) parts.push(() => fs.append(make(byKey.get(k))));
  }
  for (const [key, host] of Object.entries(elsewhere)) {
    if (byKey.has(key)) parts.push(() => host.replaceChildren(make(byKey.get(key))));
  }

  let config = null;
  const autoValues = new Map();
  function show(key, api) {
    if (config) {
      const v = config[key];
      api.set(v === null || v === undefined ? "auto" : String(v));
    }
    if (api.showAuto && autoValues.has(key)) api.showAuto(autoValues.get(key));
  }
  // In turns of the page's frame queue (frames.js): parts while a turn has used under 5 ms (at
  // least one), so a fast machine builds the panel in a few frames and a slow one a control a
  // frame.
  const owner = {};
  function buildNext() {
    const t0 = performance.now();
    const before = new Set(controls.keys());
    do {
      parts.shift()();
    } while (parts.length && performance.now() - t0 < TURN_MS);
    for (const [key, api] of controls) if (!before.has(key)) show(key, api);
    if (parts.length) drawSoon(owner, buildNext);
  }
  root.replaceChildren();
  if (parts.length) drawSoon(owner, buildNext);

  return {
    /** Shows every value of `config` (from lab.config(); null = auto). */
    setConfig(next) {
      config = next;
      for (const [key, api] of controls) show(key, api);
    },
    /** Fixes the settings `keys` (the link's lock=, validated by the engine): shown, disabled. */
    lock(keys) {
      for (const key of keys || []) {
        locked.add(key);
        if (boxes.has(key)) showLocked(boxes.get(key), key);
      }
    },
    /** For an autofloat knob set to auto: show the value the engine chose. */
    showAuto(key, value) {
      autoValues.set(key, value);
      const api = controls.get(key);
      if (api && api.showAuto) api.showAuto(value);
    },
  };
}
