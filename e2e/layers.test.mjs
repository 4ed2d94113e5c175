// Layer by layer (issue 13): the per-layer card draws for ?layers=3 (and for a deep model), the
// path to the construction is computed on demand, and ?init=construction starts at GD's loss
// (the Numbers table's untrained row). Screenshots: layers-k3.png, layers-deep5.png.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { newPage, screenshot, storyShown, until, useBrowser } from "./helpers.mjs";

const firstNumber = (text) => Number(text.split("\n")[0].replace("−", "-").replace("≈ ", "").trim());

describe("layer by layer", () => {
  const env = useBrowser();

  for (const [query, shot, k] of [
    ["layers=3&steps=300", "layers-k3.png", 3],
    ["layers=5&recurrent=false&steps=200", "layers-deep5.png", 5],
  ]) {
    test(`?${query}: the per-layer chart, table and path`, { timeout: 240000 }, async () => {
      const page = await newPage(env.browser, { viewport: { width: 1280, height: 2400 } });
      await page.goto(`${env.server.url}?${query}`);
      await until(page, () => window.__lab.status === "done", null, 200000);
      await until(page, () => window.__lab.snapshot.layers && document.querySelectorAll("[data-testid=layers-table] tbody tr").length > 0);
      const L = await page.evaluate(() => window.__lab.snapshot.layers);
      assert.equal(L.rows.length, k);
      assert.ok(L.rows.every((r) => Number.isFinite(r.loss) && Number.isFinite(r.gd_loss)));
      assert.equal(await page.locator("[data-testid=layers-table] tbody tr").count(), k);
      assert.equal(await page.getByTestId("plot-layers").isVisible(), true);
      assert.match(await page.getByTestId("layers-note").innerText(), /after layer 1/);
      // The path is asked for when training is done.
      await until(page, () => /trained weights score/.test(document.querySelector("[data-testid=path-note]").textContent), null, 60000);
      await storyShown(page);
      const story = await page.getByTestId("story-layers").innerText();
      assert.doesNotMatch(story, /\bNaN\b|\bundefined\b|\bnull\b/);
      assert.match(story, /loss read after layers 1 to/);
      await page.getByTestId("chart-layers").scrollIntoViewIfNeeded();
      await screenshot(page, shot, { fullPage: false, clip: await page.getByTestId("chart-layers").boundingBox() });
      await page.close();
    });
  }

  test("?init=construction starts at GD's loss", { timeout: 120000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(`${env.server.url}?init=construction&steps=20`);
    await until(page, () => window.__lab.snapshot && window.__lab.status === "done", null, 100000);
    await until(page, () => document.querySelector("[data-testid=row-untrained] td") !== null);
    const untrained = firstNumber(await page.getByTestId("row-untrained").locator("td").first().innerText());
    const gd = firstNumber(await page.getByTestId("row-gd").locator("td").first().innerText());
    assert.ok(Number.isFinite(gd) && Math.abs(untrained - gd) <= 1e-3 * gd, `${untrained} vs ${gd}`);
    const snap = await page.evaluate(() => window.__lab.snapshot);
    assert.ok(Math.abs(snap.untrained.loss - snap.baselines.gd_loss) < 1e-5 * snap.baselines.gd_loss);
    await page.close();
  });
});
