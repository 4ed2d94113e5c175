// Pinned runs. Unit tests of www/pins.js (no browser): a pin keeps a thinned copy of the run's
// curves and its final numbers; what localStorage holds is validated (anything else is dropped);
// ghosts are labelled per pin. And in headless Chromium: a link with `pin` keys trains each
// pinned run again before its own run and shows the same ghost as pinning it by hand; a hostile
// pin is a notice; Copy link carries the pins.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { alignGhosts, loadPins, lossGhosts, MAX_PINS, pinFrom, savePins } from "../www/pins.js";
import { linkQuery } from "../www/link.js";
import { newPage, until, useBrowser } from "./helpers.mjs";

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

test("a pin's link value is its settings, percent-encoded as the engine re-emits them", () => {
  const pins = [pinFrom({ ...run(3), query: "" }), pinFrom({ ...run(3), query: "d=5&n=8&labels=shuffled" })];
  const parts = { lock: [], panels: [], cards: [] };
  assert.equal(linkQuery("d=3", { pins: pins.map((p) => p.query) }, parts), "d=3&pin=&pin=d%3D5%26n%3D8%26labels%3Dshuffled");
  assert.equal(pins[1].final.model_diff, null);
  assert.equal(pins[1].reproducible, true);
});

// The browser part: a small, quick run (d = 5, N = 8, 400 steps).
const SMALL = "d=5&n=8&lr=0.003&steps=400";

/** A page whose every text in #pin-progress is recorded in window.__pinProgress. */
async function recordingPage(browser) {
  const page = await newPage(browser);
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  await page.addInitScript(() => {
    window.__pinProgress = [];
    document.addEventListener("DOMContentLoaded", () => {
      const out = document.getElementById("pin-progress");
      new MutationObserver(() => out.textContent && window.__pinProgress.push(out.textContent)).observe(out, { childList: true, characterData: true, subtree: true });
    });
  });
  return page;
}

/** Opens the Copy link dialog, copies its link and closes it; returns what it copied. */
async function copyLink(page) {
  await page.getByTestId("copy-link").click();
  await until(page, () => document.getElementById("share-dialog").open, null, 5000);
  const shown = await page.getByTestId("share-link").inputValue();
  await page.locator("#share-copy").click();
  await until(page, () => document.getElementById("share-copied").textContent === "Copied.", null, 5000);
  await page.locator("#share-close").click();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(copied, shown);
  return copied;
}

