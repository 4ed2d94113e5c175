// The page's boot and wiring: starts the training worker, builds the controls from the engine's
// schema, keeps the URL equal to the engine's canonical query, merges the incremental snapshots
// and redraws the charts, table and text a few times a second. No maths lives here.

import { buildControls } from "./controls.js";
import { createAlignChart, createLossChart, createOodChart, createScatterChart, createSweepChart } from "./charts.js";
import { createWeights } from "./heatmap.js";
import { createNotices } from "./notice.js";
import { updateNumbers } from "./numbers.js";
import { buildQuery, queryFromLocation, valuesFrom, writeQuery } from "./params.js";
import { createStatus } from "./status.js";
import { updateStory } from "./story.js";
import { fixed, fmt, fmtLoss, int, isNum, stretched } from "./format.js";
import { drawsWaiting } from "./frames.js";

const $ = (id) => document.getElementById(id);
const DEBOUNCE_MS = 300; // slider drags restart the run only once they settle
const CHEAP_MS = 120;
const STEP_N = 10;

const notices = createNotices($("banners"));
window.addEventListener("error", (e) => notices.showError(e.message || "An error occurred on the page."));
window.addEventListener("unhandledrejection", (e) => notices.showError(e.reason && e.reason.message ? e.reason.message : String(e.reason)));

const status = createStatus({
  pill: $("status"),
  detail: $("status-detail"),
  count: $("step-count"),
  progress: $("progress"),
  rate: $("rate"),
  headline: $("headline"),
});

const charts = {
  loss: createLossChart($("plot-loss")),
  align: createAlignChart($("plot-align")),
  weights: createWeights($("plot-weights")),
  scatter: createScatterChart($("plot-scatter")),
  ood: createOodChart($("plot-ood")),
  sweep: createSweepChart($("plot-sweep")),
};

function emptyEvals() {
  return { step: [], loss: [], preds_diff: [], model_cos: [], model_diff: [], eta_over_n: [] };
}

const state = {
  schema: null,
  presets: [],
  config: null,
  query: "",
  desired: null, // key -> text: what the controls ask for
  phase: "loading",
  running: false, // the worker is training
  awaitingReady: false,
  pendingQuery: null,
  snapshot: null,
  trainX: [],
  trainLoss: [],
  evals: emptyEvals(),
  rate: null,
  ood: null,
  oodStep: -1,
  oodAt: 0,
  oodMs: 500,
  oodBusy: false,
  sweep: null,
  sweepStep: -1,
  sweepAt: 0,
  sweepMs: 200,
  sweepBusy: false,
  pausing: false, // a pause was sent and not yet confirmed
  resumeOnVisible: false,
};
let controls = null;

// Kept up to date for tests and for the curious: window.__lab.
// snapshot is the latest message (its history fields hold only what was new); history holds
// the whole curves; ood / sweep are the latest read-outs (null until they arrive).
const lab = { ready: false, status: "loading", step: 0, snapshot: null, query: "", running: false, history: null, ood: null, sweep: null };
window.__lab = lab;
// True when everything received so far is drawn (no text or canvas update waiting).
lab.settled = () => !Object.values(dirty).some(Boolean) && !frame && !timer && drawsWaiting() === 0;
function publish() {
  lab.status = state.phase;
  lab.step = state.snapshot ? state.snapshot.step : 0;
  lab.snapshot = state.snapshot;
  lab.query = state.query;
  lab.running = state.running;
  lab.history = { train_loss: state.trainLoss, evals: state.evals };
  lab.ood = state.ood;
  lab.sweep = state.sweep;
}

// ---- the worker -------------------------------------------------------------------------
const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
worker.onerror = (e) => {
  e.preventDefault();
  setPhase("error");
  notices.showError(`The training worker could not start (${e.message || "the engine's files may be missing or being rebuilt"}). Reload the page.`);
};
const send = (msg) => worker.postMessage(msg);

