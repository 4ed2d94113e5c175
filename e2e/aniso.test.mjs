// Stretched inputs (anisotropy κ, critique 2): the page shows one step of preconditioned GD
// beside plain GD — a row in the Numbers table, a line in the loss chart, the alignment with it
// in words — the κ control sits with the task settings, and the preset trains past plain GD
// (screenshot preset-aniso.png).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { newPage, screenshot, storyText, until, useBrowser } from "./helpers.mjs";

const BAD_TEXT = /\bNaN\b|\bundefined\b|\bnull\b|Infinity/;

/** A table cell's first line (its main value) as a number, or NaN. */
function parseNumber(text) {
  return Number(text.split("\n")[0].replace("−", "-").replace("≈ ", "").trim());
}

describe("stretched inputs (aniso)", () => {
  const env = useBrowser();

  test("?aniso=3&steps=400 trains and shows preconditioned GD everywhere, with no NaN", { timeout: 120000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(`${env.server.url}?aniso=3&steps=400`);
    await until(page, () => window.__lab.status === "done", null, 100000);
    // The slow drawing tier runs at once when training stops; wait for its texts.
    await until(page, () => /preconditioned/.test(document.querySelector("[data-testid=align-readout]").textContent));

    const refs = await page.evaluate(() => window.__lab.snapshot.baselines);
    assert.ok(Number.isFinite(refs.pgd_loss) && refs.pgd_loss < refs.gd1_loss, "preconditioned GD beats plain GD at κ = 3");
    assert.ok(Number.isFinite(refs.clip_norm));

    // The control: in the Task group, showing κ = 3; the preset list offers the experiment.
    const group = await page.locator("fieldset.group", { has: page.locator("[data-key=aniso]") }).locator("legend").innerText();
    assert.equal(group.trim().toLowerCase(), "task");
    assert.equal(await page.getByTestId("value-aniso").inputValue(), "3");
    const presets = await page.getByTestId("preset").locator("option").evaluateAll((os) => os.map((o) => o.value));
    assert.ok(presets.includes("aniso"), presets.join(","));

    // The gradient clip on auto shows the value the engine uses.
    assert.equal(await page.getByTestId("auto-clip").isChecked(), true);
    assert.equal(Number(await page.getByTestId("value-clip").inputValue()), refs.clip_norm);

    // The table: a preconditioned-GD row with a finite loss, and the transformer against it.
    const rows = page.locator("[data-testid=numbers] tbody tr");
    assert.equal(await rows.count(), 9);
    const pgd = page.getByTestId("row-pgd");
    assert.match(await pgd.locator("th").innerText(), /preconditioned GD/);
    const loss = parseNumber(await pgd.locator("td").first().innerText());
    assert.ok(Number.isFinite(loss) && loss > 0, `preconditioned GD's loss is shown: ${loss}`);
    assert.ok(Math.abs(loss - refs.pgd_loss) < 1e-3 * refs.pgd_loss + 1e-4, `${loss} vs ${refs.pgd_loss}`);
    const trained = await page.getByTestId("row-trained").locator("td").allInnerTexts();
    assert.ok(trained.slice(1).every((t) => /\nPGD [−+\d]/.test(t)), trained.join(" | "));

    // The loss chart's legend names it; the story links the preset and states the numbers.
    assert.match(await page.getByTestId("chart-loss").locator(".legend").innerText(), /preconditioned GD/);
    assert.equal(await page.getByTestId("story").locator("button[data-preset=aniso]").count(), 1);
    assert.match(await storyText(page), /preds diff against preconditioned GD \d[\d.]*, against GD \d/);
    assert.doesNotMatch(await storyText(page), /Here κ = 1/);

    assert.match(await page.getByTestId("eta-sentence").innerText(), /preconditioned GD step uses η\/N = \d/);

    const text = await page.evaluate(() => document.body.innerText);
    assert.doesNotMatch(text, BAD_TEXT);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("the default page shows no preconditioned-GD row", { timeout: 60000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(`${env.server.url}?steps=30`);
    await until(page, () => window.__lab.status === "done", null, 50000);
    await until(page, () => document.querySelectorAll("[data-testid=numbers] tbody tr").length > 0);
    assert.equal(await page.getByTestId("row-pgd").count(), 0);
    assert.equal(await page.getByTestId("align-readout").isHidden(), true);
    assert.doesNotMatch(await page.getByTestId("numbers").innerText(), /PGD/);
    await until(page, () => window.__lab.settled());
    assert.match(await storyText(page), /Here κ = 1: the inputs are symmetric/);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("the preset trains past plain GD towards preconditioned GD (screenshot)", { timeout: 150000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(env.server.url);
    await until(page, () => window.__lab.ready);
    await page.getByTestId("preset").selectOption("aniso");
    await until(page, () => window.__lab.ready && window.__lab.query === "aniso=3", null, 60000);
    assert.match(await page.getByTestId("preset-desc").innerText(), /preconditioned GD/);
    // Past plain GD's loss (from ≈ step 1800 with the default seed), with the read-outs in.
    await until(
      page,
      () => {
        const s = window.__lab.snapshot;
        return s && s.step >= 2500 && s.latest.loss < s.baselines.gd_loss && window.__lab.ood && window.__lab.sweep;
      },
      null,
      130000,
    );
    await page.getByTestId("play").click(); // pause, so the picture is of one moment
    await until(page, () => window.__lab.status === "paused");
    await until(page, () => /is closer to/.test(document.querySelector("[data-testid=align-readout]").textContent));
    await until(page, () => window.__lab.settled());
    const text = await page.evaluate(() => document.body.innerText);
    assert.doesNotMatch(text, BAD_TEXT);
    await screenshot(page, "preset-aniso.png", { fullPage: true });
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
