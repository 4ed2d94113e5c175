// The training worker: owns the one wasm `Lab` and trains it in small chunks, so the page's
// main thread never waits on the engine. It speaks a small explicit protocol (engine.js is its
// client). Every request carries an `id` and gets exactly one reply with that id, once handled:
//
//   in   {type:"prepare", query}            (spawn.js, before the page listens; no reply) start the
//                                           run of the page's address at once, silently: the page's
//                                           "start" with the same query adopts it
//        {id, type:"start", query}          load the engine if needed, then a new run from `query`
//        {id, type:"run"}                   train until done, diverged or paused
//        {id, type:"pause"}                 stop after the current chunk
//        {id, type:"step",  n}              train n more steps, then pause
//        {id, type:"set",   key, value}     change a cheap setting (gd_eta, alpha) without retraining
//        {id, type:"ood"}                   out-of-distribution losses over α
//        {id, type:"sweep"}                 the model against GD over a grid of η
//        {id, type:"interpolation"}         the loss on the path from the weights to the construction
//        {id, type:"eval_prompt", index}    evaluation task `index` as a prompt (the prompt card)
//        {id, type:"prompt", prompt}        every learner's answer to a JSON prompt, by the Lab
//   out  {type:"reply", id, value}          the request is handled; `value` by request:
//                                             start: {schema, presets, config, query, notices,
//                                                     prompt (the link's validated prompt code or
//                                                     null), present (presenter mode, link.rs),
//                                                     untrained (Float32Array), learners}
//                                             eval_prompt: {index, count, examples, query, target, w}
//                                             prompt: the answer (prompt.rs Answer)
//                                             set:   {query, config, notices}
//                                             ood:   {value: rows, ms};  sweep: {value: points, ms}
//                                             run, pause, step: null
//        {type:"reply", id, error}          the request failed (training stops)
//   and, between the replies, events:
//        {type:"status",   phase}           "loading" (engine) or "preparing" (sampling the
//                                           evaluation tasks; the baselines and other references
//                                           come later, a slice at a time between training
//                                           chunks: snapshot.pending names the stages still to
//                                           come, whose numbers are null until then)
//        {type:"progress", snapshot, stepsPerSec, frozen?}   new history since the previous
//                                           progress; with the weights (at most twice a second, and
//                                           when a run stops or a setting changes) `frozen` =
//                                           {params, untrained (Float32Arrays), learners}: the
//                                           trained and untrained models for the page's own
//                                           PromptView (promptcard.js)
//        {type:"paused"}                    training stopped (paused, step budget used, or done)
//        {type:"error",    message}         training failed between requests

import init, { Lab, schema, presets } from "./pkg/icl_lab.js";

const CHUNK_MS = 40; // aim for chunks of 30–50 ms so a pause is honoured at once
const POST_MS = 100; // at most ~10 progress messages a second
const SWEEP_POINTS = 60;
const FULL_EVERY_MS = 500; // weights + scatter in a snapshot at most this often
// While references are still to come they get a slice after every training chunk: half as long
// as the chunk (a third of the worker's time), at least REFS_MIN_MS; all of it when not training.
const REFS_SHARE = 0.5;
const REFS_MIN_MS = 10;
// The per-layer read-out runs the model K times on every evaluation task: in a full snapshot at
// most this often, and never more than a fifth of the time (from what the last one cost).
const LAYERS_EVERY_MS = 1000;

let engine = null; // {schema, presets} once the wasm module is loaded
let lab = null;
let running = false;
let budget = Infinity; // steps left before pausing ("step" sets it)
let chunk = 1;
let trainLen = 0; // history lengths already sent to the page
let evalLen = 0;
let lastPost = 0;
let lastFull = 0;
let rate = { t: 0, step: 0, perSec: null };
let scheduled = false;
let refsDone = true; // false while the run's references are still being computed
let pendingCount = 0; // how many stages were still to come at the last progress message
let layers = { at: -Infinity, ms: 0 }; // when the last per-layer read-out was sent, its cost
// The page listens from its first request on (engine.js): nothing is posted before, since it
// would be lost. Until then a run started by "prepare" trains silently, for at most
// EARLY_MAX_MS, and the page's "start" adopts it: its first step is done while the page loads.
let listening = false;
let early = null; // {query, at}: the run "prepare" started, until the page's start adopts it
const EARLY_MAX_MS = 10000;

const tick = new MessageChannel();
tick.port1.onmessage = () => {
  scheduled = false;
  train();
};

