// Classic tokens (paper §4, fig. 5): the classic preset, chosen in the Experiment menu, trains in
// the page to its end; the copy chart appears, draws the copy and says it in numbers; the weights
// card says why it shows no heatmap; the layer-by-layer card stays hidden; the loss chart and the
// story compare with one and with two GD steps. A bare ?tokens=classic link names what it set.
// Screenshots: classic-copy.png, classic-weights.png, classic-loss.png.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { newPage, recordTiming, screenshot, storyShown, until, useBrowser } from "./helpers.mjs";

const NO_JUNK = /\bNaN\b|\bundefined\b|\bnull\b|Infinity/;

describe("classic tokens", () => {
  const env = useBrowser();

  test("the classic preset trains, copies, and the page explains it", { timeout: 300000 }, async () => {
    const page = await newPage(env.browser, { viewport: { width: 1280, height: 1000 } });
    await page.goto(env.server.url);
    await until(page, () => window.__lab.ready, null, 60000);
    const t0 = Date.now();
    await page.getByTestId("preset").selectOption("classic");
    const query = await page.evaluate(() => window.__lab.presetQuery("classic"));
    assert.match(query, /tokens=classic/);
    await until(page, (q) => window.__lab.ready && window.__lab.query === q, query, 60000);
    // The preset points at the copy card, which classic runs show.
    const card = page.getByTestId("chart-copy");
    await until(page, () => !document.querySelector("[data-testid=chart-copy]").hidden, null, 30000);
    assert.match(await card.getByTestId("look").innerText(), /y-token curve/);
    await until(page, () => window.__lab.status === "done", null, 240000);
    const seconds = (Date.now() - t0) / 1000;
    await until(page, () => window.__lab.settled(), null, 30000);
    const lab = await page.evaluate(() => ({ snap: window.__lab.snapshot, evals: window.__lab.history.evals, config: window.__lab.config }));
    const { snap, evals } = lab;
    const refs = snap.baselines;
    recordTiming({ classic_preset_seconds: seconds, classic_preset_loss: snap.latest.loss, classic_gd1_loss: refs.gd1_loss });
    console.log(`classic preset in the page: ${seconds.toFixed(1)} s to step ${snap.step}; loss ${snap.latest.loss.toFixed(4)}, one GD step ${refs.gd1_loss.toFixed(4)}, two ${refs.gd_layers.loss.toFixed(4)}`);

    // The engine's numbers, as the native test measures them (same seed, same bits).
    assert.equal(snap.step, 3000);
    assert.equal(refs.gd_steps, 1, "compared with one GD step");
    assert.equal(refs.gd_layers.steps, 2);
    assert.ok(snap.latest.loss <= 1.1 * refs.gd1_loss && snap.latest.loss >= 1.2 * refs.gd_layers.loss, `${snap.latest.loss}`);
    const n = evals.copy_next;
    assert.equal(n.length, evals.step.length, "a copy measurement at every evaluation");
    assert.ok(n[n.length - 1] > 20 * n[0] && n[n.length - 1] > 20 * evals.copy_other[n.length - 1]);

    // The copy card: drawn, and its sentence in numbers.
    const copy = await page.evaluate(() => window.__lab.describe("plot-copy"));
    assert.ok(copy && copy.series.some((s) => /its y token/.test(s.label)) && copy.series.some((s) => /each other token/.test(s.label)), JSON.stringify(copy));
    assert.equal(copy.ranges.length, 2, "norms above, attention below");
    const readout = await page.getByTestId("copy-readout").innerText();
    assert.match(readout, /^At step 3,?000: ‖∂tⱼ\/∂eⱼ₊₁‖ = /);
    assert.match(readout, /attention on the y token/);
    assert.doesNotMatch(readout, NO_JUNK);
    await card.scrollIntoViewIfNeeded();
    await screenshot(page, "classic-copy.png", { clip: await card.boundingBox() });

    // The weights card explains itself instead of drawing heatmaps; the per-layer card is hidden.
    const weights = page.getByTestId("chart-weights");
    assert.equal(await page.getByTestId("weights-classic").isVisible(), true);
    assert.match(await page.getByTestId("weights-classic").innerText(), /no construction to compare/);
    assert.equal(await page.locator("#plot-weights").isVisible(), false);
    assert.equal(await page.getByTestId("chart-layers").isVisible(), false);
    await weights.scrollIntoViewIfNeeded();
    await screenshot(page, "classic-weights.png", { clip: await weights.boundingBox() });

    // The loss chart has both references; the headline and the story say the numbers.
    const loss = await page.evaluate(() => window.__lab.describe("plot-loss"));
    assert.ok(loss.series.some((s) => /^1-step GD/.test(s.label)) && loss.series.some((s) => /^2-step GD/.test(s.label)), JSON.stringify(loss.series.map((s) => s.label)));
    assert.match(await page.getByTestId("headline").innerText(), /2 GD steps/);
    await storyShown(page);
    const story = await page.getByTestId("story-classic").innerText();
    assert.match(story, /against one GD step’s .* and two GD steps’/);
    assert.doesNotMatch(story, NO_JUNK);
    await page.getByTestId("chart-loss").scrollIntoViewIfNeeded();
    await screenshot(page, "classic-loss.png", { clip: await page.getByTestId("chart-loss").boundingBox() });
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("a bare ?tokens=classic link says what classic tokens set", { timeout: 120000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(`${env.server.url}?tokens=classic&steps=10`);
    await until(page, () => window.__lab.ready && window.__lab.status === "done", null, 100000);
    const banner = await page.getByTestId("banners").innerText();
    assert.match(banner, /Classic tokens run the paper’s two-layer model only|Classic tokens run the paper's two-layer model only/);
    assert.match(banner, /layers = 2/);
    const config = await page.evaluate(() => window.__lab.config);
    assert.deepEqual([config.tokens, config.layers, config.recurrent, config.attn], ["classic", 2, false, "softmax"]);
    assert.equal(await page.getByTestId("value-layers").inputValue(), "2");
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
