// The training worker: owns the one wasm `Lab` and trains it in small chunks, so the page's
// main thread never waits on the engine. It speaks a small explicit protocol (engine.js is its
// client). Every request carries an `id` and gets exactly one reply with that id, once handled:
//
//   in   {type:"prepare", query}            (spawn.js, before the page listens; no reply) start the
//                                           run of the page's address at once, silently: the page's
//                                           "start" with the same query adopts it
//        {id, type:"link",  query}          load the engine if needed, then read a link's view keys
//        {id, type:"start", query}          load the engine if needed, then a new run from `query`
//        {id, type:"run"}                   train until done, diverged or paused
//        {id, type:"pause"}                 stop after the current chunk
//        {id, type:"step",  n}              train n more steps, then pause
//        {id, type:"set",   key, value}     change a cheap setting (gd_eta, alpha) without retraining
//        {id, type:"ood"}                   out-of-distribution losses over α
//        {id, type:"sweep"}                 the model against GD over a grid of η
//        {id, type:"shifts"}                the model and GD on prompts unlike training (shift.rs)
//        {id, type:"interpolation"}         the loss on the path from the weights to the construction
//        {id, type:"eval_prompt", index}    evaluation task `index` as a prompt (the prompt card)
//        {id, type:"prompt", prompt}        every learner's answer to a JSON prompt, by the Lab
//        {id, type:"report"}                the run so far as the CLI's report (icl-lab run --json)
//        {id, type:"curves_csv"}            its curves as CSV (icl-lab run --csv)
//   out  {type:"reply", id, value}          the request is handled; `value` by request:
//                                             link:  {pins (canonical settings of each pinned
//                                                     run), present, notices, presets} (link.rs)
//                                             start: {schema, presets, config, query, notices,
//                                                     prompt (the link's validated prompt code or
//                                                     null), present (presenter mode, link.rs),
//                                                     pins (as for link), workers (the link's
//                                                     worker count, 0: automatic), view
//                                                     (link.rs View: the link's view keys,
//                                                     validated), parts (the names they take),
//                                                     untrained (Float32Array), learners}
//                                             eval_prompt: {index, count, examples, query, target, w}
//                                             prompt: the answer (prompt.rs Answer)
//                                             set:   {query, config, notices}
//                                             ood:   {value: rows, ms};  sweep: {value: points, ms}
//                                             shifts: {value: rows, ms}
//                                             report: the run so far as the CLI's JSON report (text;
//                                                     the references still to come are computed
//                                                     first)
//                                             curves_csv: its curves as CSV (text)
//                                             run, pause, step: null
//        {type:"reply", id, error}          the request failed (training stops)
//   and, between the replies, events:
//        {type:"status",   phase}           "loading" (engine) or "preparing" (sampling the
//                                           evaluation tasks; the baselines and other references
//                                           come later, a slice at a time between training
//                                           chunks: snapshot.pending names the stages still to
//                                           come, whose numbers are null until then, and
//                                           snapshot.underway the one being computed, with how
//                                           far through it is)
//        {type:"progress", snapshot, stepsPerSec, workers, frozen?}   new history since the
//                                           previous progress; workers: how many share the
//                                           training; with the weights (at most twice a second, and
//                                           when a run stops or a setting changes) `frozen` =
//                                           {params, untrained (Float32Arrays), learners}: the
//                                           trained and untrained models for the page's own
//                                           PromptView (promptcard.js)
//        {type:"paused"}                    training stopped (paused, step budget used, or done)
//        {type:"error",    message}         training failed between requests
//
// With more than one core, the steps' batches are shared by this worker and a pool of workers
// (pool.js): the same numbers, bit for bit. Training starts here at once and is shared once the
// pool is ready; this worker computes its share of each step once the references are all there
// (until then it computes them while the pool trains).

import init, { Lab, ShardWorker, presets, read_link, schema, view_parts } from "./pkg/icl_lab.js";
import { createPool, joined, ranges } from "./pool.js";

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
let trainMs = 0; // time spent training this run (the report's `seconds`)
let stepMs = 0; // the last chunk's time per step
let scheduled = false;
let pooled = null; // {size, ready: promise of the pool}: its workers, kept from run to run
let pool = null; // the pool once set up for the current run (null: train in this worker)
let own = null; // this worker's ShardWorker for its share of a pooled step (current run)
let sharing = 1; // how many workers computed the last step's shards
let pooledStepMs = 10; // about how long the pool takes for a step (see trainPooled)
let runId = 0; // increases with every new run: a pooled step of an older run is dropped
let busy = false; // a pooled chunk is in flight
let refsDone = true; // false while the run's references are still being computed
let pendingCount = 0; // how many stages were still to come at the last progress message
let layers = { at: -Infinity, ms: 0 }; // when the last per-layer read-out was sent, its cost
// The page listens from its first request on (engine.js): nothing is posted before, since it
// would be lost. Until its first "start" a run started by "prepare" trains silently (a "link"
// request is answered, but the run's events wait), for at most EARLY_MAX_MS, and the page's
// "start" adopts it: its first step is done while the page loads.
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

