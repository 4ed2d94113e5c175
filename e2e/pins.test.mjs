// Unit tests of www/pins.js (no browser): a pin keeps a thinned copy of the run's curves and its
// final numbers; what localStorage holds is validated (anything else is dropped); ghosts are
// labelled per pin.

import assert from "node:assert/strict";
import { test } from "node:test";
import { alignGhosts, loadPins, lossGhosts, MAX_PINS, pinFrom, savePins } from "../www/pins.js";

function store() {
  return {
    d: {},
    getItem(k) {
      return k in this.d ? this.d[k] : null;
    },
    setItem(k, v) {
      this.d[k] = String(v);
    },
  };
}

function run(n) {
  const evals = { step: [], loss: [], preds_diff: [], model_cos: [], model_diff: [] };
  for (let i = 0; i < n; i++) {
    evals.step.push(i * 10);
    evals.loss.push(1 / (i + 1));
    evals.preds_diff.push(0.5 / (i + 1));
    evals.model_cos.push(i / n);
    evals.model_diff.push(NaN);
  }
  const snapshot = { step: (n - 1) * 10, latest: { loss: 0.2, preds_diff: 0.01, model_cos: 0.99 }, baselines: { gd_loss: 0.21, gd_steps: 1 } };
  return { label: "fig. 2", query: "d=5", evals, snapshot };
}

test("a pin thins long curves and keeps the last point", () => {
  const p = pinFrom(run(1000));
  assert.ok(p.curves.step.length <= 201);
  assert.equal(p.curves.step.at(-1), 9990);
  assert.equal(p.curves.step.length, p.curves.loss.length);
  assert.equal(p.curves.model_diff[0], null); // NaN is kept as a gap
  assert.equal(p.final.loss, 0.2);
});

test("pins round-trip through storage; hostile entries are dropped", () => {
  const s = store();
  const p = pinFrom(run(30));
  savePins([p, p], s);
  assert.equal(loadPins(s).length, 2);
  s.setItem("icl-lab-pins", "not json");
  assert.deepEqual(loadPins(s), []);
  s.setItem("icl-lab-pins", JSON.stringify([{ ...p, curves: { ...p.curves, loss: ["x"] } }, 5, null, { label: 1 }, p]));
  assert.equal(loadPins(s).length, 1);
  s.setItem("icl-lab-pins", JSON.stringify(Array(10).fill(p)));
  assert.equal(loadPins(s).length, MAX_PINS);
});

test("ghosts: one loss curve and two alignment curves per pin, labelled with its number", () => {
  const pins = [pinFrom(run(5)), pinFrom({ ...run(5), label: "softmax" })];
  assert.deepEqual(lossGhosts(pins).map((g) => g.label), ["pinned 1: fig. 2", "pinned 2: softmax"]);
  assert.equal(alignGhosts(pins).length, 4);
  assert.notEqual(lossGhosts(pins)[0].color, lossGhosts(pins)[1].color);
});
