// Unit tests of www/history.js (no browser): the worker's incremental snapshots add up to the
// whole training and evaluation curves, a restart point replaces what follows it, and weights
// and scatter are carried over between full snapshots.

import assert from "node:assert/strict";
import { test } from "node:test";
import { addSnapshot, createHistory } from "../www/history.js";

const FIELDS = ["step", "loss", "preds_diff", "model_cos", "model_diff", "eta_over_n", "preds_diff_gdpp", "model_cos_gdpp", "model_diff_gdpp", "dist_kq", "dist_pv"];

/** A snapshot as the worker sends it: training losses from `trainFrom`, evaluations at `evalSteps`. */
function snapshot(step, trainFrom, trainLoss, evalFrom, evalSteps, extra = {}) {
  const evals = { from: evalFrom };
  for (const k of FIELDS) evals[k] = evalSteps.map((s) => (k === "step" ? s : s / 100 + FIELDS.indexOf(k)));
  return { step, status: "training", train_from: trainFrom, train_loss: trainLoss, evals, ...extra };
}

test("a new history is empty", () => {
  const h = createHistory();
  assert.equal(h.snapshot, null);
  assert.deepEqual(h.trainX, []);
  assert.deepEqual(h.trainLoss, []);
  assert.deepEqual(Object.keys(h.evals).sort(), [...FIELDS].sort());
  assert.deepEqual(h.etaChanges, []);
  for (const k of FIELDS) assert.deepEqual(h.evals[k], []);
});

test("incremental snapshots append to the curves", () => {
  const h = createHistory();
  addSnapshot(h, snapshot(3, 0, [1, 0.9, 0.8], 0, [0]));
  const last = snapshot(5, 3, [0.7, 0.6], 1, [5]);
  assert.equal(addSnapshot(h, last), h);
  assert.deepEqual(h.trainLoss, [1, 0.9, 0.8, 0.7, 0.6]);
  assert.deepEqual(h.trainX, [0, 1, 2, 3, 4]);
  assert.deepEqual(h.evals.step, [0, 5]);
  assert.deepEqual(h.evals.loss, [1, 1.05]);
  assert.deepEqual(h.evals.eta_over_n, [5, 5.05]);
  assert.equal(h.snapshot, last);
});

test("a snapshot that starts earlier replaces the curves from there on", () => {
  const h = createHistory();
  addSnapshot(h, snapshot(4, 0, [1, 0.9, 0.8, 0.7], 0, [0, 2, 4]));
  addSnapshot(h, snapshot(4, 2, [0.5], 1, [3]));
  assert.deepEqual(h.trainLoss, [1, 0.9, 0.5]);
  assert.deepEqual(h.trainX, [0, 1, 2]);
  for (const k of FIELDS) assert.equal(h.evals[k].length, 2, k);
  assert.deepEqual(h.evals.step, [0, 3]);
  assert.deepEqual(h.evals.model_cos, [3, 3.03]);
});

test("an empty update changes only the latest snapshot", () => {
  const h = createHistory();
  addSnapshot(h, snapshot(2, 0, [1, 0.5], 0, [0]));
  addSnapshot(h, snapshot(2, 2, [], 1, []));
  assert.deepEqual(h.trainLoss, [1, 0.5]);
  assert.deepEqual(h.evals.step, [0]);
  assert.equal(h.snapshot.step, 2);
});

test("weights and scatter are kept until a full snapshot brings new ones", () => {
  const h = createHistory();
  const weights = { width: 11 };
  const scatter = { model: [1], gd: [1], target: [1] };
  addSnapshot(h, snapshot(1, 0, [1], 0, [0], { weights, scatter }));
  const partial = snapshot(2, 1, [0.9], 1, []);
  addSnapshot(h, partial);
  assert.equal(partial.weights, weights);
  assert.equal(partial.scatter, scatter);
  const weights2 = { width: 11 };
  addSnapshot(h, snapshot(3, 2, [0.8], 1, [], { weights: weights2 }));
  assert.equal(h.snapshot.weights, weights2);
  assert.equal(h.snapshot.scatter, scatter);
});

test("the first snapshot of a run has nothing to carry over", () => {
  const h = createHistory();
  addSnapshot(h, snapshot(0, 0, [], 0, []));
  assert.equal(h.snapshot.weights, undefined);
  assert.equal(h.snapshot.scatter, undefined);
});

test("a change of GD's η is recorded at the last evaluation measured against the old one", () => {
  const h = createHistory();
  const refs = (eta) => ({ baselines: { gd_eta: eta } });
  addSnapshot(h, snapshot(0, 0, [1], 0, [0], refs(6.16)));
  addSnapshot(h, snapshot(10, 1, [0.9], 1, [10], refs(6.16)));
  assert.deepEqual(h.etaChanges, []);
  // The snapshot sent right after the change: its evaluations predate it.
  addSnapshot(h, snapshot(20, 2, [0.8], 2, [20], refs(3)));
  assert.deepEqual(h.etaChanges, [{ step: 20, from: 6.16, to: 3 }]);
  addSnapshot(h, snapshot(30, 3, [0.7], 3, [30], refs(3)));
  assert.equal(h.etaChanges.length, 1);
  // Two changes with no evaluation between them are one.
  addSnapshot(h, snapshot(30, 4, [], 4, [], refs(4)));
  addSnapshot(h, snapshot(30, 4, [], 4, [], refs(5)));
  assert.deepEqual(h.etaChanges[1], { step: 30, from: 3, to: 5 });
  addSnapshot(h, snapshot(30, 4, [], 4, [], refs(3)));
  assert.equal(h.etaChanges.length, 1);
});

test("GD arriving while the run trains is no change of its η: every point so far is measured against it", () => {
  const h = createHistory();
  const refs = (eta) => ({ baselines: { gd_eta: eta } });
  // GD still being computed: its η is null (and the evaluations' alignments too).
  addSnapshot(h, snapshot(0, 0, [1], 0, [0], refs(null)));
  addSnapshot(h, snapshot(10, 1, [0.9], 1, [10], refs(null)));
  // It arrives: the worker resends the evaluations from the first, now measured.
  addSnapshot(h, snapshot(20, 2, [0.8], 0, [0, 10, 20], refs(6.16)));
  assert.deepEqual(h.etaChanges, []);
  assert.deepEqual(h.evals.step, [0, 10, 20]);
  // Back to null (auto asked for before η* arrived), then η*: no change either.
  addSnapshot(h, snapshot(30, 3, [0.7], 3, [30], refs(null)));
  addSnapshot(h, snapshot(40, 4, [0.6], 4, [40], refs(6.16)));
  assert.deepEqual(h.etaChanges, []);
});