function schedule() {
  if (!scheduled) {
    scheduled = true;
    tick.port2.postMessage(null);
  }
}

function post(msg) {
  if (listening) self.postMessage(msg);
}

function message(err) {
  return String(err && err.message ? err.message : err);
}

function fail(err) {
  running = false;
  post({ type: "error", message: message(err) });
}

// The engine is fetched and compiled as soon as the worker starts (spawn.js starts it early),
// without a word to the page: nothing may be posted before the page's first request, which is
// when it listens.
const compiling = init().then(warmUp);
compiling.catch(() => {}); // (a failure is reported to the request that waits for it)

// The browser first runs the engine's loops as compiled by its quick baseline compiler, several
// times slower than the optimised code it compiles once they have run a while. A few steps of a
// tiny run (every part of a step and an evaluation, two heads, two layers), while the page is
// still loading, make the real run's first step fast (measured in Node: the heavy link's first
// step 0.82 s → 0.32 s, for 20 ms here). Its numbers are thrown away.
const WARM_UP = "d=8&n=8&layers=2&heads=2&batch=32&eval_tasks=256&eval_every=1";

function warmUp() {
  const lab = new Lab(WARM_UP);
  try {
    lab.advance(4);
  } finally {
    lab.free();
  }
}

async function load() {
  if (engine) return engine;
  post({ type: "status", phase: "loading" });
  await compiling;
  engine = { schema: JSON.parse(schema()), presets: JSON.parse(presets()) };
  return engine;
}

function newRun(query) {
  running = false;
  early = null;
  post({ type: "status", phase: "preparing" });
  if (lab) lab.free();
  lab = null;
  lab = new Lab(String(query ?? ""));
  trainLen = 0;
  evalLen = 0;
  chunk = 1;
  refsDone = lab.references_done();
  pendingCount = -1;
  layers = { at: -Infinity, ms: 0 };
  // (The references start with the first training chunk, the "run" that follows this reply,
  // so the first step comes first; then they go on between chunks, training or not.)
  rate = { t: performance.now(), step: 0, perSec: null };
  return runInfo();
}

/** The start reply: the engine's schema and presets, and the run's settings and models. */
function runInfo() {
  return {
    schema: engine.schema,
    presets: engine.presets,
    config: JSON.parse(lab.config()),
    query: lab.query(),
    notices: JSON.parse(lab.notices()),
    prompt: lab.prompt_code() ?? null,
    present: lab.present(),
    untrained: lab.untrained_params(),
    learners: lab.learners(),
  };
}

function sendProgress(force = false) {
  if (!listening) return; // (the history so far goes with the first message once it listens)
  // Weights and the prediction scatter are the bulk of a snapshot: send them at most twice a
  // second, and always once a run stops.
  const now = performance.now();
  const full = force || now - lastFull >= FULL_EVERY_MS || lab.step() === 0 || lab.status() !== "training";
  if (full) lastFull = now;
  const withLayers = full && (force || now - layers.at >= Math.max(LAYERS_EVERY_MS, 5 * layers.ms));
  const t0 = performance.now();
  const snapshot = JSON.parse(lab.snapshot(trainLen, evalLen, full, withLayers));
  if (snapshot.layers) layers = { at: now, ms: performance.now() - t0 };
  trainLen = snapshot.train_from + snapshot.train_loss.length;
  evalLen = snapshot.evals.from + snapshot.evals.step.length;
  pendingCount = (snapshot.pending || []).length;
  lastPost = performance.now();
  if (full) {
    const params = lab.params();
    const untrained = lab.untrained_params();
    self.postMessage({ type: "progress", snapshot, stepsPerSec: rate.perSec, frozen: { params, untrained, learners: lab.learners() } }, [params.buffer, untrained.buffer]);
  } else post({ type: "progress", snapshot, stepsPerSec: rate.perSec });
}

function measureRate() {
  const now = performance.now();
  const dt = now - rate.t;
  if (dt >= 1000) {
    const step = lab.step();
    rate = { t: now, step, perSec: ((step - rate.step) * 1000) / dt };
  }
}

// A slice of the references' computation (they never hold training back: it starts at once and
// they arrive between its chunks, the snapshots naming those still to come).
function advanceReferences(ms) {
  if (refsDone) return;
  refsDone = lab.advance_references(ms);
}

