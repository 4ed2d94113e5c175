// The bench page's script (loaded by bench/index.html; bench/run.mjs is the Node driver that
// opens it): one measurement per load, chosen by the query string, result in window.__result.
//   what   ours | tfjs-wasm | tfjs-cpu | tfjs-webgl
//   k      layers (1 = figure 2; 3 = three recurrent layers)
//   steps  training steps in all, warm-up included (the loss check reads the last `window` steps)
//   warm   warm-up steps, not timed
//   budget seconds of timed training after which the run stops early (reported as such)
//   full   1 = the peer also updates every token in the last layer (not only the query's row)
//   threads  TF.js wasm thread-pool size (default: the cores the browser reports)
// Every run uses B = 2048, d = N = 10 and the paper's Adam settings.

import { createPeer } from "./tfjs/peer.js";

const q = new URLSearchParams(location.search);
const what = q.get("what") || "ours";
const k = Number(q.get("k") || 1);
const steps = Number(q.get("steps") || 500);
const warm = Number(q.get("warm") || 5);
const budget = Number(q.get("budget") || 90);
const chunk = Number(q.get("chunk") || 10);
const lossWindow = Number(q.get("window") || 20);
const D = 10, N = 10, BATCH = 2048;

const out = document.getElementById("out");
const tick = () => new Promise((r) => setTimeout(r, 0));

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.appendChild(s);
  });
}

const mean = (a) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN);
function median(a) {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
}

/**
 * Times `advance(n)` (which trains n steps and returns the count) in chunks after `warm`
 * untimed steps. Returns timing and the number of steps taken.
 */
async function timeSteps(advance) {
  let done = await advance(warm);
  const chunks = []; // ms per step of each chunk
  let timedSteps = 0, timedMs = 0, stoppedEarly = false;
  while (done < steps) {
    const n = Math.min(chunk, steps - done);
    const t0 = performance.now();
    const took = await advance(n);
    const ms = performance.now() - t0;
    if (took === 0) break;
    done += took;
    timedSteps += took;
    timedMs += ms;
    chunks.push(ms / took);
    if (timedMs > budget * 1000 && done < steps) {
      stoppedEarly = true;
      break;
    }
    await tick();
  }
  return {
    ms_per_step: timedMs / timedSteps,
    median_chunk_ms_per_step: median(chunks),
    steps_per_s: (1000 * timedSteps) / timedMs,
    timed_steps: timedSteps,
    warm_steps: warm,
    steps_done: done,
    stopped_early: stoppedEarly,
  };
}

function lossSummary(losses) {
  const S = losses.length;
  const w = losses.slice(Math.max(0, S - lossWindow));
  return { loss_at_step: S, loss_window: w.length, loss: mean(w), first_loss: losses[0] };
}

async function runOurs() {
  const { default: init, Lab } = await import("/pkg/icl_lab.js");
  await init();
  // eval_every=1000 and fewer than 1000 steps: no held-out evaluation inside the timed steps.
  const query = `d=${D}&n=${N}&layers=${k}&batch=${BATCH}&eval_every=1000&steps=100000&seed=1`;
  const t0 = performance.now();
  const lab = new Lab(query);
  const setupMs = performance.now() - t0;
  const timing = await timeSteps(async (n) => lab.advance(n));
  const snap = JSON.parse(lab.snapshot(0, 0));
  if (snap.step >= 1000) throw new Error("evaluation would have run inside the timed steps");
  return { what, k, query, setup_ms: setupMs, ...timing, ...lossSummary(snap.train_loss), losses: snap.train_loss, baselines: snap.baselines };
}

const TFJS = "/bench/node_modules/@tensorflow/tfjs/dist/tf.min.js";
const TFJS_WASM = "/bench/node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js";
const TFJS_WASM_DIR = "/bench/node_modules/@tensorflow/tfjs-backend-wasm/dist/";

async function runPeer(backend) {
  await loadScript(TFJS);
  const tf = window.tf;
  const info = { tfjs_version: tf.version_core, cross_origin_isolated: self.crossOriginIsolated === true };
  if (backend === "wasm") {
    await loadScript(TFJS_WASM);
    tf.wasm.setWasmPaths(TFJS_WASM_DIR);
    // XNNPACK's thread pool: as many threads as the browser reports cores (or ?threads=).
    info.threads_requested = Number(q.get("threads") || navigator.hardwareConcurrency || 1);
    tf.wasm.setThreadsCount(info.threads_requested);
  }
  let ok = false;
  try {
    ok = await tf.setBackend(backend);
    await tf.ready();
  } catch (e) {
    info.error = String(e && e.message || e);
  }
  if (!ok || tf.getBackend() !== backend) {
    return { what, k, available: false, reason: info.error || `tf.setBackend('${backend}') failed in this browser`, ...info };
  }
  if (backend === "wasm") {
    info.simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    info.multithread_support = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
    info.threads = tf.wasm.getThreadsCount();
  }
  if (backend === "webgl") {
    const gl = document.createElement("canvas").getContext("webgl2") || document.createElement("canvas").getContext("webgl");
    const ext = gl && gl.getExtension("WEBGL_debug_renderer_info");
    info.renderer = ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl ? gl.getParameter(gl.RENDERER) : null;
  }
  const fullLastLayer = q.get("full") === "1";
  const peer = createPeer(tf, { d: D, n: N, k, batch: BATCH, seed: 1, fullLastLayer });
  info.full_last_layer = fullLastLayer;
  const losses = [];
  const timing = await timeSteps(async (n) => {
    for (let i = 0; i < n; i++) losses.push(await peer.step());
    return n;
  });
  // Data generation alone, for the record (part of every timed step above).
  let dataMs = NaN;
  {
    await peer.sampleOnly();
    const reps = 10, t0 = performance.now();
    for (let i = 0; i < reps; i++) await peer.sampleOnly();
    dataMs = (performance.now() - t0) / reps;
  }
  const tensorsLeft = tf.memory().numTensors;
  peer.dispose();
  return {
    what, k, available: true, backend, ...info, clip: peer.clip, init_std: peer.std,
    ...timing, ...lossSummary(losses), losses, data_ms_per_step: dataMs,
    ms_per_step_excl_data: timing.ms_per_step - dataMs, live_tensors_after: tensorsLeft,
  };
}

async function main() {
  if (what === "ours") return runOurs();
  if (what.startsWith("tfjs-")) return runPeer(what.slice(5));
  throw new Error(`unknown what=${what}`);
}

main().then(
  (r) => { window.__result = r; out.textContent = JSON.stringify(r, null, 2); },
  (e) => { window.__result = { what, k, error: String(e && e.stack || e) }; out.textContent = String(e && e.stack || e); },
);
