// The training worker and the engine's compiled code, started before the page's body is parsed:
// index.html runs this classic script in <head>, so the worker starts and the engine (the .wasm)
// downloads and compiles while the page is laid out and its many modules load. As a module it
// ran only after the page's first layout and paint, 0.1–0.3 s later on a 2-core machine; a
// classic script cannot export, so it hands both to engine.js and local.js through one global,
// `iclLabSpawn`.
//
// The engine is compiled once, here, and the compiled module is sent to the worker (which hands
// it on to its pool, pool.js) and used by the page's own instance (local.js): one download
// and one compilation instead of one per instance, and the browser's optimised code for it,
// made while the worker trains, serves every instance.
"use strict";

(() => {
  const worker = new Worker("worker.js", { type: "module" });
  // The address's query string without its "?" (as params.js reads it; no import here).
  worker.postMessage({ type: "prepare", query: window.location.search.replace(/^\?/, "") });

  // Compiled while it downloads where the host labels it application/wasm (streaming needs
  // that), else from its bytes; null when it cannot be: each instance then fetches it itself
  // (wasm-bindgen's init), and says what failed.
  const compiled = fetch("pkg/icl_lab_bg.wasm")
    .then((r) => {
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      const type = r.headers.get("Content-Type");
      if (type === "application/wasm" && WebAssembly.compileStreaming) return WebAssembly.compileStreaming(r);
      console.warn(`The engine (pkg/icl_lab_bg.wasm) is served as '${type}', not 'application/wasm': the browser compiles it only once it has all of it.`);
      return r.arrayBuffer().then((b) => WebAssembly.compile(b));
    })
    .catch(() => null);
  compiled.then((module) => worker.postMessage({ type: "module", module }));

  // A worker that fails to start says so once; engine.js attaches its handler only later.
  let failure = null;
  worker.addEventListener("error", (e) => {
    e.preventDefault();
    failure ??= e.message || "";
  });

  window.iclLabSpawn = {
    worker,
    /** The message of a start failure seen before engine.js listened, or null. */
    earlyFailure: () => failure,
    /** Promise of the engine's WebAssembly.Module (null: each instance loads its own). */
    compiled,
  };
})();