worker.onmessage = (e) => {
  const m = e.data;
  switch (m.type) {
    case "status":
      setPhase(m.phase);
      break;
    case "ready":
      onReady(m);
      break;
    case "progress":
      onProgress(m);
      break;
    case "paused":
      state.running = false;
      state.pausing = false;
      setPhase(phaseOf(state.snapshot));
      refreshExtras(true);
      break;
    case "set":
      state.config = m.config;
      state.query = m.query;
      writeQuery(m.query);
      if (m.notices.length) notices.showNotices(m.notices);
      controls.setConfig(m.config);
      state.oodStep = -1;
      state.sweepStep = -1;
      publish();
      refreshExtras(true);
      break;
    case "ood":
      state.oodBusy = false;
      state.ood = m.rows;
      state.oodMs = m.ms;
      state.oodAt = performance.now();
      publish();
      render();
      refreshExtras(false); // a setting may have changed while it was computed
      break;
    case "sweep":
      state.sweepBusy = false;
      state.sweep = m.points;
      state.sweepMs = m.ms;
      state.sweepAt = performance.now();
      publish();
      render();
      refreshExtras(false);
      break;
    case "error":
      state.running = false;
      state.pausing = false;
      state.oodBusy = false;
      state.sweepBusy = false;
      if (state.awaitingReady) state.awaitingReady = false;
      notices.showError(m.message);
      setPhase(state.snapshot ? phaseOf(state.snapshot) : "error");
      break;
    default:
      break;
  }
};

function phaseOf(snap) {
  if (!snap) return state.phase;
  // Until the worker confirms a pause, it is still training.
  if (snap.status === "training") return state.running || state.pausing ? "training" : "paused";
  return snap.status;
}

function setPhase(phase) {
  state.phase = phase;
  updateButtons();
  status.show(phase, state.snapshot, state.rate);
  publish();
}

function onReady(m) {
  state.awaitingReady = false;
  state.pausing = false;
  if (!state.schema) {
    state.schema = m.schema;
    state.presets = m.presets;
    buildPresets(m.presets);
    controls = buildControls($("controls"), m.schema, onControl, { alpha: $("alpha-control") });
  }
  if (state.pendingQuery !== null) {
    // The learner changed something while this run was being prepared: start that one instead.
    const q = state.pendingQuery;
    state.pendingQuery = null;
    startRun(q);
    return;
  }
  state.config = m.config;
  state.query = m.query;
  state.desired = valuesFrom(m.schema, m.config);
  writeQuery(m.query);
  controls.setConfig(m.config);
  notices.showNotices(m.notices);
  selectPreset(m.query);
  state.snapshot = null;
  state.trainX = [];
  state.trainLoss = [];
  state.evals = emptyEvals();
  state.ood = null;
  state.sweep = null;
  state.oodStep = -1;
  state.sweepStep = -1;
  state.oodAt = performance.now();
  state.sweepAt = performance.now();
  state.rate = null;
  lab.ready = true;
  state.running = true;
  send({ type: "run" });
  setPhase("training");
}

function onProgress(m) {
  if (state.awaitingReady) return; // from a run that is being replaced
  const snap = m.snapshot;
  // Weights and scatter come only in full snapshots: keep the last ones in between.
  if (state.snapshot) {
    if (!snap.weights) snap.weights = state.snapshot.weights;
    if (!snap.scatter) snap.scatter = state.snapshot.scatter;
  }
  // The worker sends only new history: append it.
  if (snap.train_from !== state.trainLoss.length) {
    state.trainLoss.length = Math.min(state.trainLoss.length, snap.train_from);
    state.trainX.length = state.trainLoss.length;
  }
  for (const v of snap.train_loss) {
    state.trainX.push(state.trainLoss.length);
    state.trainLoss.push(v);
  }
  const ev = snap.evals;
  if (ev.from !== state.evals.step.length) {
    for (const k of Object.keys(state.evals)) state.evals[k].length = Math.min(state.evals[k].length, ev.from);
  }
  for (const k of Object.keys(state.evals)) for (const v of ev[k]) state.evals[k].push(v);
  state.snapshot = snap;
  state.rate = m.stepsPerSec;
  if (snap.status !== "training") state.running = false;
  const phase = phaseOf(snap);
  if (phase !== state.phase) setPhase(phase);
  else publish(); // the counters are redrawn with the loss curve, at most 5 times a second
  refreshExtras(false);
  render();
}

