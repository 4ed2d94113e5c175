// The page's engine (the wasm build, run here in Node) and the native CLI compute the same
// numbers, bit for bit, for the same settings: a researcher's JSON and a learner's tab agree,
// and `icl-lab check` can re-run a report downloaded from the page. Every number of the report is
// compared (libm gives both builds the same exp / ln / pow; nalgebra runs without its run-time
// chosen FMA kernels), linear and softmax attention alike, with LayerNorm and an MLP too.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = path.join(root, "target", "release", "icl-lab");

/** A report without what a re-run cannot reproduce (how long it took). */
function numbers(report) {
  const { seconds, ms_per_step, ...rest } = report;
  return rest;
}

test("wasm engine and native CLI give identical numbers", { skip: !fs.existsSync(cli) && "build the CLI first (cargo build --release)" }, async () => {
  const { initSync, Lab } = await import(path.join(root, "www", "pkg", "icl_lab.js"));
  initSync({ module: fs.readFileSync(path.join(root, "www", "pkg", "icl_lab_bg.wasm")) });
  // Softmax runs too: the softmax engine's exponential is the engine's own (kernels::exp), not the
  // platform's expf, which differs between the two builds. The last query has full softmax layers,
  // deep weights, the query among the keys and token clipping (K > 3).
  for (const query of [
    "d=5&n=8&steps=150&seed=7&eval_every=10",
    "layers=2&steps=60&batch=256&eval_tasks=512&seed=3",
    "attn=softmax&heads=2&steps=100&batch=512&eval_tasks=512&eval_every=10&seed=5",
    "attn=softmax&layers=4&recurrent=false&query_in_keys=true&steps=30&batch=128&eval_tasks=256&eval_every=5&seed=2",
    "layers=3&recurrent=false&steps=40&batch=256&eval_tasks=256",
    "noise=0.5&aniso=2.5&d=6&n=12&steps=40&batch=256&eval_tasks=256",
    // LayerNorm and the MLP: on the lane engine (GELU's tanh from the engine's exp), with token
    // clipping, and on the reference path with softmax attention.
    "layernorm=true&mlp=8&layers=2&recurrent=false&steps=40&batch=256&eval_tasks=256&seed=4",
    "layernorm=true&mlp=6&layers=4&steps=20&batch=128&eval_tasks=256",
    "attn=softmax&layernorm=true&mlp=6&steps=20&batch=128&eval_tasks=256",
  ]) {
    const lab = new Lab(query);
    // As on the page: the references come in slices between training chunks (references.rs),
    // and the numbers must still be the CLI's, which computes them all before training.
    while (lab.advance(20) > 0) lab.advance_references(2);
    while (!lab.advance_references(1000));
    const snap = JSON.parse(lab.snapshot(0, 0, false, false));
    const page = JSON.parse(lab.report(0));
    lab.free();
    const args = ["run", ...query.split("&"), "--json", "--quiet"];
    const report = JSON.parse(execFileSync(cli, args, { encoding: "utf8" }));
    assert.deepEqual(snap.train_loss, report.curves.train_loss, `${query}: training losses differ`);
    assert.equal(snap.pending, undefined, `${query}: references still to come`);
    // Evaluations recorded before GD arrived were measured when it did: the whole curve agrees.
    assert.deepEqual(snap.evals.model_cos, report.curves.model_cos, `${query}: alignment history differs`);
    assert.deepEqual(snap.progress, report.progress, `${query}: progress differs`);
    assert.deepEqual(numbers(page), numbers(report), `${query}: the reports differ`);
  }
});
