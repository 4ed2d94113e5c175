// A pool worker (see pool.js): its own wasm instance, one `ShardWorker` of the engine for the
// current run, and nothing else. Requests, one at a time:
//   {type:"setup", query, module}               → {value: null} (module: the engine's compiled
//                                                 WebAssembly.Module, or null)
//   {type:"compute", params, step, from, to}    → {value: Float64Array, [loss, grad…] per shard}
// and {error} when a request fails.

import init, { ShardWorker } from "./pkg/icl_lab.js";

let engine = null;
let worker = null;

self.onmessage = async (e) => {
  const msg = e.data || {};
  try {
    if (msg.type === "setup") {
      // The compiled module the training worker runs (none: fetched and compiled here).
      engine ??= init(msg.module ? { module_or_path: msg.module } : undefined);
      await engine;
      if (worker) worker.free();
      worker = new ShardWorker(String(msg.query));
      self.postMessage({ value: null });
    } else if (msg.type === "compute") {
      if (!worker) throw new Error("a pool worker was asked to compute before its set-up");
      const flat = worker.compute(msg.params, msg.step, msg.from, msg.to);
      self.postMessage({ value: flat }, [flat.buffer]);
    } else {
      throw new Error(`unknown pool message '${String(msg.type)}'`);
    }
  } catch (err) {
    self.postMessage({ error: String(err && err.message ? err.message : err) });
  }
};