// The out-of-distribution and η-sweep read-outs cost the worker some time: ask for them every
// few seconds while training (never more than ~20% of the time), and once more when it stops.
function refreshExtras(now) {
  const snap = state.snapshot;
  if (!snap || state.awaitingReady) return;
  const t = performance.now();
  const idle = !state.running;
  if (!state.oodBusy && state.oodStep !== snap.step && (idle || now || t - state.oodAt > Math.max(2000, 5 * state.oodMs))) {
    state.oodBusy = true;
    state.oodStep = snap.step;
    send({ type: "ood" });
  }
  if (!state.sweepBusy && state.sweepStep !== snap.step && (idle || now || t - state.sweepAt > Math.max(2500, 5 * state.sweepMs))) {
    state.sweepBusy = true;
    state.sweepStep = snap.step;
    send({ type: "sweep" });
  }
}

// ---- drawing ----------------------------------------------------------------------------
// Drawing comes in three tiers: the loss curve and headline at most every 200 ms; the other
// charts, and the texts (table, story, read-outs), each at most every 600 ms while training.
// A frame runs at most one tier, and the canvases themselves are drawn a few per frame after
// that (frames.js), so each frame's work on the main thread stays small. When training stops,
// every tier runs in the next few frames.
const TIERS = { fast: 200, slow: 600, text: 600 };
const TIER_DRAW = { fast: drawFast, slow: drawSlow, text: drawText };
const last = { fast: 0, slow: 0, text: 0 };
const dirty = { fast: false, slow: false, text: false };
let frame = 0;
let timer = 0;

function render() {
  dirty.fast = true;
  dirty.slow = true;
  dirty.text = true;
  schedule();
}

function schedule() {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    draw();
  });
}

function draw() {
  if (!state.snapshot) return;
  const now = performance.now();
  let next = Infinity;
  let drew = false;
  for (const tier of Object.keys(TIERS)) {
    if (!dirty[tier]) continue;
    const wait = state.running ? last[tier] + TIERS[tier] - now : 0;
    if (wait <= 0 && !drew) {
      last[tier] = now;
      dirty[tier] = false;
      drew = true;
      TIER_DRAW[tier](state.snapshot);
    } else {
      next = Math.min(next, Math.max(wait, 0));
    }
  }
  if (next === 0) {
    schedule(); // a tier that is due but gave way to another runs in the next frame
  } else if (next < Infinity && !timer) {
    timer = setTimeout(() => {
      timer = 0;
      schedule();
    }, next);
  }
}

// The charts only take their data here: each canvas is drawn in a coming animation frame
// (frames.js), a few per frame, after the page's texts of this frame are laid out.
function drawFast(snap) {
  status.show(state.phase, snap, state.rate);
  charts.loss.update({ trainX: state.trainX, trainLoss: state.trainLoss, evals: state.evals, refs: snap.refs, pgd: stretched(state.config) });
  status.headline(snap, state.config);
}

function drawSlow(snap) {
  if (controls && snap.refs) {
    controls.showAuto("gd_eta", snap.refs.gd_eta_star);
    controls.showAuto("clip", snap.refs.clip_norm);
  }
  charts.align.update({ evals: state.evals, untrained: snap.untrained });
  charts.weights.update(snap.weights);
  charts.scatter.update(snap.scatter);
  charts.ood.update({ rows: state.ood, alpha: state.config ? state.config.alpha : null });
  charts.sweep.update({ points: state.sweep, etaStar: snap.refs.gd_eta_star, eta: snap.refs.gd_eta });
}

function drawText(snap) {
  updateNumbers($("numbers-body"), snap, state.config);
  updateStory(document.body, state.config, snap);
  etaSentence();
  oodReadout();
  alignReadout();
}

