// The page's boot and wiring: connects the training worker (engine.js) to the run's state, the
// controls, presets, buttons and the URL, and asks the views (view.js) to redraw, paced by
// schedule.js. No maths and no drawing live here.

import { buildControls } from "./controls.js";
import { createEngine } from "./engine.js";
import { drawsWaiting } from "./frames.js";
import { addSnapshot, createHistory } from "./history.js";
import { createNotices } from "./notice.js";
import { buildQuery, queryFromLocation, valuesFrom, writeQuery } from "./params.js";
import { createPoller } from "./poller.js";
import { presetCaption, presetForQuery, presetNamed } from "./presets.js";
import { createPromptCard } from "./promptcard.js";
import { createTiers } from "./schedule.js";
import { setText } from "./dom.js";
import { createView } from "./view.js";

const $ = (id) => document.getElementById(id);
const DEBOUNCE_MS = 300; // slider drags restart the run only once they settle
const CHEAP_MS = 120;
const STEP_N = 10;

const notices = createNotices($("banners"));
window.addEventListener("error", (e) => notices.showError(e.message || "An error occurred on the page."));
window.addEventListener("unhandledrejection", (e) => notices.showError(e.reason && e.reason.message ? e.reason.message : String(e.reason)));

const state = {
  schema: null,
  presets: [],
  config: null,
  query: "",
  desired: null, // key -> text: what the controls ask for
  phase: "loading",
  running: false, // the worker is training
  pausing: false, // a pause was sent and not yet confirmed
  pendingQuery: null, // a run asked for while another was being prepared
  history: createHistory(),
  rate: null,
  resumeOnVisible: false,
  get ood() {
    return readouts.ood.value;
  },
  get sweep() {
    return readouts.sweep.value;
  },
};
let controls = null;

const view = createView(state, { interpolate: () => engine.readout("interpolation") });
const engine = createEngine({ status: setPhase, progress: onProgress, paused: onStopped, error: onError, unavailable });

// "One prompt, up close" (promptcard.js). A link = the run's settings + the edited prompt's code
// (key `prompt`, validated by the engine: link.rs); an evaluation task on show adds nothing.
const linkFor = (query, code) => (code ? (query ? `${query}&prompt=${code}` : `prompt=${code}`) : query);
const card = createPromptCard($("prompt-card"), {
  evalPrompt: (i) => engine.evalPrompt(i),
  writeLink: (code) => {
    if (!engine.starting && state.query !== null) writeQuery(linkFor(state.query, code));
  },
  error: (message) => notices.showError(message),
  dragEnd: () => tiers.invalidate(),
});

// The out-of-distribution and η-sweep read-outs: asked for every few seconds while training,
// and once more when it stops or a setting changes.
const readouts = {
  ood: createPoller(() => engine.readout("ood"), { everyMs: 2000, ms: 500, onValue: onReadout, onError }),
  sweep: createPoller(() => engine.readout("sweep"), { everyMs: 2500, ms: 200, onValue: onReadout, onError }),
};

const tiers = createTiers(
  [
    { name: "fast", everyMs: 200, draw: view.fast },
    { name: "slow", everyMs: 600, draw: drawSlow },
    { name: "text", everyMs: 600, draw: view.text },
  ],
  // While a point of the prompt card is dragged, the other charts wait (they catch up when it
  // is let go), so every pointer move is answered and drawn within the frame.
  { training: () => state.running, ready: () => state.history.snapshot !== null && !card.dragging },
);

function drawSlow() {
  const refs = state.history.snapshot.baselines;
  if (controls && refs) {
    controls.showAuto("gd_eta", refs.gd_eta_star);
    controls.showAuto("clip", refs.clip_norm);
  }
  view.slow();
}

// Kept up to date for tests and for the curious: window.__lab.
// snapshot is the latest message (its history fields hold only what was new); history holds
// the whole curves; ood / sweep are the latest read-outs (null until they arrive).
const lab = { ready: false, status: "loading", step: 0, snapshot: null, query: "", config: null, running: false, history: null, ood: null, sweep: null };
window.__lab = lab;
// True when everything received so far is drawn (no text or canvas update waiting).
lab.settled = () => tiers.settled() && drawsWaiting() === 0;
function publish() {
  const snap = state.history.snapshot;
  lab.status = state.phase;
  lab.step = snap ? snap.step : 0;
  lab.snapshot = snap;
  lab.query = state.query;
  lab.config = state.config;
  lab.running = state.running;
  lab.history = { train_loss: state.history.trainLoss, evals: state.history.evals };
  lab.ood = state.ood;
  lab.sweep = state.sweep;
}
Object.defineProperty(lab, "prompt", { get: () => card.state, enumerable: true });
lab.engine = engine; // tests compare the page's answers with the worker's Lab

// ---- the run ----------------------------------------------------------------------------
function phaseOf(snap) {
  if (!snap) return state.phase;
  // Until the worker confirms a pause, it is still training.
  if (snap.status === "training") return state.running || state.pausing ? "training" : "paused";
  return snap.status;
}

function setPhase(phase) {
  state.phase = phase;
  card.setTraining(state.running);
  updateButtons();
  view.showPhase();
  publish();
}

/** Starts a run from `query` (the first one loads the engine). */
function begin(query) {
  engine.start(query).then(onReady, onError);
}

