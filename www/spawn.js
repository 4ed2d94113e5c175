// The training worker, started as soon as the page begins to load: index.html runs this file on
// its own, ahead of main.js and its many modules, so the worker fetches and compiles the engine
// and starts the run of the page's address while they load (worker.js "prepare": main.js's
// first start, of the same address, adopts it). engine.js talks to it.

import { queryFromLocation } from "./params.js";

export const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
worker.postMessage({ type: "prepare", query: queryFromLocation() });

// A worker that fails to start says so once; engine.js may attach its handler only later.
let failure = null;
worker.addEventListener("error", (e) => {
  e.preventDefault();
  failure ??= e.message || "";
});

/** The message of a start failure seen before engine.js listened, or null. */
export function earlyFailure() {
  return failure;
}
