// Settings and the URL: a shared link reproduces a run exactly, sliders and the query string
// agree both ways, and a hostile link is corrected, reported as text, and still trains.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { labState, newPage, until, useBrowser } from "./helpers.mjs";

describe("settings in the URL", () => {
  const env = useBrowser();

  test("a shared link trained to the end twice gives identical numbers", { timeout: 120000 }, async () => {
    const page = await newPage(env.browser);
    const link = `${env.server.url}?d=5&n=8&seed=7&steps=200&eval_every=10`;
    const run = async () => {
      await until(page, () => window.__lab.status === "done", null, 55000);
      return page.evaluate(() => ({
        query: window.__lab.query,
        step: window.__lab.step,
        latest: window.__lab.snapshot.latest,
        refs: window.__lab.snapshot.baselines,
        train: window.__lab.history.train_loss.slice(0, 200),
        evals: window.__lab.history.evals.loss,
      }));
    };
    await page.goto(link);
    const first = await run();
    await page.reload();
    const second = await run();
    assert.equal(first.step, 200);
    assert.equal(first.train.length, 200);
    assert.equal(first.evals.length, 21);
    for (const k of ["d=5", "n=8", "seed=7", "steps=200", "eval_every=10"]) assert.ok(first.query.includes(k), first.query);
    assert.deepEqual(second, first);
    await page.context().close();
  });

  test("sliders and the URL agree", { timeout: 120000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(`${env.server.url}?n=20&lr=0.002`);
    await until(page, () => window.__lab.ready);
    assert.equal(await page.getByTestId("slider-n").inputValue(), "20");
    assert.equal(await page.getByTestId("value-n").inputValue(), "20");
    assert.equal(await page.getByTestId("value-lr").inputValue(), "0.002");
    assert.equal(await page.getByTestId("slider-lr").getAttribute("aria-valuetext"), "0.002");

    // Keyboard on a linear slider: d 10 -> 11 restarts the run and lands in the URL.
    await page.getByTestId("slider-d").focus();
    await page.keyboard.press("ArrowRight");
    await until(page, () => window.__lab.ready && window.__lab.query.includes("d=11"), null, 60000);
    assert.match(await page.evaluate(() => location.search), /[?&]d=11(&|$)/);
    assert.match(await page.evaluate(() => location.search), /[?&]n=20(&|$)/);
    // The engine restarted with d = 11 (its config, not only the URL) and trains it.
    await until(page, () => window.__lab.config && window.__lab.config.d === 11 && window.__lab.step > 0, null, 60000);

    // Keyboard on a log slider: lr moves to the next stop up, 0.0025.
    await page.getByTestId("slider-lr").focus();
    await page.keyboard.press("ArrowRight");
    await until(page, () => window.__lab.ready && window.__lab.query.includes("lr=0.0025"), null, 60000);
    assert.match(await page.evaluate(() => location.search), /[?&]lr=0\.0025(&|$)/);

    // A cheap knob (α) changes the URL without restarting training.
    await until(page, () => window.__lab.step > 5, null, 60000);
    const before = (await labState(page)).step;
    await page.getByTestId("slider-alpha").focus();
    await page.keyboard.press("ArrowRight");
    await until(page, () => window.__lab.query.includes("alpha=1.05"), null, 20000);
    assert.match(await page.evaluate(() => location.search), /[?&]alpha=1\.05(&|$)/);
    assert.ok((await labState(page)).step >= before, "training was not restarted");

    // Opening the URL shows the same values on the sliders.
    const url = await page.evaluate(() => location.href);
    const fresh = await newPage(env.browser);
    await fresh.goto(url);
    await until(fresh, () => window.__lab.ready);
    assert.equal(await fresh.getByTestId("value-d").inputValue(), "11");
    assert.equal(await fresh.getByTestId("value-lr").inputValue(), "0.0025");
    assert.equal(await fresh.getByTestId("value-alpha").inputValue(), "1.05");
    assert.deepEqual(page.errors, []);
    await fresh.context().close();
    await page.context().close();
  });

  test("a hostile link shows the corrections as text, runs no script, and still trains", { timeout: 150000 }, async () => {
    const page = await newPage(env.browser);
    let dialogs = 0;
    page.on("dialog", async (d) => {
      dialogs++;
      await d.dismiss();
    });
    await page.goto(`${env.server.url}?d=NaN&n=1e9&lr=<script>alert(1)</script>&bogus=1`);
    const notice = page.getByTestId("notice");
    await notice.waitFor({ state: "visible", timeout: 90000 });
    const text = await notice.innerText();
    for (const word of ["d = 'NaN'", "n = 1e9", "lr = ", "bogus"]) assert.ok(text.includes(word), `notice mentions ${word}: ${text}`);
    assert.ok(text.includes("<script>alert(1)</script>"), "the value is shown as plain text");
    // Only the page's own scripts (spawn.js starts the worker early; boot.js; main.js), none from
    // the link.
    assert.deepEqual(await page.evaluate(() => [...document.querySelectorAll("script")].map((s) => s.getAttribute("src"))), ["spawn.js", "boot.js", "main.js"]);
    assert.equal(await page.evaluate(() => document.querySelectorAll("[data-testid=notice] *").length > 0 && !document.querySelector("[data-testid=notice] script")), true);
    const q = await page.evaluate(() => location.search);
    assert.doesNotMatch(q, /script|bogus|NaN/);
    await until(page, () => window.__lab.step > 0, null, 120000);
    assert.equal(dialogs, 0);
    await page.getByTestId("dismiss-notice").click();
    assert.equal(await page.getByTestId("notice").count(), 0);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
