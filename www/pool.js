// The worker pool: the training worker (worker.js) shares each training step's batch among a few
// workers, each with its own wasm instance (shardworker.js), and adds their shards up in shard
// order (the engine's shard.rs), so a run's numbers are the same bits with 1, 2 or 8 workers.
// Message passing only: no SharedArrayBuffer, so the page needs no cross-origin isolation and
// still works from any static host.
//
//   const pool = await createPool(size, query, module);   // size ≥ 1 workers for the run of `query`
//   const flat = await pool.step(params, step, parts);   // parts[i] = [from, to) for worker i:
//                                                        // those shards, in order, flat
//   pool.close();
// (The training worker computes a share of each step itself: worker.js.)

/** Splits `count` shards into `parts` contiguous ranges, as even as possible. */
export function ranges(count, parts) {
  const out = [];
  const base = Math.floor(count / parts);
  let extra = count % parts;
  let from = 0;
  for (let p = 0; p < parts && from < count; p++) {
    const n = base + (extra-- > 0 ? 1 : 0);
    if (n > 0) out.push([from, from + n]);
    from += n;
  }
  return out;
}

/** Runs of shards (flat Float64Arrays), one after the other in one array. */
export function joined(runs) {
  const flat = new Float64Array(runs.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const r of runs) {
    flat.set(r, at);
    at += r.length;
  }
  return flat;
}

/** A pool worker with its queue of requests: it answers them in order, so the replies are
 * matched to the requests first in, first out. */
function spawn() {
  const w = new Worker(new URL("./shardworker.js", import.meta.url), { type: "module" });
  const waiting = [];
  const failAll = (err) => waiting.splice(0).forEach(({ reject }) => reject(err));
  w.onmessage = (e) => {
    const next = waiting.shift();
    if (!next) return;
    if (e.data && e.data.error) next.reject(new Error(e.data.error));
    else next.resolve(e.data ? e.data.value : null);
  };
  w.onerror = (e) => failAll(new Error(e.message || "a pool worker failed"));
  return {
    ask(msg) {
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        w.postMessage(msg);
      });
    },
    terminate() {
      w.terminate();
      failAll(new Error("the worker pool was closed"));
    },
  };
}

/** A pool of `size` workers, each set up for the run of `query` (the Lab's canonical query);
 * `module`: the engine's compiled WebAssembly.Module, instantiated by each (none: each loads it). */
export async function createPool(size, query, module = null) {
  const workers = Array.from({ length: size }, spawn);
  const setup = (q) => Promise.all(workers.map((w) => w.ask({ type: "setup", query: q, module })));
  try {
    await setup(query);
  } catch (err) {
    workers.forEach((w) => w.terminate());
    throw err;
  }
  return {
    size,
    /** The same workers, set up for another run. */
    setup,
    /** The shards `parts` (contiguous [from, to) ranges in order, at most one per worker) of
     * training step `step` at weights `params`, flat and in shard order. */
    async step(params, step, parts) {
      const replies = await Promise.all(
        parts.map(([from, to], i) => workers[i].ask({ type: "compute", params, step, from, to })),
      );
      return joined(replies);
    },
    close() {
      workers.forEach((w) => w.terminate());
    },
  };
}
