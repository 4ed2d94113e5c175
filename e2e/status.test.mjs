// Unit tests of www/status.js's headline (no browser): a reference still being computed is
// named "computing…", which ends its sentence (no period after the ellipsis); once every
// reference is there the sentence ends with a period.

import assert from "node:assert/strict";
import { test } from "node:test";
import { createStatus } from "../www/status.js";

/** The headline's text for `snap`, written into a stand-in element. */
function headline(snap) {
  const els = { headline: { textContent: "" } };
  createStatus(els).headline(snap, null);
  return els.headline.textContent;
}

const snap = (pending) => ({
  step: 40,
  pending,
  progress: {},
  latest: { step: 40, loss: 0.3 },
  baselines: { gd_steps: 3, gd_eta: 1.2, gd_loss: 0.2, gdpp_loss: 0.1 },
});

test("a reference still to come ends the headline with its ellipsis alone", () => {
  const gdpp = headline(snap(["gdpp"]));
  assert.match(gdpp, /, GD\+\+ computing…$/, gdpp);
  const both = headline(snap(["gd", "gdpp"]));
  assert.match(both, /3 steps of GD: computing…, GD\+\+ computing…$/, both);
});

test("with every reference there the headline ends with a period", () => {
  const text = headline(snap([]));
  assert.match(text, /GD\+\+ 0\.1\d* \([^)]*\)\.$/, text);
  assert.ok(!/…/.test(text), text);
});
