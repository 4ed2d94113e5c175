// The page's engine (the wasm build, run here in Node) and the native CLI compute the same
// numbers, bit for bit, for the same settings: a researcher's JSON and a learner's tab agree.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = path.join(root, "target", "release", "icl-lab");

test("wasm engine and native CLI give identical numbers", { skip: !fs.existsSync(cli) && "build the CLI first (cargo build --release)" }, async () => {
  const { initSync, Lab } = await import(path.join(root, "www", "pkg", "icl_lab.js"));
  initSync({ module: fs.readFileSync(path.join(root, "www", "pkg", "icl_lab_bg.wasm")) });
  for (const query of ["d=5&n=8&steps=150&seed=7&eval_every=10", "layers=2&steps=60&batch=256&eval_tasks=512&seed=3"]) {
    const lab = new Lab(query);
    // As on the page: the references come in slices between training chunks (references.rs),
    // and the numbers must still be the CLI's, which computes them all before training.
    while (lab.advance(20) > 0) lab.advance_references(2);
    while (!lab.advance_references(1000));
    const snap = JSON.parse(lab.snapshot(0, 0, false, false));
    lab.free();
    const args = ["run", ...query.split("&"), "--json", "--quiet"];
    const report = JSON.parse(execFileSync(cli, args, { encoding: "utf8" }));
    assert.deepEqual(snap.train_loss, report.curves.train_loss, `${query}: training losses differ`);
    assert.deepEqual(snap.latest.loss, report.final_eval.loss, `${query}: evaluation loss differs`);
    assert.deepEqual(snap.latest.model_cos, report.final_eval.model_cos);
    assert.deepEqual(snap.baselines.gd_loss, report.baselines.gd_loss);
    assert.equal(snap.pending, undefined, `${query}: references still to come`);
    // Evaluations recorded before GD arrived were measured when it did: the whole curve agrees.
    assert.deepEqual(snap.evals.model_cos, report.curves.model_cos, `${query}: alignment history differs`);
    assert.deepEqual(snap.evals.preds_diff, report.curves.preds_diff);
    assert.deepEqual(snap.untrained.preds_diff, report.untrained.preds_diff);
    // The run's standing is the same; GD++'s loss (a tuned f64 baseline) may differ in the last
    // bit between the two builds, so it is compared to 1e-12 relative.
    const { target_loss: a, ...wasmProgress } = snap.progress;
    const { target_loss: b, ...nativeProgress } = report.progress;
    assert.deepEqual(wasmProgress, nativeProgress);
    assert.ok(Math.abs(a - b) <= 1e-12 * Math.abs(b), `${query}: target loss ${a} vs ${b}`);
  }
});
