// The page's boot and wiring: connects the training worker (engine.js) to the run's state, the
// controls, presets, buttons and the URL, and asks the views (view.js) to redraw, paced by
// schedule.js. No maths and no drawing live here.

import { buildControls } from "./controls.js";
import { createEngine } from "./engine.js";
import { drawsWaiting, yieldToBrowser } from "./frames.js";
import { addSnapshot, createHistory } from "./history.js";
import { createNotices } from "./notice.js";
import { buildQuery, queryFromLocation, valuesFrom, writeQuery } from "./params.js";
import { createPoller } from "./poller.js";
import { canonicalPairs, presetCaption, presetForQuery, presetNamed } from "./presets.js";
import { createPromptCard } from "./promptcard.js";
import { createTiers } from "./schedule.js";
import { setText } from "./dom.js";
import { int } from "./format.js";
import { createView } from "./view.js";
import { revealStory } from "./story.js";
import { alignGhosts, loadPins, lossGhosts, MAX_PINS, pinFrom, pinLabel, pinName, renderPins, savePins } from "./pins.js";
import { applyPresent, commitOnChoice, showWatch, wireSkipLinks } from "./lecture.js";
import { applyLock, applyView } from "./classroom.js";
import { fullLabQuery, linkHref, linkQuery } from "./link.js";
import { createShareDialog } from "./share.js";
import { cardPicture, download } from "./export.js";
import { drawUnseen, redrawAll, warmChartFonts } from "./canvas.js";
import { onSchemeChange } from "./theme.js";
import { STEPS } from "./tour.js";
import { createTour } from "./tourguide.js";
import { registerOffline } from "./offline.js";

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
  present: false, // presenter mode (link key present=true, validated by the engine)
  workers: 0, // workers sharing the training (link key workers=N; 0: automatic)
  view: {}, // the link's classroom keys (lock, hide, view, autoplay: link.rs View, validated)
  parts: null, // the names those keys take (the engine's view_parts)
  pins: loadPins(), // pinned runs drawn as ghosts (pins.js)
  reproducing: null, // while the link's pinned runs are trained again: {collect, done, fail}
  afterReproducing: null, // a run asked for while they were
  runSerial: 0, // counts the runs shown (onReady): the guided tour's numbers belong to one of them
  get ood() {
    return readouts.ood.value;
  },
  get sweep() {
    return readouts.sweep.value;
  },
  get shifts() {
    return readouts.shifts.value;
  },
};
let controls = null;
let tour = null; // the guided tour (tourguide.js), set up with the page's buttons below

// Building the page takes this module's evaluation a few tasks (on a slow CPU one task was
// 100–150 ms, the page frozen meanwhile): it yields to the browser between its parts. Until
// it is done, what the engine says waits (the callbacks below use everything this module
// defines); the worker sends nothing before the first request, made at the end.
let built = false;
const early = [];
const whenBuilt =
  (fn) =>
  (...args) =>
    built ? fn(...args) : early.push(() => fn(...args));
await yieldToBrowser();

const view = await createView(state, { interpolate: () => engine.readout("interpolation") });
await yieldToBrowser();
warmChartFonts();
await yieldToBrowser();
state.ghosts = { loss: lossGhosts(state.pins), align: alignGhosts(state.pins) };
const engine = createEngine({
  status: whenBuilt(onStatus),
  progress: whenBuilt(onProgress),
  paused: whenBuilt(onStopped),
  error: whenBuilt(onError),
  unavailable: whenBuilt(unavailable),
});
await yieldToBrowser();

