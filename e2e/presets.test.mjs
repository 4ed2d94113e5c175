// Unit tests of www/presets.js (no browser): a query is recognised as a preset whatever the
// order of its settings, and the picker's caption for a preset or for one's own settings.

import assert from "node:assert/strict";
import { test } from "node:test";
import { canonicalPairs, presetCaption, presetForQuery, presetNamed } from "../www/presets.js";

// The shape of the engine's presets (src/presets.rs), a few of them.
const PRESETS = [
  { name: "fig2", title: "Figure 2: one layer vs one GD step", description: "The paper's first result.", query: "" },
  { name: "gdpp", title: "Two recurrent layers vs GD++", description: "GD++ beats two GD steps.", query: "layers=2" },
  { name: "softmax2", title: "Softmax, 2 heads", description: "Two heads get close.", query: "heads=2&attn=softmax" },
];

test("canonicalPairs sorts the settings and decodes them", () => {
  assert.equal(canonicalPairs("n=20&d=5"), "d=5&n=20");
  assert.equal(canonicalPairs("?b=2&a=1"), "a=1&b=2");
  assert.equal(canonicalPairs("lr=%30.002"), "lr=0.002");
  assert.equal(canonicalPairs(""), "");
});

test("a query is its preset whatever the order of its settings", () => {
  assert.equal(presetForQuery(PRESETS, "attn=softmax&heads=2").name, "softmax2");
  assert.equal(presetForQuery(PRESETS, "heads=2&attn=softmax").name, "softmax2");
  assert.equal(presetForQuery(PRESETS, "layers=2").name, "gdpp");
  assert.equal(presetForQuery(PRESETS, "").name, "fig2");
});

test("a query with other or extra settings is no preset", () => {
  assert.equal(presetForQuery(PRESETS, "layers=3"), undefined);
  assert.equal(presetForQuery(PRESETS, "layers=2&seed=1"), undefined);
  assert.equal(presetForQuery(PRESETS, "heads=2"), undefined);
  assert.equal(presetForQuery([], ""), undefined);
});

test("presetNamed finds a preset by its name", () => {
  assert.equal(presetNamed(PRESETS, "gdpp"), PRESETS[1]);
  assert.equal(presetNamed(PRESETS, "nope"), undefined);
  assert.equal(presetNamed(PRESETS, ""), undefined);
});

test("the caption of a preset, and of one's own settings", () => {
  assert.deepEqual(presetCaption(PRESETS[1]), { value: "gdpp", title: "Two recurrent layers vs GD++.", description: "GD++ beats two GD steps." });
  assert.deepEqual(presetCaption(undefined), {
    value: "",
    title: "Your own settings.",
    description: "Every one of them is in the link: copy it to share this exact run.",
  });
});
