// Run controls and presets: pause stops the step counter, Step +10 takes ten steps, and a preset
// (two recurrent layers vs GD++) loads its settings and draws; its screenshot is saved.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { labState, newPage, screenshot, until, useBrowser } from "./helpers.mjs";

describe("run controls", () => {
  const env = useBrowser();

  test("pause stops the step counter; play and step go on", { timeout: 90000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(`${env.server.url}?d=5&n=8&steps=100000`);
    await until(page, () => window.__lab.step > 20, null, 60000);
    await page.getByTestId("play").click(); // it reads "Pause" while training
    await until(page, () => window.__lab.status === "paused" && !window.__lab.running);
    const a = (await labState(page)).step;
    const shownA = await page.getByTestId("step").innerText();
    await page.waitForTimeout(500); // the counter must not move during this interval
    const b = (await labState(page)).step;
    assert.equal(b, a);
    assert.equal(await page.getByTestId("step").innerText(), shownA);
    assert.equal(await page.getByTestId("status").innerText(), "paused");

    await page.getByTestId("step-button").click();
    await until(page, (s) => window.__lab.step === s + 10 && window.__lab.status === "paused", a);

    await page.getByTestId("play").click();
    await until(page, (s) => window.__lab.step > s + 10, a);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("a preset loads its settings and draws (screenshot)", { timeout: 120000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(env.server.url);
    await until(page, () => window.__lab.ready);
    await page.getByTestId("preset").selectOption("gdpp");
    await until(page, () => window.__lab.ready && window.__lab.query === "layers=2&lr=0.002", null, 60000);
    assert.match(await page.evaluate(() => location.search), /^\?layers=2&lr=0\.002$/);
    assert.equal(await page.getByTestId("value-layers").inputValue(), "2");
    assert.match(await page.getByTestId("preset-desc").innerText(), /GD\+\+/);
    await until(page, () => window.__lab.step >= 600 && window.__lab.ood && window.__lab.sweep, null, 90000);
    const s = await page.evaluate(() => window.__lab.snapshot.baselines);
    assert.equal(s.gd_steps, 2);
    // The preset's claim: the trained model ends below two plain GD steps (the GD++ line it is
    // compared with beats GD by construction of its tuner, so that alone would prove nothing).
    await until(page, () => window.__lab.snapshot.latest.loss < window.__lab.snapshot.baselines.gd_loss, null, 90000);
    await screenshot(page, "preset-gdpp.png", { fullPage: true });
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
