// The engine's instance on the page's own thread, beside the training worker's: the prompt card
// answers drags with it (promptcard.js), and the page reads its link with it (engine.js), so
// reading a link never waits for the worker, which may be in the middle of a long training step
// (the heavy link's first step takes 0.3 s, and the page's "start" waited behind it).
// It instantiates the module spawn.js compiled (else wasm-bindgen fetches its own copy).

import init from "./pkg/icl_lab.js";

let ready = null;

/** Resolves once the page's instance can be called (the pkg module's exports work then). */
export function localEngine() {
  const compiled = window.iclLabSpawn ? window.iclLabSpawn.compiled : Promise.resolve(null);
  ready ||= compiled.then((module) => init(module ? { module_or_path: module } : undefined));
  return ready;
}