describe("pinned runs in the link", () => {
  const env = useBrowser();

  test("a link with a pin trains it again and shows the same ghost as pinning it by hand; Copy link round-trips the pins", { timeout: 180000 }, async () => {
    // By hand: train, pin, then start the label-blind control of the same settings.
    const a = await recordingPage(env.browser);
    await a.goto(`${env.server.url}?${SMALL}`);
    await until(a, () => window.__lab.status === "done", null, 90000);
    await a.getByTestId("pin").click();
    const byHand = await a.evaluate(() => window.__lab.pins[0]);
    assert.equal(byHand.query, SMALL);
    assert.equal(await a.evaluate(() => location.search), `?${SMALL}&pin=${encodeURIComponent(SMALL)}`);
    await a.goto(`${env.server.url}?${SMALL}&labels=shuffled`);
    await until(a, () => window.__lab.ready && window.__lab.step > 0, null, 60000);
    const link = await copyLink(a);
    assert.equal(link, `${env.server.url}?${SMALL}&labels=shuffled&pin=${encodeURIComponent(SMALL)}`);
    // Reloaded, the link's pin is the one kept in this browser: it is not trained again.
    await a.reload();
    await until(a, () => window.__lab.ready && window.__lab.step > 0, null, 60000);
    assert.deepEqual(await a.evaluate(() => window.__pinProgress), []);
    assert.deepEqual(await a.evaluate(() => window.__lab.pins[0]), byHand);
    await a.context().close();

    // The link in a fresh browser: the pinned run is trained again, then the link's own run.
    const b = await recordingPage(env.browser);
    await b.goto(link);
    await until(b, () => window.__lab.ready && window.__lab.pins && window.__lab.pins.length === 1, null, 90000);
    const said = await b.evaluate(() => window.__pinProgress);
    assert.ok(said.some((t) => /^Reproducing pinned run 1 of 1 \(d = 5, n = 8, lr = 0\.003, steps = 400\): step [\d,]+ of 400, trained without drawing/.test(t)), JSON.stringify(said));
    assert.equal(await b.getByTestId("pin-progress").isHidden(), true);
    const again = await b.evaluate(() => window.__lab.pins[0]);
    assert.deepEqual(again, byHand, "same settings and seed: the same ghost, number for number");
    assert.equal(await b.evaluate(() => window.__lab.query), `${SMALL}&labels=shuffled`);
    await until(b, () => window.__lab.status === "done", null, 90000);
    await until(b, () => window.__lab.settled(), null, 30000);
    const loss = await b.evaluate(() => window.__lab.describe("plot-loss"));
    assert.equal(loss.series.filter((s) => /^pinned 1: /.test(s.label)).length, 1);
    // The Numbers table gives the pinned run a row beside the label-blind one.
    assert.match(await b.getByTestId("row-pin-1").innerText(), /pinned 1: d = 5, n = 8/);
    assert.match(await b.getByTestId("row-trained").innerText(), /label-blind/);
    // Copy link in the new browser gives the same link back.
    assert.equal(await copyLink(b), link);
    assert.deepEqual(b.errors, []);
    await b.context().close();
  });

  test("a run pinned before its end is kept with its budget cut there, and its link trains the same numbers", { timeout: 180000 }, async () => {
    const a = await recordingPage(env.browser);
    await a.goto(`${env.server.url}?d=5&n=8&lr=0.003&steps=100000`);
    await until(a, () => window.__lab.step >= 200, null, 90000);
    await a.getByTestId("pin").click();
    const byHand = await a.evaluate(() => window.__lab.pins[0]);
    const at = byHand.final.step;
    assert.ok(at >= 200 && at % 20 === 0, `pinned at the evaluation of step ${at}`);
    assert.equal(byHand.query, `d=5&n=8&lr=0.003&steps=${at}`);
    assert.equal(byHand.curves.step.at(-1), at);
    assert.match(byHand.label, new RegExp(`\\(step ${at.toLocaleString("en-US")}\\)$`));
    const link = await copyLink(a);
    await a.context().close();
    const b = await recordingPage(env.browser);
    await b.goto(link);
    await until(b, () => window.__lab.ready && window.__lab.pins && window.__lab.pins.length === 1, null, 90000);
    assert.deepEqual(await b.evaluate(() => window.__lab.pins[0]), byHand);
    assert.deepEqual(b.errors, []);
    await b.context().close();
  });

  test("hostile pins in a link are named in a notice and dropped; a good one beside them is kept", { timeout: 120000 }, async () => {
    const page = await recordingPage(env.browser);
    const hostile = encodeURIComponent('<img src=x onerror="window.__pwned=1">');
    await page.goto(`${env.server.url}?d=5&n=8&steps=200&pin=${hostile}&pin=d%3D99&pin=${encodeURIComponent("d=4&n=6&steps=60")}`);
    const notice = page.getByTestId("notice");
    await notice.waitFor({ state: "visible", timeout: 60000 });
    await until(page, () => window.__lab.ready && window.__lab.step > 0, null, 90000);
    const text = await notice.innerText();
    assert.match(text, /Pinned run 1 in the link was not used/);
    assert.match(text, /Pinned run 2 in the link was not used: its settings are not valid as written \(d = 99 is above the maximum 32\)/);
    assert.equal(await page.locator("#banners img").count(), 0, "text only, no markup");
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    const pins = await page.evaluate(() => window.__lab.pins.map((p) => p.query));
    assert.deepEqual(pins, ["d=4&n=6&steps=60"]);
    // The page works on: its own run trains to the end, and the link keeps only the good pin.
    await until(page, () => window.__lab.status === "done", null, 90000);
    assert.equal(await page.evaluate(() => window.__lab.query), "d=5&n=8&steps=200");
    assert.equal(await page.evaluate(() => location.search), `?d=5&n=8&steps=200&pin=${encodeURIComponent("d=4&n=6&steps=60")}`);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