/**
 * With stretched inputs: the latest alignment with preconditioned GD beside that with plain GD,
 * in words under the alignment chart (whose curves are against plain GD only).
 */
function alignReadout() {
  const snap = state.snapshot;
  const l = snap ? snap.latest : null;
  let text = "";
  if (stretched(state.config) && l && l.pgd && isNum(l.step)) {
    const p = l.pgd;
    const closer = isNum(p.preds_diff) && isNum(l.preds_diff) && p.preds_diff < l.preds_diff;
    text =
      `At step ${int(l.step)} the transformer is ${closer ? "closer to" : "not yet closer to"} one preconditioned GD step than to plain GD: ` +
      `preds diff ${fmt(p.preds_diff, 3)} against preconditioned GD, ${fmt(l.preds_diff, 3)} against GD; ` +
      `model cos ${fixed(p.model_cos, 4)} and ${fixed(l.model_cos, 4)}; model diff ${fmt(p.model_diff, 3)} and ${fmt(l.model_diff, 3)}. ` +
      "The curves above compare with plain GD.";
  }
  const out = $("align-readout");
  if (out.textContent !== text) out.textContent = text;
  if (out.hidden !== !text) out.hidden = !text;
}

/** The losses at the chosen α, in words under the chart. */
function oodReadout() {
  const alpha = state.config ? state.config.alpha : null;
  const row = (state.ood || []).find((r) => r.alpha === alpha);
  const text = row
    ? `At α = ${fmt(alpha)}: transformer ${fmtLoss(row.model)}, GD ${fmtLoss(row.gd)}, GD++ ${fmtLoss(row.gdpp)}, OLS ${fmtLoss(row.ols)}, zero predictor ${fmtLoss(row.zero)}.`
    : "";
  if ($("ood-readout").textContent !== text) $("ood-readout").textContent = text;
}

function etaSentence() {
  const snap = state.snapshot;
  const view = charts.weights.current;
  const built = snap && snap.weights ? snap.weights.construction : null;
  if (!view || !built) return;
  const refName = snap.refs.gd_eta === snap.refs.gd_eta_star ? "η*/N" : "η/N";
  let text = `Learned η/N = ${fixed(view.eta_over_n, 3)} vs ${refName} = ${fixed(built.eta_over_n, 3)} (β = ${fmt(view.beta, 3)}).`;
  if (stretched(state.config) && isNum(snap.refs.pgd_eta) && isNum(state.config.n) && state.config.n > 0) {
    // W_KQ/β has a mean diagonal of 1, like preconditioned GD's Γ: their η/N compare directly.
    text += ` One preconditioned GD step uses η/N = ${fixed(snap.refs.pgd_eta / state.config.n, 3)} (its Γ scaled to a mean of 1).`;
  }
  if ($("eta-sentence").textContent !== text) $("eta-sentence").textContent = text;
}
charts.weights.onPick(etaSentence);

const hosts = ["plot-loss", "plot-align", "plot-weights", "plot-scatter", "plot-ood", "plot-sweep"];
const byHost = { "plot-loss": charts.loss, "plot-align": charts.align, "plot-weights": charts.weights, "plot-scatter": charts.scatter, "plot-ood": charts.ood, "plot-sweep": charts.sweep };
const observer = new ResizeObserver((entries) => {
  for (const entry of entries) byHost[entry.target.id].resize();
});
for (const id of hosts) observer.observe($(id));

// ---- settings ---------------------------------------------------------------------------
function startRun(query) {
  if (state.awaitingReady) {
    state.pendingQuery = query;
    return;
  }
  state.awaitingReady = true;
  state.running = false;
  lab.ready = false;
  writeQuery(query);
  send({ type: "reset", query });
  setPhase("preparing");
}

let debounce = 0;
let cheapTimer = 0;
const cheapPending = new Map();

