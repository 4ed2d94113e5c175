// The default page: it trains until the transformer is within 1% of GD, keeps the main thread
// free while training, draws every chart, shows no NaN, and looks right (default.png).

import assert from "node:assert/strict";
import os from "node:os";
import { before, describe, test } from "node:test";
import { labState, newPage, recordTiming, screenshot, until, untilChartDrawn, useBrowser } from "./helpers.mjs";

// Records main-thread tasks over 50 ms from the very start of the page.
function installLongTaskObserver() {
  window.__longtasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longtasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: "longtask", buffered: true });
}

describe("default page", () => {
  const env = useBrowser();
  let page;

  before(async () => {
    page = await newPage(env.browser);
    await page.addInitScript(installLongTaskObserver);
  });

  test("trains until the transformer is within 1% of GD", { timeout: 150000 }, async () => {
    const t0 = Date.now();
    await page.goto(env.server.url);
    const step = await until(page, () => window.__lab.snapshot && window.__lab.snapshot.progress.reached_gd_at, null, 140000);
    const ms = Date.now() - t0;
    const s = await labState(page);
    recordTiming({
      time_to_within_1pct_ms: ms,
      first_within_1pct_step: step,
      steps_done_at_that_moment: s.step,
    });
    console.log(`within 1% of GD at step ${step}, ${(ms / 1000).toFixed(1)} s after navigation`);
    assert.ok(step > 0);
    assert.equal(s.status, "training");
    assert.deepEqual(page.errors, []);
  });

  test("main-thread tasks while training are measured (the bench checks the target)", { timeout: 60000 }, async () => {
    await until(page, () => window.__lab.status === "training" && window.__lab.step > 0);
    const start = await page.evaluate(() => performance.now());
    const step0 = (await labState(page)).step;
    await page.waitForTimeout(5000); // a measuring window, not a wait for a condition
    const { tasks, all } = await page.evaluate((t) => ({
      tasks: window.__longtasks.filter((e) => e.start >= t),
      all: window.__longtasks,
    }), start);
    const s = await labState(page);
    // The Long Tasks API reports only tasks over 50 ms: null means none was that long.
    const longestOf = (list) => (list.length ? Math.round(Math.max(...list.map((e) => e.duration))) : null);
    const longest = longestOf(tasks);
    recordTiming({
      training_window_ms: 5000,
      training_window_steps: s.step - step0,
      long_tasks_over_50ms_while_training: tasks.length,
      longest_task_while_training_ms: longest,
      longest_task_since_load_ms: longestOf(all),
      target_longest_task_ms: 50,
      machine_load_average_1min: Number(os.loadavg()[0].toFixed(2)),
      machine_cpus: os.cpus().length,
    });
    const show = (v) => (v === null ? "none over 50 ms" : `${v} ms`);
    console.log(`longest main-thread task while training: ${show(longest)} (${tasks.length} over 50 ms); since load: ${show(longestOf(all))}`);
    assert.ok(s.step > step0, "training went on during the window");
    // The target (no main-thread task of 50 ms or more while training) is a speed target: it is
    // measured and recorded here, and checked by the bench (`bench/run.mjs`, parts page and
    // throttled), not asserted, since another load on the machine lengthens every task.
  });

  test("a chart out of sight waits, and is drawn when it comes into view", { timeout: 60000 }, async () => {
    await until(page, () => window.__lab.ood && window.__lab.sweep && window.__lab.settled(), null, 50000);
    // The backing store of a canvas never drawn keeps its default size (300 × 150).
    const store = () => {
      const c = document.querySelector("[data-testid=chart-sweep] canvas");
      return { w: c.width, css: c.clientWidth, top: c.getBoundingClientRect().top - window.innerHeight };
    };
    const before = await page.evaluate(store);
    assert.ok(before.top > 300, `the sweep chart starts below the window: ${JSON.stringify(before)}`);
    assert.equal(before.w, 300, `out of sight, the sweep chart is not drawn: ${JSON.stringify(before)}`);
    await page.getByTestId("chart-sweep").scrollIntoViewIfNeeded();
    await untilChartDrawn(page, "[data-testid=chart-sweep] canvas", 10000);
    await page.evaluate(() => window.scrollTo(0, 0));
  });

  test("every chart canvas has drawn data", { timeout: 60000 }, async () => {
    await until(page, () => window.__lab.ood && window.__lab.sweep && window.__lab.history.evals.step.length > 2, null, 50000);
    // Charts out of sight wait to be drawn (canvas.js): each comes into view in turn.
    for (const f of await page.locator("figure[data-testid]:not([hidden])").all()) {
      await f.scrollIntoViewIfNeeded();
      await page.waitForTimeout(150);
    }
    // Canvases are drawn a few per frame: poll until every one shows data (or time out).
    const measure = () =>
      [...document.querySelectorAll("figure[data-testid]:not([hidden]) canvas")].map((c) => {
        const { data } = c.getContext("2d").getImageData(0, 0, c.width, c.height);
        let ink = 0;
        let colour = 0;
        for (let i = 0; i < data.length; i += 4) {
          const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
          if (r < 245 || g < 245 || b < 245) ink++;
          if (Math.max(r, g, b) - Math.min(r, g, b) > 60) colour++;
        }
        return { chart: c.closest("figure").dataset.testid, w: c.width, h: c.height, ink, colour };
      });
    const good = (list) => list.length === 6 && list.every((c) => c.w > 100 && c.h > 100 && c.ink > 2000 && c.colour > 300);
    await page
      .waitForFunction(`(${good})((${measure})())`, null, { timeout: 10000, polling: 250 })
      .catch(() => {}); // the assertions below say which chart is missing what
    const counts = await page.evaluate(measure);
    assert.equal(counts.length, 6, JSON.stringify(counts));
    for (const c of counts) {
      assert.ok(c.w > 100 && c.h > 100, `${c.chart} has a size`);
      assert.ok(c.ink > 2000, `${c.chart} has axes and text: ${JSON.stringify(c)}`);
      assert.ok(c.colour > 300, `${c.chart} has coloured data: ${JSON.stringify(c)}`);
    }
  });

  test("no NaN, undefined or null is shown, and the screenshot is saved", { timeout: 30000 }, async () => {
    const text = await page.evaluate(() => document.body.innerText);
    assert.doesNotMatch(text, /\bNaN\b|\bundefined\b|\bnull\b|Infinity/);
    const rows = await page.locator("[data-testid=numbers] tbody tr").count();
    assert.equal(rows, 8);
    await screenshot(page, "default.png", { fullPage: true });
    assert.deepEqual(page.errors, []);
  });
});