// "One prompt, up close" (promptcard.js). A link = the run's settings + the edited prompt's code
// (key `prompt`, validated by the engine: link.rs); an evaluation task on show adds nothing.
// Presenter mode adds `present=true`, each pinned run a `pin`, a link's worker count `workers=N`,
// a classroom link its lock/hide/view/autoplay keys and the guided tour its step `tour=N` (view
// keys of link.rs, written by link.js in the engine's order) unless `withView` is false (a preset
// is matched without).
const viewNow = () => ({ ...state.view, present: state.present, pins: state.pins.map((p) => p.query), workers: state.workers, tour: tour ? tour.step : 0 });
const linkFor = (query, code, withView = true) => {
  const view = withView ? viewNow() : {};
  const parts = state.parts || { lock: [], panels: [], cards: [] };
  return linkQuery(query, { ...view, prompt: code || null }, parts);
};
/** Writes the link to the address bar, and the embed's "open the full lab" link. */
function writeLink(link) {
  writeQuery(link);
  if (state.parts && state.query !== null) {
    $("full-lab").href = linkHref(window.location.href, fullLabQuery(state.query, { ...viewNow(), prompt: card.code || null }, state.parts));
  }
}
/** Keeps the address bar at the link of what is on show (once a run is). */
const syncLink = () => {
  if (lab.ready && !engine.starting) writeLink(linkFor(state.query, card.code));
};
const card = createPromptCard($("prompt-card"), {
  evalPrompt: (i) => engine.evalPrompt(i),
  writeLink: (code) => {
    if (!engine.starting && state.query !== null) writeLink(linkFor(state.query, code));
  },
  error: (message) => notices.showError(message),
  dragEnd: () => tiers.invalidate(),
});

// The out-of-distribution and η-sweep read-outs: asked for every few seconds while training,
// and once more when it stops or a setting changes.
const readouts = {
  ood: createPoller(() => engine.readout("ood"), { everyMs: 2000, ms: 500, onValue: onReadout, onError }),
  sweep: createPoller(() => engine.readout("sweep"), { everyMs: 2500, ms: 200, onValue: onReadout, onError }),
  shifts: createPoller(() => engine.readout("shifts"), { everyMs: 3000, ms: 300, onValue: onReadout, onError }),
};