/** An event about the run: only once the page has started one (see `listening`). */
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

// The engine is instantiated as soon as its compiled module arrives from the page ("module",
// spawn.js compiles it while the page loads; null: fetched and compiled here), without a word
// to the page: nothing may be posted before the page's first request, which is when it listens.
let received;
const fromPage = new Promise((resolve) => {
  received = resolve;
});
let engineModule = null; // the module from the page, handed on to the pool's workers
const compiling = fromPage
  .then((module) => {
    engineModule = module;
    return init(module ? { module_or_path: module } : undefined);
  })
  .then(warmUp);
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
  engine = { schema: JSON.parse(schema()), presets: JSON.parse(presets()), parts: JSON.parse(view_parts()) };
  return engine;
}

/** A link's `workers=N` fixes how many workers share the steps (1: this one alone). Otherwise
 * they are shared when it pays: a step that costs POOL_MIN_MS or more in this worker once the
 * page has loaded, on a machine with two cores or more. On two cores, this worker and one more
 * trained 1.5–1.7× faster where one alone made 120–260 steps/s on the page (2 and 3 layers;
 * d = 20, N = 50) and 1.0–1.1× at 870–1150 steps/s (softmax with two heads, the default link),
 * whose shards cost about what passing them around does (README, "All cores"). While the page
 * loads, a step costs this worker 2–9 times as much (the page's own work shares the cores), so
 * the first steps settle the choice only when they cost less than POOL_MIN_MS (this worker
 * alone) or POOL_EARLY_MS or more (the pool from the start: 2 or 3 layers, for instance);
 * steps between are measured again after SETTLED_MS. */
const POOL_MIN_MS = 4;
const POOL_EARLY_MS = 8;
const SETTLED_MS = 2000;
const CORES = Math.max(1, Number(self.navigator?.hardwareConcurrency) || 1);
let autoPool = false; // this run's pool size is still to be chosen from its measured step cost

/** How many workers share this run's steps: `wanted` (≥ 2 for a pool: this one and wanted − 1
 * more), at most 8 and never more than the batch has shards. */
function poolSize(l, wanted) {
  return Math.min(wanted, 8, l.shard_count());
}

const POOL_PROBE_MS = 100; // the steps measured for each choice
// The two measurements: the first steps (after the first chunk), and the steps after SETTLED_MS.
const firstProbe = () => ({ ms: 0, steps: 0, settled: false, from: 0 });
let probe = firstProbe();

/** Called with each chunk this worker trains: once POOL_PROBE_MS of steps are measured (the
 * engine's first, slower steps while its code is optimised left out), moves an automatic run to
 * the pool when its steps are expensive enough: POOL_EARLY_MS at first, POOL_MIN_MS once the
 * page has settled. */
function choosePool(taken, ms) {
  if (!autoPool || taken === 0 || CORES < 2) return;
  if (lab.step() === taken) return; // the run's first chunk: warm-up
  if (probe.settled && performance.now() < probe.from) return;
  probe.ms += ms;
  probe.steps += taken;
  if (probe.ms < POOL_PROBE_MS) return;
  const stepMs = probe.ms / probe.steps;
  if (stepMs >= (probe.settled ? POOL_MIN_MS : POOL_EARLY_MS)) {
    autoPool = false;
    preparePool(CORES);
  } else if (probe.settled || stepMs < POOL_MIN_MS) {
    autoPool = false; // cheap steps: this worker alone
  } else {
    probe = { ms: 0, steps: 0, settled: true, from: performance.now() + SETTLED_MS };
  }
}

/** Sets the pool up for the current run in the background; training moves to it once ready.
 * The pool's workers are kept from run to run while its size stays the same. */