/** Starts a run from `query`; `keepPrompt`: with the edited prompt on show (same settings). */
function startRun(query, keepPrompt = false) {
  if (keepPrompt) query = linkFor(query, card.code);
  if (engine.starting) {
    state.pendingQuery = query;
    return;
  }
  state.running = false;
  lab.ready = false;
  writeQuery(query);
  begin(query);
  setPhase("preparing");
}

function onReady(m) {
  state.pausing = false;
  if (!state.schema) {
    state.schema = m.schema;
    state.presets = m.presets;
    buildPresets();
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
  writeQuery(linkFor(m.query, m.prompt));
  controls.setConfig(m.config);
  notices.showNotices(m.notices);
  showPreset(presetForQuery(state.presets, linkFor(m.query, m.prompt)) || presetForQuery(state.presets, m.query));
  card.newRun({ config: m.config, query: m.query, untrained: m.untrained, learners: m.learners, code: m.prompt }).catch(onError);
  state.history = createHistory();
  readouts.ood.reset();
  readouts.sweep.reset();
  state.rate = null;
  lab.ready = true;
  state.running = true;
  engine.run().catch(onError);
  setPhase("training");
}

function onProgress(m) {
  if (engine.starting) return; // from a run that is being replaced
  const snap = addSnapshot(state.history, m.snapshot).snapshot;
  state.rate = m.stepsPerSec;
  if (snap.status !== "training") state.running = false;
  if (m.frozen) card.setModel(m.frozen, snap.step, state.running);
  const phase = phaseOf(snap);
  if (phase !== state.phase) setPhase(phase);
  else publish(); // the counters are redrawn with the loss curve, at most 5 times a second
  pollReadouts(false);
  tiers.invalidate();
}

function onStopped() {
  state.running = false;
  state.pausing = false;
  setPhase(phaseOf(state.history.snapshot));
  pollReadouts(true);
}

function onSet(m) {
  if (!m) return; // the worker had no run to change
  state.config = m.config;
  state.query = m.query;
  writeQuery(linkFor(m.query, card.code));
  if (m.notices.length) notices.showNotices(m.notices);
  controls.setConfig(m.config);
  readouts.ood.invalidate();
  readouts.sweep.invalidate();
  publish();
  pollReadouts(true);
}

function onReadout() {
  publish();
  tiers.invalidate();
  pollReadouts(false); // a setting may have changed while it was computed
}

function onError(err) {
  state.running = false;
  state.pausing = false;
  notices.showError(err instanceof Error ? err.message : err);
  setPhase(state.history.snapshot ? phaseOf(state.history.snapshot) : "error");
}

function unavailable(message) {
  setPhase("error");
  notices.showError(message);
}

function pollReadouts(urgent) {
  const snap = state.history.snapshot;
  if (!snap || engine.starting) return;
  for (const r of Object.values(readouts)) r.poll(snap.step, state.running, urgent);
}

// ---- settings ---------------------------------------------------------------------------
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
        for (const [k, v] of cheapPending) engine.set(k, v).then(onSet, onError);
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
function buildPresets() {
  const select = $("preset");
  for (const p of state.presets) {
    const o = document.createElement("option");
    o.value = p.name;
    o.textContent = p.title;
    select.append(o);
  }
  select.addEventListener("change", () => loadPreset(presetNamed(state.presets, select.value)));
  for (const b of document.querySelectorAll("[data-preset]")) {
    b.addEventListener("click", () => {
      if (loadPreset(presetNamed(state.presets, b.getAttribute("data-preset")))) window.scrollTo({ top: 0, behavior: "smooth" });
    });
  }
}

function showPreset(p) {
  const caption = presetCaption(p);
  $("preset").value = caption.value;
  $("preset-title").textContent = caption.title;
  $("preset-desc").textContent = caption.description;
}

/** Shows and starts preset `p`; false when there is none. */
function loadPreset(p) {
  if (!p) return false;
  showPreset(p);
  startRun(p.query);
  return true;
}

// ---- buttons ----------------------------------------------------------------------------
function updateButtons() {
  const play = $("play");
  const snap = state.history.snapshot;
  const canRun = snap && snap.status === "training" && !engine.starting;
  setText(play, state.running ? "Pause" : "Play");
  if (play.getAttribute("aria-pressed") !== String(state.running)) play.setAttribute("aria-pressed", String(state.running));
  if (play.disabled !== (!state.running && !canRun)) play.disabled = !state.running && !canRun;
  if ($("step").disabled !== !canRun) $("step").disabled = !canRun;
}

function pause() {
  state.running = false;
  state.pausing = true; // "paused" once the worker says so
  engine.pause().catch(onError);
}

function resume() {
  state.running = true;
  engine.run().catch(onError);
}

$("play").addEventListener("click", () => {
  if (state.running) pause();
  else resume();
  setPhase(phaseOf(state.history.snapshot));
});
$("step").addEventListener("click", () => {
  state.running = true;
  engine.step(STEP_N).catch(onError);
  setPhase("training");
});
$("reset-run").addEventListener("click", () => startRun(state.query, true));
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
    pause();
  } else if (!document.hidden && state.resumeOnVisible) {
    state.resumeOnVisible = false;
    resume();
    setPhase("training");
  }
});

// ---- boot -------------------------------------------------------------------------------
// On a narrow screen the settings start folded, so the charts come first.
if (window.matchMedia("(max-width: 980px)").matches) $("settings").open = false;
setPhase("loading");
begin(queryFromLocation());
