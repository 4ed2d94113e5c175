// Unit tests of www/promptmath.js (no browser): the learners shown, the wording thresholds of the
// sentences, prompt edits, the fixed plot box, hit-testing and the colour scale.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { addExample, clampRound, divergingColor, hitTest, keyStep, learnersShown, promptSentences, relDiff, removeExample, round4, samePrompt, setCoord, symRange } from "../www/promptmath.js";

const prompt = { examples: [[0.1, 0.2], [-0.3, -0.6], [0.25, 0.5]], query: [0.4] };
function answer(over = {}) {
  const p = { transformer: 0.5, untrained: 0, gd: 0.5, gd_same_step: 0.5, gdpp: 0.5, gdpp_same_step: 0.5, ols: 0.8, ridge: 0.8, ...(over.predictions || {}) };
  return { gd_steps: 1, gd_eta: 6.2, gd_same_step_eta: 6.2, examples_used: 3, trained_n: 3, ridge_lambda: 0, target: null, predictions: p, ...over, predictions: p };
}

describe("learnersShown", () => {
  test("GD at η·M/N only when M ≠ N, GD++ only for K ≥ 2, ridge only with noise", () => {
    const keys = (a, c) => learnersShown(a, c).map((l) => l.key);
    assert.deepEqual(keys(answer(), { noise: 0 }), ["transformer", "untrained", "gd", "ols"]);
    assert.deepEqual(keys(answer({ examples_used: 5 }), { noise: 0 }), ["transformer", "untrained", "gd", "gd_same_step", "ols"]);
    assert.deepEqual(keys(answer({ gd_steps: 2 }), { noise: 0.5 }), ["transformer", "untrained", "gd", "gdpp", "ols", "ridge"]);
    for (const l of learnersShown(answer(), { noise: 0 })) assert.match(l.color, /^#/);
  });
});

describe("promptSentences", () => {
  const ctx = { step: "600", training: false, edited: true, influence: null };
  test("within 5% of GD: 'like one GD step', with both numbers", () => {
    const [s] = promptSentences(answer({ predictions: { transformer: 0.51 } }), prompt, ctx);
    assert.match(s.text, /frozen \(step 600\)/);
    assert.match(s.text, /like one GD step/);
    assert.match(s.text, /0\.51/);
    assert.match(s.text, /GD at η = 6\.2: 0\.5/);
  });
  test("between 5% and 20%: 'close to'; beyond: 'far from', never 'like'", () => {
    assert.match(promptSentences(answer({ predictions: { transformer: 0.56 } }), prompt, ctx)[0].text, /close to one GD step/);
    const far = promptSentences(answer({ predictions: { transformer: 0.9 } }), prompt, ctx)[0].text;
    assert.match(far, /far from one GD step/);
    assert.doesNotMatch(far, /like one GD/);
    assert.match(promptSentences(answer({ predictions: { transformer: 0.001 } }), prompt, ctx)[0].text, /not learned to use the examples yet/);
  });
  test("while training the sentence says the weights are changing", () => {
    assert.match(promptSentences(answer(), prompt, { ...ctx, training: true })[0].text, /still training/);
  });
  test("M ≠ N: compares with GD at η·M/N and explains the step", () => {
    const a = answer({ examples_used: 15, trained_n: 10, gd_same_step_eta: 9.3, predictions: { transformer: 0.57, gd: 0.41, gd_same_step: 0.58 } });
    const list = promptSentences(a, prompt, ctx);
    assert.match(list[0].text, /like one GD step.*η·M\/N = 9\.3: 0\.58/);
    const steps = list.find((s) => s.id === "steps").text;
    assert.match(steps, /M = 15 examples instead of N = 10/);
    assert.match(steps, /GD at η = 6\.2: 0\.41; GD at η·M\/N: 0\.58; transformer: 0\.57/);
  });
  test("relDiff guards answers near 0 with the labels' scale", () => {
    assert.ok(Math.abs(relDiff(0.51, 0.5, 1) - 0.02) < 1e-12);
    assert.ok(relDiff(0.001, 0, 0.5) < 0.05);
    assert.equal(relDiff(null, 1, 1), null);
  });
  test("influence and the true answer", () => {
    const list = promptSentences(answer({ target: 0.49 }), prompt, { ...ctx, influence: { index: 2, without: answer({ predictions: { transformer: 0.3, gd: 0.31, ols: 0.2 } }) } });
    assert.match(list.find((s) => s.id === "influence").text, /example 3.*transformer 0\.3 → 0\.5; GD 0\.31 → 0\.5; OLS 0\.2 → 0\.8/);
    assert.match(list.find((s) => s.id === "target").text, /0\.49/);
  });
});

describe("prompt edits", () => {
  test("setCoord, addExample and removeExample return new prompts, rounded to 4 decimals", () => {
    const p = setCoord(prompt, { kind: "example", index: 1 }, 1, -0.123456);
    assert.equal(p.examples[1][1], -0.1235);
    assert.equal(prompt.examples[1][1], -0.6, "the original is untouched");
    assert.equal(setCoord(prompt, { kind: "query" }, 0, 0.77777).query[0], 0.7778);
    assert.equal(addExample(prompt, [0.5, 1], 100).examples.length, 4);
    assert.equal(addExample(prompt, [0.5, 1], 3).examples.length, 3, "at most max examples");
    assert.deepEqual(removeExample(prompt, 0).examples, [[-0.3, -0.6], [0.25, 0.5]]);
    assert.equal(removeExample({ examples: [[1, 1]], query: [1] }, 0).examples.length, 1, "at least one example stays");
    assert.ok(samePrompt(prompt, { ...prompt, target: 3 }));
    assert.ok(Object.is(round4(-0.00001), 0));
    assert.equal(clampRound(7, -1, 1), 1);
  });
});

describe("plot helpers", () => {
  test("symRange is symmetric, covers the values and a minimum, padded 15%", () => {
    assert.deepEqual(symRange([0.1, -0.3], 0.5), [-0.575, 0.575]);
    assert.deepEqual(symRange([2, null, NaN], 0.5), [-2.3, 2.3]);
  });
  test("hitTest finds the nearest point within the radius", () => {
    const pts = [{ px: 0, py: 0 }, { px: 10, py: 0 }];
    assert.equal(hitTest(pts, 8, 0, 12), 1);
    assert.equal(hitTest(pts, 50, 50, 12), -1);
  });
  test("divergingColor: white at 0, red for positive, blue for negative, clamped", () => {
    assert.equal(divergingColor(0, 1), "rgb(247,247,247)");
    assert.equal(divergingColor(1, 1), "rgb(178,24,43)");
    assert.equal(divergingColor(-5, 1), "rgb(33,102,172)");
    assert.equal(divergingColor(null, 1), "rgb(247,247,247)");
  });
  test("keyStep is 1/50 of the axis, 5× with Shift", () => {
    assert.equal(keyStep(-1, 1, false), 0.04);
    assert.equal(keyStep(-1, 1, true), 0.2);
  });
});

test("roundPrompt rounds every number to the link's 4 decimals", async () => {
  const { roundPrompt } = await import("../www/promptmath.js");
  assert.deepEqual(roundPrompt({ examples: [[0.123456, -1.00004]], query: [0.99996] }), { examples: [[0.1235, -1]], query: [1] });
});