function onControl(key, text, cheap) {
  if (!state.desired) return;
  state.desired[key] = text;
  if (cheap) {
    cheapPending.set(key, text);
    if (!cheapTimer) {
      cheapTimer = setTimeout(() => {
        cheapTimer = 0;
        for (const [k, v] of cheapPending) send({ type: "set", key: k, value: v });
        cheapPending.clear();
      }, CHEAP_MS);
    }
    return;
  }
  clearTimeout(debounce);
  writeQuery(buildQuery(state.schema, state.desired));
  debounce = setTimeout(() => startRun(buildQuery(state.schema, state.desired)), DEBOUNCE_MS);
}

// ---- presets ----------------------------------------------------------------------------
function pairs(query) {
  return [...new URLSearchParams(query)].map(([k, v]) => `${k}=${v}`).sort().join("&");
}

function buildPresets(list) {
  const select = $("preset");
  for (const p of list) {
    const o = document.createElement("option");
    o.value = p.name;
    o.textContent = p.title;
    select.append(o);
  }
  select.addEventListener("change", () => {
    const p = state.presets.find((x) => x.name === select.value);
    if (p) loadPreset(p);
  });
  for (const b of document.querySelectorAll("[data-preset]")) {
    b.addEventListener("click", () => {
      const p = state.presets.find((x) => x.name === b.getAttribute("data-preset"));
      if (p) {
        loadPreset(p);
        window.scrollTo({ top: 0, behavior: "smooth" });
      }
    });
  }
}

function showPreset(p) {
  $("preset").value = p ? p.name : "";
  $("preset-title").textContent = p ? `${p.title}.` : "Your own settings.";
  $("preset-desc").textContent = p ? p.description : "Every one of them is in the link: copy it to share this exact run.";
}

function loadPreset(p) {
  showPreset(p);
  startRun(p.query);
}

function selectPreset(query) {
  showPreset(state.presets.find((x) => pairs(x.query) === pairs(query)));
}

// ---- buttons ----------------------------------------------------------------------------
function updateButtons() {
  const play = $("play");
  const canRun = state.snapshot && state.snapshot.status === "training" && !state.awaitingReady;
  const label = state.running ? "Pause" : "Play";
  if (play.textContent !== label) play.textContent = label;
  if (play.getAttribute("aria-pressed") !== String(state.running)) play.setAttribute("aria-pressed", String(state.running));
  if (play.disabled !== (!state.running && !canRun)) play.disabled = !state.running && !canRun;
  if ($("step").disabled !== !canRun) $("step").disabled = !canRun;
}

$("play").addEventListener("click", () => {
  if (state.running) {
    state.running = false;
    state.pausing = true; // "paused" once the worker says so
    send({ type: "pause" });
  } else {
    state.running = true;
    send({ type: "run" });
  }
  setPhase(phaseOf(state.snapshot));
});
$("step").addEventListener("click", () => {
  state.running = true;
  send({ type: "step", n: STEP_N });
  setPhase("training");
});
$("reset-run").addEventListener("click", () => startRun(state.query));
$("reset-defaults").addEventListener("click", () => startRun(""));
$("copy-link").addEventListener("click", async () => {
  const out = $("copied");
  try {
    await navigator.clipboard.writeText(window.location.href);
    out.textContent = "copied";
  } catch {
    out.textContent = "copy failed: the link is in the address bar";
  }
  setTimeout(() => (out.textContent = ""), 2500);
});

// Pause while the tab is hidden, carry on when it is back.
document.addEventListener("visibilitychange", () => {
  if (document.hidden && state.running) {
    state.resumeOnVisible = true;
    state.running = false;
    state.pausing = true;
    send({ type: "pause" });
  } else if (!document.hidden && state.resumeOnVisible) {
    state.resumeOnVisible = false;
    state.running = true;
    send({ type: "run" });
    setPhase("training");
  }
});

// ---- boot -------------------------------------------------------------------------------
// On a narrow screen the settings start folded, so the charts come first.
if (window.matchMedia("(max-width: 980px)").matches) $("settings").open = false;
setPhase("loading");
state.awaitingReady = true;
send({ type: "init", query: queryFromLocation() });