function preparePool(wanted) {
  pool = null;
  if (own) own.free();
  own = null;
  // The pool's own workers: this one computes a share too.
  const size = poolSize(lab, wanted) - 1;
  if (pooled && (size < 1 || pooled.size !== size)) {
    pooled.ready.then((p) => p.close(), () => {});
    pooled = null;
  }
  if (size < 1) return;
  const id = runId;
  const query = lab.query();
  own = new ShardWorker(query);
  // The pool's workers instantiate the module this one runs: no compilation of their own.
  const ready = pooled ? pooled.ready.then((p) => p.setup(query).then(() => p)) : createPool(size, query, engineModule);
  const mine = { size, ready };
  pooled = mine;
  ready.then(
    (p) => {
      if (id === runId) pool = p;
    },
    () => {
      // No pool here (workers unavailable): training stays in this worker, same numbers.
      if (pooled === mine) pooled = null;
    },
  );
}

function newRun(query) {
  running = false;
  early = null;
  post({ type: "status", phase: "preparing" });
  runId++;
  busy = false;
  if (lab) lab.free();
  lab = null;
  lab = new Lab(String(query ?? ""));
  trainLen = 0;
  evalLen = 0;
  chunk = 1;
  trainMs = 0;
  stepMs = 0;
  refsDone = lab.references_done();
  pendingCount = -1;
  layers = { at: -Infinity, ms: 0 };
  // (The references start with the first training chunk, the "run" that follows this reply,
  // so the first step comes first; then they go on between chunks, training or not.)
  rate = { t: performance.now(), step: 0, perSec: null };
  // A link's worker count is used at once; otherwise the first steps' cost decides (choosePool).
  autoPool = lab.workers() === 0;
  probe = firstProbe();
  preparePool(autoPool ? 1 : lab.workers());
  return runInfo();
}

