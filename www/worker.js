// The training worker: owns the one wasm `Lab` and trains it in small chunks, so the page's
// main thread never waits on the engine. It speaks a small explicit protocol:
//
//   in   {type:"init",  query}        load the engine, then start a run from `query`
//        {type:"reset", query}        start a new run from `query` (a new Lab)
//        {type:"run"}                 train until done, diverged or paused
//        {type:"pause"}               stop after the current chunk
//        {type:"step",  n}            train n more steps, then pause
//        {type:"set",   key, value}   change a cheap setting (gd_eta, alpha) without retraining
//        {type:"ood"}                 out-of-distribution losses over α
//        {type:"sweep"}               the model against GD over a grid of η
//   out  {type:"status",   phase}     "loading" (engine) or "preparing" (sampling, baselines)
//        {type:"ready",    schema, presets, config, query, notices}   a new run exists
//        {type:"progress", snapshot, stepsPerSec}   new history since the previous progress
//        {type:"paused"}
//        {type:"set",      key, query, config, notices}
//        {type:"ood",      rows, ms}
//        {type:"sweep",    points, ms}
//        {type:"error",    message}

import init, { Lab, schema, presets } from "./pkg/icl_lab.js";

const CHUNK_MS = 40; // aim for chunks of 30–50 ms so a pause is honoured at once
const POST_MS = 100; // at most ~10 progress messages a second
const SWEEP_POINTS = 60;
const FULL_EVERY_MS = 500; // weights + scatter in a snapshot at most this often

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
  self.postMessage(msg);
}

function fail(err) {
  running = false;
  post({ type: "error", message: String(err && err.message ? err.message : err) });
}

async function load() {
  if (engine) return engine;
  post({ type: "status", phase: "loading" });
  await init();
  engine = { schema: JSON.parse(schema()), presets: JSON.parse(presets()) };
  return engine;
}

function newRun(query) {
  running = false;
  post({ type: "status", phase: "preparing" });
  if (lab) lab.free();
  lab = null;
  lab = new Lab(String(query ?? ""));
  trainLen = 0;
  evalLen = 0;
  chunk = 1;
  rate = { t: performance.now(), step: 0, perSec: null };
  post({
    type: "ready",
    schema: engine.schema,
    presets: engine.presets,
    config: JSON.parse(lab.config()),
    query: lab.query(),
    notices: JSON.parse(lab.notices()),
  });
  sendProgress();
}

function sendProgress() {
  // Weights and the prediction scatter are the bulk of a snapshot: send them at most twice a
  // second, and always once a run stops.
  const now = performance.now();
  const full = now - lastFull >= FULL_EVERY_MS || lab.step() === 0 || lab.status() !== "training";
  if (full) lastFull = now;
  const snapshot = JSON.parse(lab.snapshot(trainLen, evalLen, full));
  trainLen = snapshot.train_from + snapshot.train_loss.length;
  evalLen = snapshot.evals.from + snapshot.evals.step.length;
  lastPost = performance.now();
  post({ type: "progress", snapshot, stepsPerSec: rate.perSec });
}

function measureRate() {
  const now = performance.now();
  const dt = now - rate.t;
  if (dt >= 1000) {
    const step = lab.step();
    rate = { t: now, step, perSec: ((step - rate.step) * 1000) / dt };
  }
}

// One chunk of training, then yield so queued messages (pause) are handled first.
function train() {
  if (!running || !lab) return;
  try {
    const want = Math.max(1, Math.min(chunk, budget));
    const t0 = performance.now();
    const taken = lab.advance(want);
    const ms = performance.now() - t0;
    if (taken > 0) {
      const perStep = ms / taken;
      chunk = Math.max(1, Math.min(1000, Math.round(CHUNK_MS / Math.max(perStep, 1e-3))));
      budget -= taken;
    }
    measureRate();
    const finished = taken === 0 || budget <= 0;
    if (finished || performance.now() - lastPost >= POST_MS) sendProgress();
    if (finished) {
      running = false;
      budget = Infinity;
      post({ type: "paused" });
      return;
    }
    schedule();
  } catch (err) {
    fail(err);
  }
}

function timed(fn) {
  const t0 = performance.now();
  const value = fn();
  return [value, performance.now() - t0];
}

async function handle(msg) {
  switch (msg.type) {
    case "init":
      await load();
      newRun(msg.query);
      break;
    case "reset":
      await load();
      newRun(msg.query);
      break;
    case "run":
      if (!lab) return;
      budget = Infinity;
      running = true;
      rate = { t: performance.now(), step: lab.step(), perSec: rate.perSec };
      schedule();
      break;
    case "pause":
      if (!lab) return;
      running = false;
      budget = Infinity;
      sendProgress();
      post({ type: "paused" });
      break;
    case "step":
      if (!lab) return;
      budget = Math.max(1, Math.floor(Number(msg.n) || 1));
      running = true;
      schedule();
      break;
    case "set": {
      if (!lab) return;
      const notices = JSON.parse(lab.set_cheap(String(msg.key), String(msg.value)));
      post({ type: "set", key: msg.key, query: lab.query(), config: JSON.parse(lab.config()), notices });
      sendProgress();
      break;
    }
    case "ood": {
      if (!lab) return;
      const [rows, ms] = timed(() => JSON.parse(lab.ood()));
      post({ type: "ood", rows, ms });
      break;
    }
    case "sweep": {
      if (!lab) return;
      const [points, ms] = timed(() => JSON.parse(lab.eta_sweep(SWEEP_POINTS)));
      post({ type: "sweep", points, ms });
      break;
    }
    default:
      throw new Error(`unknown message '${String(msg.type)}'`);
  }
}

// Messages are handled one at a time, in order, even across the async engine load.
let queue = Promise.resolve();
self.onmessage = (e) => {
  queue = queue.then(() => handle(e.data || {})).catch(fail);
};
