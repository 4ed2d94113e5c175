// The guided tour (issue 11): its steps (www/tour.js) agree with the engine (as many as link.rs
// accepts in `tour=N`, each an engine preset, each pointing at a card of the page), its checks
// word made-up states truthfully (in Node), and on the page it opens, moves with the buttons and
// the keyboard, marks a visible card per step, says what the page's own numbers show, survives
// quick skipping, and lives in the link (`tour=N`, validated by the engine). A screenshot of a
// step in e2e/artifacts/tour-step.png.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { STEPS, sentence } from "../www/tour.js";
import { int } from "../www/format.js";
import { newPage, screenshot, until, useBrowser } from "./helpers.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The engine's wasm build in Node. */
async function engine() {
  const mod = await import(path.join(root, "www", "pkg", "icl_lab.js"));
  mod.initSync({ module: fs.readFileSync(path.join(root, "www", "pkg", "icl_lab_bg.wasm")) });
  return mod;
}

/** A made-up live state: a one-layer run at `step`, with every field a check may read. */
function live({ phase = "training", step = 140, loss = 0.2624, reached = null, verdict = "learning", evals = null, ood = null, sweep = null, layers = null, status = "training" } = {}) {
  const row = { step, loss, preds_diff: 0.05, model_cos: 0.99, model_diff: 0.2, eta_over_n: 0.55, pgd: { preds_diff: 0.02, model_cos: 0.999, model_diff: 0.1 } };
  return {
    phase,
    snap: {
      step,
      steps: 5000,
      status,
      latest: row,
      untrained: { step: 0, loss: 0.42, preds_diff: 0.5, model_cos: 0.01, model_diff: 2.1, eta_over_n: 0 },
      baselines: { zero_loss: 0.42, gd1_loss: 0.205, gd_loss: 0.205, gd_eta_star: 6.16, gdpp_loss: 0.111, gdpp_steps_loss: 0.0056, ols_loss: 0, ridge_loss: 0.15, pgd_loss: 0.2351 },
      progress: { target: "gd", target_loss: 0.205, reached_at: reached, reached_gd_at: reached, flat_since: verdict === "learning" ? null : 40, verdict },
      weights: { construction: { eta_over_n: 0.616 } },
      layers,
    },
    evals: evals || { step: [0, 20, 40], loss: [0.42, 0.41, 0.4] },
    ood,
    sweep,
    config: { d: 10, n: 10, layers: 1 },
  };
}

