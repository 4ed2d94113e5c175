// Prompts unlike training (src/shift.rs, www/shifts.js): the preset's link trains, the card's
// table shows a row per shift with the engine's numbers, the sentences follow them, a slider
// changes a shift without retraining, and a hostile value is corrected with a notice
// (screenshot card-shifts.png). The sentences' logic is also tested on made-up rows in Node.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { shiftSentences } from "../www/shifts.js";
import { newPage, screenshot, storyText, until, useBrowser } from "./helpers.mjs";

const BAD_TEXT = /\bNaN\b|\bundefined\b|\bnull\b|Infinity/;

const row = (shift, value, model, gd, extra = {}) => ({ shift, value, model, gd, gd_from_mean: NaN, compared: gd, ols: 0, ridge: 0, zero: 0.5, preds_diff: 0.03, ...extra });

test("the sentences say which learner the transformer is nearer, as the rows give it", () => {
  const base = row("none", 0, 0.2, 0.2, { preds_diff: 0.02 });
  const [fromZero] = shiftSentences([base, row("task_mean", 1, 0.42, 0.41, { gd_from_mean: 0.2, zero: 0.9 })]);
  assert.match(fromZero, /nearer GD from W₀ = 0 than GD from the tasks’ mean \(0\.2/);
  const [fromMean] = shiftSentences([base, row("task_mean", 1, 0.22, 0.41, { gd_from_mean: 0.2, zero: 0.9 })]);
  assert.match(fromMean, /nearer GD from the tasks’ mean/);
  const [worse] = shiftSentences([base, row("correlated", 0.5, 1.3, 1.4)]);
  assert.match(worse, /the transformer and GD both do worse than predicting 0/);
  const [better] = shiftSentences([base, row("stretched", 4, 0.3, 0.35)]);
  assert.doesNotMatch(better, /worse than predicting 0/);
  assert.match(better, /differ from GD’s by 0\.03 on average \(0\.02 on the training distribution\)\./);
  assert.match(shiftSentences([base])[0], /Set κ_test, ρ or μ/);
  assert.deepEqual(shiftSentences([]), []);
});

describe("prompts unlike training", () => {
  const env = useBrowser();

  test("the preset's link fills the card from the engine, and a slider shifts without retraining", { timeout: 180000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(`${env.server.url}?steps=2000&test_aniso=4&test_corr=0.5&task_mean=1`);
    await until(page, () => window.__lab.status === "done", null, 150000);
    await until(page, () => (window.__lab.shifts || []).length === 4 && window.__lab.shifts[0].model === window.__lab.snapshot.latest.loss, null, 30000);
    const rows = await page.evaluate(() => window.__lab.shifts);
    assert.deepEqual(rows.map((r) => r.shift), ["none", "stretched", "correlated", "task_mean"]);
    // The preset's menu entry is selected by its link.
    assert.equal(await page.getByTestId("preset").inputValue(), "shifted");

    // The table shows the engine's numbers; the sentences name each shift with them.
    const card = page.getByTestId("card-shifts");
    await until(page, () => document.querySelectorAll("#shifts-body tr").length === 4);
    const mean = card.getByTestId("shift-task_mean");
    const cells = await mean.locator("td").allInnerTexts();
    assert.ok(Math.abs(Number(cells[0]) - rows[3].model) <= 1e-3 * rows[3].model, `${cells[0]} vs ${rows[3].model}`);
    const readout = await card.getByTestId("shifts-readout").innerText();
    assert.match(readout, /With task mean μ = 1: transformer \d/);
    assert.match(readout, /With stretched inputs \(κ_test = 4\)/);
    assert.doesNotMatch(readout, BAD_TEXT);
    assert.doesNotMatch(await card.innerText(), BAD_TEXT);
    // The story's critique item shows the same sentences.
    assert.match(await storyText(page), /Here: With stretched inputs/);

    // A slider in the card: μ = 2, no new run, the row follows.
    const starts = await page.evaluate(() => window.__lab.starts);
    const box = page.getByTestId("value-task_mean");
    await box.fill("2");
    await box.press("Enter");
    await until(page, () => (window.__lab.shifts || []).some((r) => r.shift === "task_mean" && r.value === 2), null, 30000);
    assert.equal(await page.evaluate(() => window.__lab.starts), starts, "a shift does not retrain");
    assert.match(page.url(), /task_mean=2/);
    // The card alone, as in an embed view: a slide of it, without the page's sticky bar on top.
    await page.goto(`${env.server.url}?steps=2000&test_aniso=4&test_corr=0.5&task_mean=1&view=shifts`);
    await until(page, () => window.__lab.status === "done" && (window.__lab.shifts || []).length === 4, null, 150000);
    await until(page, () => !/computing/.test(document.querySelector("[data-testid=shifts-readout]").textContent));
    await screenshot(page, "card-shifts.png");
    await page.close();
  });

  test("a hostile shift value is corrected with a notice and the page trains", { timeout: 120000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(`${env.server.url}?steps=60&test_corr=7&task_mean=abc`);
    await until(page, () => window.__lab.step > 0, null, 60000);
    const notice = page.getByTestId("notice");
    await notice.waitFor({ state: "visible", timeout: 60000 });
    const notices = await notice.innerText();
    assert.match(notices, /test_corr/);
    assert.match(notices, /task_mean/);
    const config = await page.evaluate(() => window.__lab.config);
    assert.equal(config.test_corr, 0.95);
    assert.equal(config.task_mean, 0);
    await page.close();
  });
});
