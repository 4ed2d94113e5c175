// Bench part "cost": how the time of one training step grows with the input dimension d and the
// prompt length N, for one layer and three recurrent layers (batch 2048, linear attention), in the
// same wasm build the page runs, here in Node (no page around it). Prints the table of ms/step and
// the exponents of a least-squares fit ms ∝ d^a · N^b over the grid (issue 10, target 7).
//
// Standalone: node bench/cost.mjs [--quick]

import { readFileSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const PKG = join(REPO, "www", "pkg");

export const DS = [5, 10, 20, 32];
export const NS = [10, 50, 100];
export const KS = [1, 3];

/** ms per step of `query` after `warm` steps, over at least `steps` steps and 0.5 s. */
function timeSteps(mod, query, warm, steps) {
  const lab = new mod.Lab(query);
  lab.advance(warm);
  let done = 0;
  const t0 = performance.now();
  while (done < steps || performance.now() - t0 < 500) {
    const took = lab.advance(1);
    if (took === 0) throw new Error(`${query}: the run stopped (${lab.status()}) after ${done} timed steps`);
    done += took;
  }
  const ms = (performance.now() - t0) / done;
  lab.free();
  return ms;
}

/** Least squares of log ms = c + a log d + b log N; returns {a, b}. */
export function fitExponents(points) {
  // Normal equations of a 3-parameter linear model, solved by Cramer's rule.
  const X = points.map((p) => [1, Math.log(p.d), Math.log(p.n)]);
  const y = points.map((p) => Math.log(p.ms));
  const A = [0, 1, 2].map((i) => [0, 1, 2].map((j) => X.reduce((s, x) => s + x[i] * x[j], 0)));
  const r = [0, 1, 2].map((i) => X.reduce((s, x, t) => s + x[i] * y[t], 0));
  const det = (m) =>
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
    m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
    m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  const D = det(A);
  const col = (k) => A.map((row, i) => row.map((v, j) => (j === k ? r[i] : v)));
  return { a: det(col(1)) / D, b: det(col(2)) / D };
}

/** Runs the grid; resolves to {k1: {points, a, b}, k3: {…}}. */
export async function costRuns({ quick = false, log = () => {} } = {}) {
  const mod = await import(join(PKG, "icl_lab.js"));
  mod.initSync({ module: readFileSync(join(PKG, "icl_lab_bg.wasm")) });
  // Wasm code is first run by a baseline compiler and optimised while it runs: warm it up once.
  timeSteps(mod, "batch=2048&lr=0.0001&steps=100000&eval_every=1000&eval_tasks=256", 2, quick ? 50 : 200);
  const out = {};
  for (const k of KS) {
    const points = [];
    for (const d of DS) {
      for (const n of NS) {
        // A small lr keeps every size from diverging within the timed steps (a step costs the
        // same at any lr; a diverged run would stop).
        const q = `d=${d}&n=${n}&layers=${k}&batch=2048&lr=0.0001&steps=100000&eval_every=1000&eval_tasks=256&seed=1`;
        const ms = timeSteps(mod, q, 2, quick ? 2 : 5);
        points.push({ d, n, ms });
        log(`  cost K=${k} d=${d} N=${n}: ${ms.toFixed(2)} ms/step`);
      }
    }
    out[`k${k}`] = { points, ...fitExponents(points) };
  }
  return out;
}

/** The table as text: one line per d, one column per N, for each K; then the exponents. */
export function costTable(res) {
  const lines = [];
  for (const k of KS) {
    const r = res[`k${k}`];
    if (!r) continue;
    lines.push(`K = ${k}: ms per step (batch 2048, wasm in Node)`);
    lines.push(["d \\ N", ...NS].map((c) => String(c).padStart(8)).join(""));
    for (const d of DS) {
      const cells = NS.map((n) => r.points.find((p) => p.d === d && p.n === n)?.ms.toFixed(2) ?? "—");
      lines.push([d, ...cells].map((c) => String(c).padStart(8)).join(""));
    }
    lines.push(`fit: ms ∝ d^${r.a.toFixed(2)} · N^${r.b.toFixed(2)}`);
  }
  return lines.join("\n");
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const res = await costRuns({ quick: process.argv.includes("--quick"), log: console.log });
  console.log(costTable(res));
}