const tiers = createTiers(
  [
    { name: "fast", everyMs: 200, draw: view.fast },
    { name: "slow", everyMs: 600, draw: drawSlow },
    {
      name: "text",
      everyMs: 600,
      draw: () => {
        view.text();
        if (tour) tour.update();
      },
    },
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
  lab.workers = state.poolSize || 1;
  lab.history = { train_loss: state.history.trainLoss, evals: state.history.evals };
  lab.ood = state.ood;
  lab.sweep = state.sweep;
  lab.shifts = state.shifts;
}
Object.defineProperty(lab, "prompt", { get: () => card.state, enumerable: true });
lab.engine = engine; // tests compare the page's answers with the worker's Lab
lab.describe = view.describe; // what a chart shows (series in drawing order, y ranges), for tests
lab.drawUnseen = drawUnseen; // draws the charts out of sight now (a test's picture of the whole page)
lab.starts = 0; // how many runs were started (a test counts them)
lab.presetQuery = (name) => (presetNamed(state.presets, name) || {}).query;
await yieldToBrowser();

// ---- the run ----------------------------------------------------------------------------
function phaseOf(snap) {
  if (!snap) return state.phase;
  // Until the worker confirms a pause, it is still training.
  if (snap.status === "training") return state.running || state.pausing ? "training" : "paused";
  return snap.status;
}

/** The worker's phase; while pinned runs are trained again the page says that instead. */
function onStatus(phase) {
  if (!state.reproducing) setPhase(phase);
}

function setPhase(phase) {
  state.phase = phase;
  card.setTraining(state.running);
  updateButtons();
  view.showPhase();
  publish();
  if (tour) tour.update();
}

/** Starts a run from `query` (the first one loads the engine). */
function begin(query) {
  engine.start(query).then(onReady, onError);
}

/** Starts a run from `query`; `keepPrompt`: with the edited prompt on show (same settings). */
function startRun(query, keepPrompt = false) {
  if (state.reproducing) {
    state.afterReproducing = query; // started once the pinned runs are trained again
    return;
  }
  query = linkFor(query, keepPrompt ? card.code : "");
  if (engine.starting) {
    state.pendingQuery = query;
    return;
  }
  state.running = false;
  lab.ready = false;
  lab.starts++;
  writeLink(query);
  begin(query);
  setPhase("preparing");
}

function onReady(m) {
  state.pausing = false;
  // The run the link opens waits for Play when the link says autoplay=false; later runs (a
  // changed setting, a preset) start at once.
  let waitForPlay = false;
  if (!state.schema) {
    state.schema = m.schema;
    state.presets = m.presets;
    state.parts = m.parts;
    buildPresets();
    const beside = { alpha: $("alpha-control"), test_aniso: $("test_aniso-control"), test_corr: $("test_corr-control"), task_mean: $("task_mean-control") };
    controls = buildControls($("controls"), m.schema, onControl, beside);
    shareWith = { schema: m.schema, parts: m.parts, current: () => ({ query: state.query, view: { ...viewNow(), prompt: card.code || null } }) };
    // Built in an idle moment (or at the first Copy link): in this task, which starts the first
    // run, it took 6–8 ms of 28–46 with the CPU slowed 4×.
    if (typeof requestIdleCallback === "function") requestIdleCallback(shareDialog, { timeout: 2000 });
    else setTimeout(shareDialog, 0);
    waitForPlay = m.view.autoplay === false;
    openTour = m.view.tour || 0;
    // A link that fixes settings keeps its students from the tour's experiments, unless the link
    // itself opens the tour (then its author chose them).
    const allowed = !m.view.lock.length || openTour > 0;
    for (const b of tourButtons()) {
      b.disabled = !allowed;
      if (!allowed) b.title = "The link fixes some settings, so the tour, which changes them, is off.";
    }
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
  state.runSerial++;
  state.desired = valuesFrom(m.schema, m.config);
  state.present = Boolean(m.present);
  state.workers = Number(m.workers) || 0;
  applyPresent(state.present);
  state.view = { lock: m.view.lock, hide: m.view.hide, view: m.view.view, autoplay: m.view.autoplay };
  applyView(state.view);
  controls.lock(state.view.lock);
  applyLock(state.view.lock, m.schema.length);
  writeLink(linkFor(m.query, m.prompt));
  controls.setConfig(m.config);
  notices.showNotices(m.notices);
  showPreset(presetForQuery(state.presets, linkFor(m.query, m.prompt, false)) || presetForQuery(state.presets, m.query));
  card.newRun({ config: m.config, query: m.query, untrained: m.untrained, learners: m.learners, code: m.prompt }).catch(onError);
  state.history = createHistory();
  readouts.ood.reset();
  readouts.sweep.reset();
  state.rate = null;
  lab.ready = true;
  if (waitForPlay) {
    state.running = false;
    setPhase("paused");
  } else {
    state.running = true;
    engine.run().catch(onError);
    setPhase("training");
  }
  // A link's `tour=N` opens the tour at that step once the engine's presets are known (its
  // step keeps this run when it has the step's settings).
  if (openTour) {
    const n = openTour;
    openTour = 0;
    tour.open(n, false);
  }
}

function onProgress(m) {
  if (state.reproducing) return state.reproducing.collect(m);
  if (engine.starting) return; // from a run that is being replaced
  const snap = addSnapshot(state.history, m.snapshot).snapshot;
  state.rate = m.stepsPerSec;
  state.poolSize = m.workers || 1;
  if (snap.status !== "training") state.running = false;
  if (m.frozen) card.setModel(m.frozen, snap.step, state.running);
  const phase = phaseOf(snap);
  if (phase !== state.phase) setPhase(phase);
  else {
    updateButtons(); // the first snapshot of a run enables Play and Step
    publish(); // the counters are redrawn with the loss curve, at most 5 times a second
  }
  pollReadouts(false);
  tiers.invalidate();
}

function onStopped() {
  if (state.reproducing) return state.reproducing.done();
  state.running = false;
  state.pausing = false;
  setPhase(phaseOf(state.history.snapshot));
  pollReadouts(true);
}

function onSet(m) {
  if (!m) return; // the worker had no run to change
  state.config = m.config;
  state.query = m.query;
  writeLink(linkFor(m.query, card.code));
  if (m.notices.length) notices.showNotices(m.notices);
  controls.setConfig(m.config);
  // A changed η or α is no longer the preset's settings: the menu says "custom settings".
  showPreset(presetForQuery(state.presets, linkFor(m.query, card.code, false)));
  readouts.ood.invalidate();
  readouts.sweep.invalidate();
  readouts.shifts.invalidate();
  publish();
  pollReadouts(true);
}

function onReadout() {
  publish();
  tiers.invalidate();
  pollReadouts(false); // a setting may have changed while it was computed
}

function onError(err) {
  if (state.reproducing) return state.reproducing.fail(err);
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
  writeLink(linkFor(buildQuery(state.schema, state.desired)));
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
  // Arrow keys only move through the list: the run starts once the choice is committed (Enter,
  // leaving the menu, or a pointer choice).
  commitOnChoice(select, () => loadPreset(presetNamed(state.presets, select.value), true));
  for (const b of document.querySelectorAll("[data-preset]")) {
    b.addEventListener("click", () => loadPreset(presetNamed(state.presets, b.getAttribute("data-preset")), true));
  }
}

function showPreset(p) {
  const caption = presetCaption(p);
  $("preset").value = caption.value;
  $("preset-title").textContent = caption.title;
  $("preset-desc").textContent = caption.description;
  showWatch(p, false);
}

/** Shows and starts preset `p`; false when there is none. `go`: scroll to (and focus) its card. */
function loadPreset(p, go = false) {
  if (!p) return false;
  showPreset(p);
  startRun(p.query);
  if (go) showWatch(p, true);
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
$("present").addEventListener("click", () => {
  state.present = !state.present;
  applyPresent(state.present);
  syncLink();
  tiers.invalidate();
});

// ---- the guided tour (tour.js: the steps; tourguide.js: the dialog) ------------------------
let openTour = 0; // the link's tour step, opened once its run is ready
const tourButtons = () => [$("tour-open"), ...document.querySelectorAll("[data-tour-open]")];

/** Shows step `step`'s experiment; returns the least run serial its numbers may come from. */
function tourLoad(step) {
  const p = presetNamed(state.presets, step.preset);
  if (!p) return state.runSerial;
  // The step's settings are on show already (the steps before it used them, or the link did):
  // the run carries on.
  const shown = lab.ready && !engine.starting && state.pendingQuery === null && !state.reproducing && canonicalPairs(state.query) === canonicalPairs(p.query);
  if (shown) return state.runSerial;
  loadPreset(p);
  return state.runSerial + 1;
}

/** What the tour's checks read: the page's state for the run on show (null while one starts). */
function tourLive(step) {
  const snap = state.history.snapshot;
  if (!lab.ready || engine.starting || state.pendingQuery !== null || state.reproducing) return null;
  if (!snap || !snap.latest || !snap.baselines || !snap.progress) return null;
  const p = presetNamed(state.presets, step.preset);
  return {
    serial: state.runSerial,
    changed: !p || canonicalPairs(state.query) !== canonicalPairs(p.query),
    phase: state.phase,
    snap,
    evals: state.history.evals,
    ood: state.ood,
    sweep: state.sweep,
    config: state.config,
  };
}

tour = createTour({ root: $("tour"), steps: STEPS, load: tourLoad, live: tourLive, onChange: syncLink, opener: $("tour-open") });
for (const b of tourButtons()) b.addEventListener("click", () => tour.open(tour.step || 1));
Object.defineProperty(lab, "tour", { get: () => tour.current, enumerable: true });

// ---- pinned runs ------------------------------------------------------------------------
function showPins() {
  state.ghosts = { loss: lossGhosts(state.pins), align: alignGhosts(state.pins) };
  renderPins($("pins"), state.pins, {
    remove(i) {
      state.pins.splice(i, 1);
      savePins(state.pins);
      showPins();
      $("pin").focus();
    },
  });
  $("pin").disabled = Boolean(state.reproducing);
  $("pin").title = state.pins.length >= MAX_PINS ? `Pin this run (replaces the oldest of ${MAX_PINS} pins)` : "Keep this run's curves and numbers on the charts while the next run trains";
  lab.pins = state.pins.map((p) => ({ label: p.label, query: p.query, final: p.final, curves: p.curves }));
  syncLink();
  if (state.history.snapshot) tiers.invalidate();
}
$("pin").addEventListener("click", () => {
  const snap = state.history.snapshot;
  if (!snap || !state.history.evals.step.length || state.reproducing) return;
  // Pinned before its end, the run is kept as the run whose budget ends at its latest
  // evaluation: the same seed trains exactly these numbers again (the pin's link).
  const at = snap.latest && snap.latest.step;
  const cut = snap.status === "training" && Number.isInteger(at) && at > 0 && state.schema && state.config && at < state.config.steps;
  const query = cut ? buildQuery(state.schema, valuesFrom(state.schema, state.config, { steps: String(at) })) : state.query;
  const label = pinLabel(presetForQuery(state.presets, query), query, cut ? at : snap.latest ? snap.latest.step : snap.step);
  state.pins.push(pinFrom({ label, query, evals: state.history.evals, snapshot: snap }));
  while (state.pins.length > MAX_PINS) state.pins.shift();
  savePins(state.pins);
  showPins();
});
showPins();
$("reset-defaults").addEventListener("click", () => startRun(""));
// Copy link opens the share dialog (share.js) once the engine has given the names it needs.
let share = null;
let shareWith = null; // what the dialog is built from, once the engine has said it
const shareDialog = () => (share ??= shareWith && createShareDialog(shareWith));
$("copy-link").addEventListener("click", () => {
  if (shareDialog()) share.open();
});
lab.share = () => share && share.link;

// ---- keeping what a run produced (export.js) --------------------------------------------
/** The page's colours now (CSS variables), for pictures drawn outside the page. */
function pageColours() {
  const css = getComputedStyle(document.documentElement);
  const v = (name) => css.getPropertyValue(name).trim();
  return { background: v("--card"), text: v("--text"), muted: v("--muted"), line: v("--line") };
}
const fileStep = () => (state.history.snapshot ? state.history.snapshot.step : 0);
/** The run's link for a file (the whole lab: without `view` and `hide`). */
const runHref = () => linkHref(window.location.href, fullLabQuery(state.query, { ...state.view, present: false, prompt: card.code || null }, state.parts));

/** Runs `make()` with `button` disabled meanwhile; an error becomes a banner. */
async function busy(button, make) {
  button.disabled = true;
  try {
    await make();
  } catch (err) {
    onError(err);
  } finally {
    button.disabled = false;
  }
}
for (const button of document.querySelectorAll("[data-export]")) {
  button.addEventListener("click", () =>
    busy(button, async () => {
      if (!state.history.snapshot) return;
      const name = button.getAttribute("data-export");
      const footer = `icl-lab, step ${fileStep()} of this run: ${runHref()}`;
      const pic = await cardPicture(button.closest("[data-card]"), footer, pageColours());
      lab.lastExport = { name, width: pic.width, height: pic.height, scale: pic.scale };
      download(pic.blob, `icl-lab-${name}-step${fileStep()}.png`);
    }),
  );
}
$("download-run").addEventListener("click", (e) =>
  busy(e.currentTarget, async () => {
    if (!state.history.snapshot || engine.starting) return;
    const text = await engine.report();
    download(new Blob([text], { type: "application/json" }), `icl-lab-run-step${fileStep()}.json`);
  }),
);
$("download-csv").addEventListener("click", (e) =>
  busy(e.currentTarget, async () => {
    if (!state.history.snapshot || engine.starting) return;
    const text = await engine.curvesCsv();
    download(new Blob([text], { type: "text/csv" }), `icl-lab-curves-step${fileStep()}.csv`);
  }),
);

// The system switched between light and dark: every chart, legend and swatch takes the new palette.
onSchemeChange(() => {
  showPins();
  redrawAll();
  card.redraw();
  if (state.history.snapshot) tiers.invalidate();
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

// ---- pinned runs from the link ------------------------------------------------------------
// A link's `pin` keys are the settings of pinned runs (validated by the engine, link.rs). Before
// the link's own run starts, each is trained again to its end in the worker, without drawing:
// the same seed gives the same numbers, so the ghost equals the run that was pinned. A pin kept
// in this browser with the same settings is used as it is.

/** Trains the run of `query` to its end; resolves to its history (history.js). */
function trainAgain(query, shown) {
  return new Promise((resolve, reject) => {
    const h = createHistory();
    state.reproducing = {
      collect(m) {
        addSnapshot(h, m.snapshot);
        shown(h.snapshot);
      },
      done() {
        state.reproducing = null;
        resolve(h);
      },
      fail(err) {
        state.reproducing = null;
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    };
    engine
      .start(query)
      .then(() => engine.run())
      .catch((err) => state.reproducing && state.reproducing.fail(err));
  });
}

/** The sentence under the run bar while pinned runs are trained again ("" hides it). */
function reproducingSentence(text) {
  const out = $("pin-progress");
  setText(out, text);
  out.hidden = !text;
}

/** Pins the runs of `link.pins` (canonical settings), training again those not kept here. */
async function reproducePins(link) {
  const kept = state.pins;
  const pins = [];
  setPhase("reproducing");
  $("pin").disabled = true;
  setText($("headline"), `This link compares its run with ${link.pins.length === 1 ? "a pinned run" : `${link.pins.length} pinned runs`}: ${link.pins.length === 1 ? "it is" : "they are"} trained again first.`);
  for (const [i, query] of link.pins.entries()) {
    const same = kept.find((p) => p.reproducible && p.query === query);
    if (same) {
      pins.push(same);
      continue;
    }
    const name = pinName(presetForQuery(link.presets, query), query);
    const head = `Reproducing pinned run ${i + 1} of ${link.pins.length} (${name})`;
    reproducingSentence(`${head}: preparing its baselines…`);
    try {
      const h = await trainAgain(query, (snap) => reproducingSentence(`${head}: step ${int(snap.step)} of ${int(snap.steps)}, trained without drawing; this link’s own run starts after.`));
      const snap = h.snapshot;
      const step = snap.latest ? snap.latest.step : snap.step;
      pins.push(pinFrom({ label: pinLabel(presetForQuery(link.presets, query), query, step), query, evals: h.evals, snapshot: snap }));
    } catch (err) {
      notices.showError(`Pinned run ${i + 1} could not be trained again: ${err.message}`);
    }
  }
  reproducingSentence("");
  state.pins = pins.slice(-MAX_PINS);
  savePins(state.pins);
  showPins();
}

async function boot(query) {
  let link = null;
  try {
    link = await engine.link(query);
  } catch {
    // the run's own start reports what is wrong
  }
  if (link) {
    if (link.present) applyPresent((state.present = true));
    if (link.pins.length) {
      // The corrections are shown while the pins train; the run's own start shows them again.
      notices.showNotices(link.notices);
      await reproducePins(link);
    }
  }
  const next = state.afterReproducing;
  state.afterReproducing = null;
  if (next !== null) startRun(next);
  else begin(query);
}

// ---- boot -------------------------------------------------------------------------------
// On a narrow screen the settings start folded, so the charts come first.
if (window.matchMedia("(max-width: 980px)").matches) $("settings").open = false;
wireSkipLinks();
setPhase("loading");
built = true;
for (const fn of early.splice(0)) fn();
boot(queryFromLocation());
revealStory();
registerOffline();