// One chunk of training (and a slice of the references while they are still to come), then
// yield so queued messages (pause) are handled first.
function train() {
  if (!lab) return;
  if (early && !listening && performance.now() - early.at > EARLY_MAX_MS) running = false;
  try {
    const training = running && lab.can_train();
    let taken = 0;
    let refsMs = CHUNK_MS;
    const first = trainLen === 0;
    if (training) {
      const want = Math.max(1, Math.min(chunk, budget));
      const t0 = performance.now();
      taken = lab.advance(want);
      const ms = performance.now() - t0;
      if (taken > 0) {
        const perStep = ms / taken;
        chunk = Math.max(1, Math.min(1000, Math.round(CHUNK_MS / Math.max(perStep, 1e-3))));
        budget -= taken;
      }
      refsMs = Math.max(REFS_MIN_MS, ms * REFS_SHARE);
      measureRate();
    }
    const finished = training && (taken === 0 || budget <= 0);
    // The first step is on the page before anything else is computed.
    if (training && ((first && taken > 0) || finished || performance.now() - lastPost >= POST_MS)) sendProgress();
    if (!refsDone) {
      advanceReferences(refsMs);
      // A stage that arrived is worth a message at once (its numbers replace "computing…"), the
      // last one with the weights beside their constructions.
      if (lab.pending() !== pendingCount || (!training && performance.now() - lastPost >= POST_MS)) sendProgress(refsDone);
    }
    if (finished) {
      running = false;
      budget = Infinity;
      post({ type: "paused" });
    }
    if (running || !refsDone) schedule();
  } catch (err) {
    fail(err);
  }
}

function timed(fn) {
  const t0 = performance.now();
  const value = fn();
  return [value, performance.now() - t0];
}

/** Handles one request; returns its reply's value. A progress message may follow the reply. */
async function handle(msg) {
  switch (msg.type) {
    case "prepare":
      await load();
      if (!listening && !lab) {
        newRun(msg.query);
        early = { query: String(msg.query ?? ""), at: performance.now() };
        running = true;
        schedule();
      }
      return null;
    case "start":
      await load();
      // The run "prepare" started on the same address: it goes on, with its history.
      if (early && early.query === String(msg.query ?? "") && lab) {
        early = null;
        return runInfo();
      }
      return newRun(msg.query);
    case "run":
      if (!lab) return null;
      budget = Infinity;
      running = true;
      rate = { t: performance.now(), step: lab.step(), perSec: rate.perSec };
      schedule();
      return null;
    case "pause":
      if (!lab) return null;
      running = false;
      budget = Infinity;
      sendProgress(true);
      post({ type: "paused" });
      if (!refsDone) schedule();
      return null;
    case "step":
      if (!lab) return null;
      budget = Math.max(1, Math.floor(Number(msg.n) || 1));
      running = true;
      schedule();
      return null;
    case "set": {
      if (!lab) return null;
      const notices = JSON.parse(lab.set_cheap(String(msg.key), String(msg.value)));
      return { query: lab.query(), config: JSON.parse(lab.config()), notices };
    }
    case "ood": {
      if (!lab) return null;
      const [value, ms] = timed(() => JSON.parse(lab.ood()));
      return { value, ms };
    }
    case "interpolation": {
      if (!lab) return null;
      const [value, ms] = timed(() => JSON.parse(lab.interpolation()));
      return { value, ms };
    }
    case "eval_prompt":
      if (!lab) return null;
      return JSON.parse(lab.eval_prompt(Math.max(0, Math.floor(Number(msg.index) || 0))));
    case "prompt":
      if (!lab) return null;
      return JSON.parse(lab.prompt(String(msg.prompt)));
    case "sweep": {
      if (!lab) return null;
      const [value, ms] = timed(() => JSON.parse(lab.eta_sweep(SWEEP_POINTS)));
      return { value, ms };
    }
    default:
      throw new Error(`unknown message '${String(msg.type)}'`);
  }
}

// After these replies the page gets the run's state at once.
const PROGRESS_AFTER = new Set(["start", "set"]);

async function reply(msg) {
  try {
    const value = await handle(msg);
    if (msg.id === undefined) return; // ("prepare" has no reply)
    post({ type: "reply", id: msg.id, value: value ?? null });
  } catch (err) {
    running = false;
    post({ type: "reply", id: msg.id, error: message(err) });
    return;
  }
  if (PROGRESS_AFTER.has(msg.type) && lab) {
    try {
      sendProgress(true);
    } catch (err) {
      fail(err);
    }
  }
}

// Messages are handled one at a time, in order, even across the async engine load.
let queue = Promise.resolve();
self.onmessage = (e) => {
  const msg = e.data || {};
  if (msg.id !== undefined) listening = true;
  queue = queue.then(() => reply(msg));
};
