// The page's client of the training worker (worker.js): one promise per request, settled by the
// worker's reply with the same id, and callbacks for the events the worker sends between
// replies (status, progress, paused, error). It keeps no run state of its own beyond which
// requests are pending. The worker itself is started early, by spawn.js (a classic script in
// <head>, which hands it over as `window.iclLabSpawn`).

import { presets, read_link } from "./pkg/icl_lab.js";
import { localEngine } from "./local.js";

/**
 * The client of the worker. `on` = {status(phase), progress({snapshot, stepsPerSec}), paused(),
 * error(message), unavailable(message)}: `error` hears of training failures between requests
 * (a failed request rejects its own promise instead), `unavailable` of a worker that could not
 * start.
 */
export function createEngine(on) {
  const pending = new Map(); // id -> {resolve, reject}
  let nextId = 1;
  let starting = null; // the pending start request

  const unavailable = (message) =>
    on.unavailable(`The training worker could not start (${message || "the engine's files may be missing or being rebuilt"}). Reload the page.`);
  // (Without spawn.js, started here, loading the engine itself: the page's first start then
  // starts the run.)
  const { worker, earlyFailure } = window.iclLabSpawn ?? startHere();
  if (earlyFailure() !== null) queueMicrotask(() => unavailable(earlyFailure()));
  worker.onerror = (e) => {
    e.preventDefault();
    unavailable(e.message);
  };

  worker.onmessage = (e) => {
    const m = e.data;
    switch (m.type) {
      case "reply": {
        const p = pending.get(m.id);
        if (!p) return;
        pending.delete(m.id);
        if (m.error !== undefined) p.reject(new Error(m.error));
        else p.resolve(m.value);
        break;
      }
      case "status":
        on.status(m.phase);
        break;
      case "progress":
        on.progress(m);
        break;
      case "paused":
        on.paused();
        break;
      case "error":
        on.error(m.message);
        break;
      default:
        break;
    }
  };

  /** Sends request `type` with `fields`; resolves to the reply's value. */
  function request(type, fields = {}) {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...fields, id, type });
    });
  }

  return {
    /** A new run from `query` (loading the engine first if needed). */
    start(query) {
      const p = request("start", { query });
      starting = p;
      // Registered before the caller's handlers, so `starting` is clear when they run.
      const clear = () => {
        if (starting === p) starting = null;
      };
      p.then(clear, clear);
      return p;
    },
    /** What link `query` asks for beyond its run: {pins, present, notices, presets} (link.rs),
     * read by the page's own instance (local.js): the worker may be busy with a long step. The
     * worker reads it where that instance cannot load. */
    async link(query) {
      try {
        await localEngine();
      } catch {
        return request("link", { query });
      }
      return { ...JSON.parse(read_link(String(query ?? ""))), presets: JSON.parse(presets()) };
    },
    /** True while a start request is pending: progress until its reply is from an old run. */
    get starting() {
      return starting !== null;
    },
    run: () => request("run"),
    pause: () => request("pause"),
    step: (n) => request("step", { n }),
    /** Changes a cheap setting; resolves to {query, config, notices}. */
    set: (key, value) => request("set", { key, value }),
    /** A read-out, "ood" or "sweep"; resolves to {value, ms}. */
    readout: (kind) => request(kind),
    /** Evaluation task `index` as a prompt: {index, count, examples, query, target, w}. */
    evalPrompt: (index) => request("eval_prompt", { index }),
    /** Every learner's answer to `prompt` ({examples, query}), computed by the worker's Lab. */
    prompt: (prompt) => request("prompt", { prompt: JSON.stringify(prompt) }),
    /** The run so far as the CLI's JSON report (text, as the engine wrote it). */
    report: () => request("report"),
    /** The run's curves as CSV text (the columns of `icl-lab run --csv`). */
    curvesCsv: () => request("curves_csv"),
  };
}

/** The worker, when spawn.js did not start it. */
function startHere() {
  const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  worker.postMessage({ type: "module", module: null });
  return { worker, earlyFailure: () => null };
}