describe("the tour's steps (www/tour.js)", () => {
  test("as many steps as the engine's tour=N accepts, each an engine preset and a card of the page", async () => {
    const { view_parts, presets } = await engine();
    assert.equal(STEPS.length, JSON.parse(view_parts()).tour_steps);
    const names = JSON.parse(presets()).map((p) => p.name);
    const html = fs.readFileSync(path.join(root, "www", "index.html"), "utf8");
    for (const s of STEPS) {
      assert.ok(names.includes(s.preset), `${s.title}: no preset ${s.preset}`);
      const id = /^\[data-testid="([a-z-]+)"\]$/.exec(s.target);
      assert.ok(id && html.includes(`data-testid="${id[1]}"`), `${s.title}: ${s.target}`);
      for (const text of [s.title, s.about, s.watch]) assert.ok(text.length > 10, s.title);
      // The numbers are live: no measured value is written into a step.
      assert.doesNotMatch(`${s.about} ${s.watch}`, /\d\.\d/, s.title);
    }
  });

  test("a check words the state it is given: running, met, missed, paused", () => {
    const fig2 = STEPS[0];
    let out = sentence(fig2, live(), false);
    assert.equal(out.state, "running");
    assert.equal(out.text, "Training… step 140: loss 0.2624, 28 % above GD’s 0.205 so far.");
    out = sentence(fig2, live({ step: 860, loss: 0.2064, reached: 520 }), false);
    assert.equal(out.state, "met");
    assert.match(out.text, /^Now: within 1 % of GD at step 520; at step 860 the loss is 0\.2064, 0\.7 % above GD’s 0\.205\.$/);
    // The premise is false: the run ended without getting there, and the sentence says what it reached.
    out = sentence(fig2, live({ phase: "done", status: "done", step: 5000, loss: 0.31 }), false);
    assert.equal(out.state, "missed");
    assert.equal(out.text, "The run ended at step 5,000: its loss is 0.31, 51 % above GD’s 0.205: it did not get within 1 % of GD.");
    out = sentence(fig2, live({ phase: "paused" }), true);
    assert.match(out.text, /^With settings changed from this step’s experiment: Paused at step 140: /);
  });

  test("claims follow the numbers: each step says what happened when its premise is false", () => {
    const by = (preset) => STEPS.find((s) => s.preset === preset);
    // Two layers above two plain GD steps at the end.
    let out = sentence(by("gdpp"), live({ phase: "done", status: "done", loss: 0.3 }), false);
    assert.equal(out.state, "missed");
    assert.match(out.text, /not below two plain GD steps/);
    out = sentence(by("gdpp"), live({ loss: 0.112 }), false);
    assert.equal(out.state, "met");
    // One softmax head that never leaves its plateau.
    out = sentence(by("softmax1"), live({ phase: "done", status: "done", loss: 0.41, verdict: "plateau" }), false);
    assert.equal(out.state, "missed");
    assert.match(out.text, /still on its plateau/);
    out = sentence(by("softmax1"), live({ loss: 0.3, evals: { step: [0, 20, 760, 780], loss: [0.42, 0.41, 0.37, 0.3] } }), false);
    assert.equal(out.state, "met");
    assert.match(out.text, /at step 760 its loss first fell below 0\.9 × the zero predictor’s 0\.42/);
    // Out of distribution: a model that stays far below GD's failure is not said to follow it.
    const ood = (model) => [
      { alpha: 1, model: 0.205, gd: 0.204, ols: 0 },
      { alpha: 2, model, gd: 8.6, ols: 0 },
    ];
    out = sentence(by("ood"), live({ reached: 480, ood: ood(8.1) }), false);
    assert.match(out.text, /follows GD into its failure/);
    out = sentence(by("ood"), live({ reached: 480, ood: ood(1.2) }), false);
    assert.match(out.text, /does not follow GD’s failure/);
    // The cosine sweep: flat cosine, distance smallest near η*, or not.
    const sweep = (cos) => [0.6, 3, 6.2, 12, 24].map((eta, i) => ({ eta, model_cos: cos[i], preds_diff: Math.abs(Math.log(eta / 6.16)) + 0.02 }));
    out = sentence(by("fig2") && STEPS[2], live({ reached: 480, sweep: sweep([0.999, 0.999, 0.999, 0.999, 0.998]) }), false);
    assert.equal(out.state, "met");
    assert.match(out.text, /smallest at η = 6\.2 \(η\* = 6\.16\)/);
    out = sentence(STEPS[2], live({ phase: "done", status: "done", reached: 480, sweep: sweep([0.999, 0.9, 0.999, 0.999, 0.998]) }), false);
    assert.equal(out.state, "missed");
    assert.match(out.text, /the cosine is not flat/);
  });

  test("while the references a step compares with are computed, it says so and claims nothing", () => {
    const s = live({ reached: 480, loss: 0.2 });
    s.snap.pending = ["gd", "ols", "gdpp"];
    s.snap.baselines.gd_loss = null;
    let out = sentence(STEPS[0], s, false);
    assert.equal(out.state, "running");
    assert.equal(out.text, "Training… step 140: loss 0.2; still computing what this step compares it with (K-step GD)…");
    // Stages a step does not read do not hold it back.
    s.snap.pending = ["ood"];
    s.snap.baselines.gd_loss = 0.205;
    out = sentence(STEPS[0], s, false);
    assert.equal(out.state, "met");
    for (const step of STEPS) assert.ok(step.needs.length > 0, step.title);
  });

  test("every check answers every phase in words and numbers, never 'undefined' or 'NaN'", () => {
    const rows = [1, 2, 3, 4, 5].map((k) => ({ layer: k, loss: 0.3 / k }));
    const states = [
      live(),
      live({ phase: "paused" }),
      live({ phase: "done", status: "done", step: 5000 }),
      live({ phase: "diverged", status: "diverged", loss: null }),
      live({ reached: 480, loss: 0.2, ood: [{ alpha: 1, model: 0.2, gd: 0.2, ols: 0 }, { alpha: 2, model: 8, gd: 8.6, ols: 0 }], sweep: [{ eta: 6, model_cos: 0.999, preds_diff: 0.02 }], layers: { step: 140, rows } }),
    ];
    for (const step of STEPS) {
      for (const s of states) {
        const out = sentence(step, s, false);
        assert.ok(["running", "met", "missed"].includes(out.state), `${step.title}: ${out.state}`);
        assert.match(out.text, /\d/, `${step.title}: ${out.text}`);
        assert.doesNotMatch(out.text, /undefined|NaN|null|\[object/, `${step.title}: ${out.text}`);
      }
    }
  });
});

// ---- on the page ------------------------------------------------------------------------------

const SMALL = "d=1&n=5&steps=300&eval_tasks=256";

/** The page's tour: {step, target, state, text} or null when closed. */
const tourOf = (page) => page.evaluate(() => window.__lab.tour);

/**
 * In the page, recomputes the tour's sentence from the page's state with tour.js itself and
 * compares: the tour shows exactly what the page's own numbers say.
 */
async function sentenceAgrees(page) {
  // A read-out asked for when the run paused may still arrive: the tour words it within a round
  // of the page's text tier.
  let s = null;
  for (let i = 0; i < 40; i++) {
    s = await sentenceNow(page);
    if (s.shown === s.computed) break;
    await page.waitForTimeout(250);
  }
  return s;
}

function sentenceNow(page) {
  return page.evaluate(async () => {
    const { STEPS, sentence } = await import("./tour.js");
    const { canonicalPairs } = await import("./presets.js");
    const lab = window.__lab;
    const t = lab.tour;
    const step = STEPS[t.step - 1];
    const changed = canonicalPairs(lab.query) !== canonicalPairs(lab.presetQuery(step.preset));
    const state = { phase: lab.status, snap: lab.snapshot, evals: lab.history.evals, ood: lab.ood, sweep: lab.sweep, config: lab.config };
    return { shown: t.text, computed: sentence(step, state, changed).text, latest: lab.snapshot.latest.step, state: t.state };
  });
}

/** Pauses the run on show (if it trains) and waits until everything it sent is drawn. */
async function pauseAndSettle(page) {
  if ((await page.evaluate(() => window.__lab.status)) === "training") await page.getByTestId("play").click();
  await until(page, () => window.__lab.status === "paused" || window.__lab.status === "done", null, 30000);
  await until(page, () => window.__lab.settled(), null, 30000);
  await page.waitForTimeout(700); // one more round of the text tier, after the last snapshot
}

describe("the guided tour on the page", () => {
  const env = useBrowser();

  test("opens from the button, moves with Next, Back and the arrow keys, closes with Esc (screenshot)", { timeout: 180000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(env.server.url);
    await until(page, () => window.__lab.ready && window.__lab.step > 0);
    await page.getByTestId("tour-open").click();
    const dialog = page.getByTestId("tour");
    assert.equal(await dialog.isVisible(), true);
    assert.equal(await page.getByTestId("tour-count").textContent(), `Step 1 of ${STEPS.length}`);
    assert.equal(await page.getByTestId("tour-title").textContent(), STEPS[0].title);
    // The keyboard focus is in the dialog, on its title; it is labelled by it, and has a live region.
    assert.equal(await page.evaluate(() => document.activeElement.id), "tour-title");
    assert.equal(await dialog.getAttribute("aria-labelledby"), "tour-title");
    assert.equal(await page.getByTestId("tour-announce").getAttribute("aria-live"), "polite");
    assert.match(await page.getByTestId("tour-announce").textContent(), /^Step 1 of \d+: One layer/);
    // Step 1 is the default run: it carries on (no new run), and the loss chart is marked.
    assert.equal(await page.evaluate(() => window.__lab.starts), 0);
    assert.match(await page.evaluate(() => location.search), /^\?tour=1$/);
    await until(page, () => document.querySelector(".tour-target") !== null, null, 10000);
    assert.equal(await page.locator(".tour-target").getAttribute("data-testid"), "chart-loss");
    assert.equal(await page.locator(".tour-target").isVisible(), true);
    // When the run gets within 1 % of GD, the sentence says so, at the engine's step.
    const reached = await until(page, () => window.__lab.snapshot.progress.reached_gd_at, null, 90000);
    await until(page, (r) => window.__lab.tour.state === "met" && window.__lab.tour.text.includes(`within 1 % of GD at step ${r}`), reached, 10000);
    assert.match(await page.getByTestId("tour-live").textContent(), new RegExp(`^Now: within 1 % of GD at step ${reached}; at step [\\d,]+ the loss is \\d`));
    // (Said alone once the run gets there; with the step's title when the tour opened after it.)
    assert.match(await page.getByTestId("tour-announce").textContent(), /(^|\. )Now: within 1 % of GD/);
    await until(page, () => window.__lab.settled(), null, 30000);
    await screenshot(page, "tour-step.png");

    // Next (button): step 2, same settings, so the same run goes on; the weights are marked.
    await page.getByTestId("tour-next").click();
    assert.equal((await tourOf(page)).step, 2);
    await until(page, () => document.querySelector(".tour-target")?.getAttribute("data-testid") === "chart-weights", null, 10000);
    assert.equal(await page.evaluate(() => window.__lab.starts), 0);
    // The arrow keys inside the dialog: → step 3 (the sweep), ← back to 2.
    await page.keyboard.press("ArrowRight");
    assert.equal((await tourOf(page)).step, 3);
    await until(page, () => document.querySelector(".tour-target")?.getAttribute("data-testid") === "chart-sweep", null, 10000);
    await page.keyboard.press("ArrowLeft");
    assert.equal((await tourOf(page)).step, 2);
    // Back (button) to step 1: Back is then disabled, and the focus is not lost.
    await page.getByTestId("tour-back").click();
    assert.equal((await tourOf(page)).step, 1);
    assert.equal(await page.getByTestId("tour-back").isDisabled(), true);
    assert.equal(await page.evaluate(() => document.activeElement.id), "tour-next");
    // Esc closes: no mark, no veil, the focus back on the button, and the link without `tour`.
    await page.keyboard.press("Escape");
    assert.equal(await dialog.isVisible(), false);
    assert.equal(await page.locator(".tour-target").count(), 0);
    assert.equal(await page.evaluate(() => document.body.classList.contains("touring")), false);
    assert.equal(await page.evaluate(() => document.activeElement.id), "tour-open");
    assert.doesNotMatch(await page.evaluate(() => location.search), /tour=/);
    assert.equal(await tourOf(page), null);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("every step loads its experiment, marks a visible card and words the page's own numbers", { timeout: 420000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(`${env.server.url}?tour=1`);
    await until(page, () => window.__lab.tour && window.__lab.tour.step === 1, null, 60000);
    for (let i = 1; i <= STEPS.length; i++) {
      const step = STEPS[i - 1];
      if (i > 1) {
        // The sentence of a step that starts a run speaks only once that run is on show.
        const right = await page.evaluate(() => {
          document.getElementById("tour-next").click();
          return window.__lab.tour;
        });
        assert.equal(right.step, i);
        const want = await page.evaluate((name) => window.__lab.presetQuery(name), step.preset);
        const before = await page.evaluate(() => window.__lab.query);
        if (want !== before) assert.equal(right.state, "loading", `${step.title}: ${right.text}`);
      }
      await until(page, () => window.__lab.tour.state !== "loading" && window.__lab.step > 0, null, 120000);
      const q = await page.evaluate(() => ({ query: window.__lab.query, search: location.search }));
      assert.equal(q.query, await page.evaluate((name) => window.__lab.presetQuery(name), step.preset), step.title);
      assert.match(q.search, new RegExp(`[?&]tour=${i}$`), step.title);
      // The mark: exactly the step's card, on the page and visible.
      await until(page, (sel) => document.querySelector(".tour-target") === document.querySelector(sel), step.target, 30000);
      assert.equal(await page.locator(".tour-target").count(), 1);
      assert.equal(await page.locator(step.target).isVisible(), true, step.title);
      // Paused, the sentence is exactly what tour.js says of the page's state, with its numbers.
      await pauseAndSettle(page);
      const s = await sentenceAgrees(page);
      assert.equal(s.shown, s.computed, step.title);
      assert.match(s.shown, /\d/, step.title);
      if (s.state === "running") assert.ok(s.shown.startsWith(`Paused at step ${int(s.latest)}:`), `${step.title}: ${s.shown}`);
    }
    assert.equal(await page.getByTestId("tour-next").textContent(), "Finish");
    await page.getByTestId("tour-next").click();
    assert.equal(await page.getByTestId("tour").isVisible(), false);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("skipping ahead and back quickly replaces the pending runs: no stale numbers, no errors", { timeout: 180000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(`${env.server.url}?${SMALL}`);
    await until(page, () => window.__lab.ready && window.__lab.step > 0);
    await page.getByTestId("tour-open").click();
    // Five times Next and twice Back without waiting: steps 1 → 6 → 4 (fig2, label-blind, gdpp,
    // then fig2's settings again).
    for (const key of ["ArrowRight", "ArrowRight", "ArrowRight", "ArrowRight", "ArrowRight", "ArrowLeft", "ArrowLeft"]) await page.keyboard.press(key);
    assert.equal((await tourOf(page)).step, 4);
    await until(page, () => window.__lab.tour.state !== "loading" && window.__lab.step > 0, null, 90000);
    // The run on show is step 4's (the default settings), and its sentence is about that run.
    assert.equal(await page.evaluate(() => window.__lab.query), "");
    const t = await tourOf(page);
    assert.equal(t.target, STEPS[3].target);
    await pauseAndSettle(page);
    const s = await sentenceAgrees(page);
    assert.equal(s.shown, s.computed);
    assert.doesNotMatch(s.shown, /changed/);
    assert.match(await page.evaluate(() => location.search), /^\?tour=4$/);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("tour=3 in a link opens step 3; Copy link keeps it; Esc closes the Copy link dialog first", { timeout: 120000 }, async () => {
    const page = await newPage(env.browser, { permissions: ["clipboard-read", "clipboard-write"] });
    await page.goto(`${env.server.url}?tour=3`);
    await until(page, () => window.__lab.tour && window.__lab.tour.step === 3 && window.__lab.tour.state !== "loading", null, 60000);
    assert.equal(await page.getByTestId("tour").isVisible(), true);
    assert.equal(await page.getByTestId("tour-title").textContent(), STEPS[2].title);
    await until(page, () => document.querySelector(".tour-target")?.getAttribute("data-testid") === "chart-sweep", null, 10000);
    // Step 3's settings are the link's own: its run was kept, not started again.
    assert.equal(await page.evaluate(() => window.__lab.starts), 0);
    assert.match(await page.evaluate(() => location.search), /^\?tour=3$/);
    await page.getByTestId("copy-link").click();
    await until(page, () => document.getElementById("share-dialog").open, null, 5000);
    assert.match(await page.getByTestId("share-link").inputValue(), /\?tour=3$/);
    await page.getByTestId("share-autoplay").uncheck();
    assert.match(await page.getByTestId("share-link").inputValue(), /\?autoplay=false&tour=3$/);
    await page.keyboard.press("Escape");
    assert.equal(await page.evaluate(() => document.getElementById("share-dialog").open), false);
    assert.equal(await page.getByTestId("tour").isVisible(), true, "the tour stays open");
    // A step with other settings: tour=6 opens the two-layer experiment.
    await page.goto(`${env.server.url}?tour=6`);
    await until(page, () => window.__lab.tour && window.__lab.tour.step === 6 && window.__lab.tour.state !== "loading", null, 90000);
    assert.equal(await page.evaluate(() => window.__lab.config.layers), 2);
    assert.match(await page.evaluate(() => location.search), /^\?layers=2&lr=0\.002&tour=6$/);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("a hostile tour value gets a notice, the page trains without the tour", { timeout: 120000 }, async () => {
    const page = await newPage(env.browser);
    for (const bad of ["99", "abc", "0", "%3Cscript%3E"]) {
      await page.goto(`${env.server.url}?${SMALL}&tour=${bad}`);
      await until(page, () => window.__lab.ready && window.__lab.step > 0, null, 60000);
      const notice = await page.getByTestId("notice").innerText();
      assert.match(notice, /tour must be a step number from 1 to \d+/, `${bad}: ${notice}`);
      assert.equal(await page.getByTestId("tour").isVisible(), false, bad);
      assert.doesNotMatch(await page.evaluate(() => location.search), /tour=/, bad);
      assert.equal(await page.getByTestId("tour-open").isEnabled(), true, bad);
    }
    // A frame showing some cards has no room for the tour: a notice, and the cards.
    await page.goto(`${env.server.url}?${SMALL}&view=loss&tour=2`);
    await until(page, () => window.__lab.ready && window.__lab.step > 0, null, 60000);
    assert.match(await page.getByTestId("notice").innerText(), /tour=2 was not used/);
    assert.equal(await page.getByTestId("tour").isVisible(), false);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("a link that fixes settings turns the tour off, unless it opens the tour itself", { timeout: 120000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(`${env.server.url}?${SMALL}&lock=lr`);
    await until(page, () => window.__lab.ready);
    assert.equal(await page.getByTestId("tour-open").isDisabled(), true);
    assert.equal(await page.getByTestId("story-tour").isDisabled(), true);
    await page.goto(`${env.server.url}?lock=all&tour=2`);
    await until(page, () => window.__lab.tour && window.__lab.tour.step === 2, null, 60000);
    assert.equal(await page.getByTestId("tour-open").isEnabled(), true);
    assert.match(await page.evaluate(() => location.search), /^\?lock=all&tour=2$/);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