/** The start reply: the engine's schema and presets, and the run's settings and models. */
function runInfo() {
  return {
    schema: engine.schema,
    presets: engine.presets,
    parts: engine.parts,
    view: JSON.parse(lab.view()),
    config: JSON.parse(lab.config()),
    query: lab.query(),
    notices: JSON.parse(lab.notices()),
    prompt: lab.prompt_code() ?? null,
    present: lab.present(),
    pins: JSON.parse(lab.pins()),
    workers: lab.workers(),
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
  const workers = pool ? sharing : 1;
  if (full) {
    const params = lab.params();
    const untrained = lab.untrained_params();
    self.postMessage({ type: "progress", snapshot, stepsPerSec: rate.perSec, workers, frozen: { params, untrained, learners: lab.learners() } }, [params.buffer, untrained.buffer]);
  } else post({ type: "progress", snapshot, stepsPerSec: rate.perSec, workers });
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
  if (!lab || busy) return;
  if (early && !listening && performance.now() - early.at > EARLY_MAX_MS) running = false;
  try {
    const training = running && lab.can_train() && !waitingForPage();
    if (training && pool) {
      trainPooled();
      return;
    }
    const first = trainLen === 0;
    let taken = 0;
    let ms = 0;
    if (training) {
      const want = Math.max(1, Math.min(chunk, budget));
      const t0 = performance.now();
      taken = lab.advance(want);
      ms = performance.now() - t0;
      choosePool(taken, ms);
    }
    afterChunk(training, first, taken, ms);
  } catch (err) {
    fail(err);
  }
}

// The same chunk with every step's shards computed by the pool; messages are handled while the
// pool works (a pause stops the chunk after the current step).
async function trainPooled() {
  busy = true;
  const id = runId;
  const first = trainLen === 0;
  try {
    const want = Math.max(1, Math.min(chunk, budget));
    const t0 = performance.now();
    let taken = 0;
    while (taken < want && running && lab.status() === "training") {
      const s0 = performance.now();
      // Once the references are there this worker computes the first share itself; until then
      // the pool computes every shard while this worker computes the references (a slice a
      // little shorter than the last step, so that one that outlasted the pool does not keep
      // the next ones long), so they no longer take turns with training.
      const params = lab.params();
      const step = lab.step();
      const parts = ranges(lab.shard_count(), pool.size + (refsDone ? 1 : 0));
      const mine = refsDone ? parts.shift() : null;
      const asked = pool.step(params, step, parts);
      const ownShards = mine ? own.compute(params, step, mine[0], mine[1]) : null;
      if (!refsDone) overlapReferences(id, 0.8 * pooledStepMs);
      const theirs = await asked;
      pooledStepMs = Math.min(CHUNK_MS, performance.now() - s0);
      sharing = parts.length + (mine ? 1 : 0);
      const shards = ownShards ? joined([ownShards, theirs]) : theirs;
      if (id !== runId) return; // this run was replaced while the pool worked
      // Paused while the pool worked: the pause has been reported at this step, so the step is
      // not taken now; the same shards are computed again on resume (same numbers).
      if (!running) break;
      if (!lab.advance_with(shards)) break;
      taken++;
    }
    busy = false;
    const ms = performance.now() - t0;
    if (running) afterChunk(true, first, taken, ms, true);
    else {
      trainMs += ms;
      if (!refsDone) schedule();
    }
  } catch (err) {
    if (id !== runId) return;
    busy = false;
    fail(err);
  }
}

/** A slice of the references while the pool computes a step of run `id`, with a message at once
 * when a stage arrived. */
function overlapReferences(id, ms) {
  advanceReferences(ms);
  if (id === runId && lab.pending() !== pendingCount) sendProgress(refsDone);
}

/** After a chunk (`training`: one was due; `taken` steps in `ms`): the chunk size and the rate,
 * progress for the page, a slice of the references still to come, and the next chunk. */
function afterChunk(training, first, taken, ms, shared = false) {
  trainMs += ms;
  try {
    let refsMs = CHUNK_MS;
    if (training) {
      if (taken > 0) {
        const perStep = ms / taken;
        stepMs = perStep;
        chunk = Math.max(1, Math.min(1000, Math.round(CHUNK_MS / Math.max(perStep, 1e-3))));
        budget -= taken;
      }
      // (A pooled chunk's steps already gave the references their time: see trainPooled.)
      refsMs = shared && taken > 0 ? 0 : Math.max(REFS_MIN_MS, ms * REFS_SHARE);
      measureRate();
    }
    // Until the page listens, its "start" (queued while this worker works) is answered after
    // the shortest slice: its first progress message brings the steps taken so far.
    if (!listening) refsMs = Math.min(refsMs, REFS_MIN_MS);
    const finished = training && (taken === 0 || budget <= 0);
    // The first step is on the page before anything else is computed.
    if (training && ((first && taken > 0) || finished || performance.now() - lastPost >= POST_MS)) sendProgress();
    if (!refsDone && refsMs > 0) {
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
    if ((running && !waitingForPage()) || !refsDone) schedule();
  } catch (err) {
    fail(err);
  }
}

/** Whether the early run waits for the page before its next step: once it has one, a step that
 * takes longer than a chunk (the heavy link's take 0.3 s) would hold up the page's "start" (and
 * so the page's first sight of step 1) until it is done; the references' short slices do not. */
function waitingForPage() {
  return early !== null && !listening && lab.step() >= 1 && stepMs > CHUNK_MS;
}

function timed(fn) {
  const t0 = performance.now();
  const value = fn();
  return [value, performance.now() - t0];
}

/** Handles one request; returns its reply's value. A progress message may follow the reply. */
async function handle(msg) {
  switch (msg.type) {
    case "link": {
      await load();
      const link = JSON.parse(read_link(String(msg.query ?? "")));
      return { ...link, presets: engine.presets };
    }
    case "prepare":
      await load();
      if (!listening && !lab) {
        newRun(msg.query);
        early = { query: String(msg.query ?? ""), at: performance.now() };
        // A link that waits for Play (autoplay=false) or trains its pinned runs first gets its
        // run ready, untrained.
        const view = JSON.parse(lab.view());
        running = view.autoplay !== false && view.pins.length === 0;
        if (running || !refsDone) schedule();
      }
      return null;
    case "start":
      await load();
      // The run "prepare" started on the same address: it goes on, with its history.
      if (early && early.query === String(msg.query ?? "") && lab) {
        early = null;
        if (running || !refsDone) schedule(); // (it may have waited for the page: waitingForPage)
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
    case "shifts": {
      if (!lab) return null;
      const [value, ms] = timed(() => JSON.parse(lab.shifts()));
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
    case "report": {
      // The engine's text as it is: the CLI's report schema, number for number (the references
      // still to come are computed first, as the CLI has them all).
      if (!lab) return null;
      const text = lab.report(trainMs / 1000);
      refsDone = lab.references_done();
      return text;
    }
    case "curves_csv":
      return lab ? lab.curves_csv() : null;
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
const PROGRESS_AFTER = new Set(["start", "set", "report"]);

async function reply(msg) {
  try {
    const value = await handle(msg);
    if (msg.id === undefined) return; // ("prepare" has no reply)
    self.postMessage({ type: "reply", id: msg.id, value: value ?? null });
  } catch (err) {
    running = false;
    self.postMessage({ type: "reply", id: msg.id, error: message(err) });
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
  // (Not queued: the requests before it wait for the engine it brings.)
  if (msg.type === "module") {
    received(msg.module || null);
    return;
  }
  // A "link" request reads a link for the page (which may train its pinned runs first): the
  // run "prepare" started is still its own until the page starts one.
  if (msg.id !== undefined && msg.type !== "link") listening = true;
  queue = queue.then(() => reply(msg));
};
