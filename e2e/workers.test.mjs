// All cores, same numbers: the training worker shares each step's batch among a pool of workers
// (www/pool.js, the engine's shard.rs) and adds their shards up in a fixed order, so a link gives
// the same bits whatever the number of workers. Here 1, 2 and 4 workers train the same link to
// the end in headless Chromium and their histories are compared bit for bit.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { newPage, until, useBrowser } from "./helpers.mjs";

describe("worker pool", () => {
  const env = useBrowser();

  test("1, 2 and 4 workers give identical histories", { timeout: 240000 }, async () => {
    const runs = {};
    for (const workers of [1, 2, 4]) {
      const page = await newPage(env.browser);
      await page.goto(`${env.server.url}?d=5&n=8&seed=7&steps=2000&batch=1024&eval_every=10&workers=${workers}`);
      // The pool takes over once its workers have loaded: wait for the run's end, and check that
      // the pool did share the training at some point.
      let sawPool = 1;
      for (;;) {
        const s = await page.evaluate(() => ({ status: window.__lab.status, workers: window.__lab.workers }));
        sawPool = Math.max(sawPool, s.workers || 1);
        if (s.status === "done") break;
        await page.waitForTimeout(50);
      }
      runs[workers] = await page.evaluate(() => ({
        link: location.search,
        train: window.__lab.history.train_loss,
        evals: window.__lab.history.evals.loss,
        cos: window.__lab.history.evals.model_cos,
        latest: window.__lab.snapshot.latest,
      }));
      runs[workers].pool = sawPool;
      assert.deepEqual(page.errors, []);
      await page.context().close();
    }
    assert.equal(runs[1].pool, 1, "workers=1 trains in the training worker itself");
    assert.equal(runs[2].pool, 2, "workers=2 used a pool of two");
    assert.equal(runs[4].pool, 4, "workers=4 used a pool of four");
    assert.equal(runs[1].train.length, 2000);
    for (const w of [2, 4]) {
      assert.ok(runs[w].link.includes(`workers=${w}`), "the worker count stays in the link");
      assert.deepEqual(runs[w].train, runs[1].train, `${w} workers: training losses differ`);
      assert.deepEqual(runs[w].evals, runs[1].evals, `${w} workers: evaluation losses differ`);
      assert.deepEqual(runs[w].cos, runs[1].cos);
      assert.deepEqual(runs[w].latest, runs[1].latest);
    }
  });

  test("a hostile worker count gets a notice and the run trains", { timeout: 60000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(`${env.server.url}?steps=50&workers=lots`);
    await until(page, () => window.__lab.status === "done", null, 55000);
    const notices = await page.getByTestId("notice").innerText();
    assert.match(notices, /workers must be 'auto' or a whole number/);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});

describe("worker pool, automatic", () => {
  const env = useBrowser();

  test("cheap steps stay in one worker; expensive ones move to a pool on a machine with cores to spare", { timeout: 120000 }, async () => {
    const page = await newPage(env.browser);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency || 1);
    await page.goto(`${env.server.url}?d=2&n=4&batch=256&steps=3000&eval_every=50`);
    let most = 1;
    for (;;) {
      const s = await page.evaluate(() => ({ status: window.__lab.status, workers: window.__lab.workers }));
      most = Math.max(most, s.workers || 1);
      if (s.status === "done") break;
      await page.waitForTimeout(50);
    }
    assert.equal(most, 1, "a step far below the threshold never moves to the pool");
    await page.goto(`${env.server.url}?d=20&n=50&steps=100000`);
    if (cores >= 2) {
      const n = await until(page, () => (window.__lab.workers >= 2 ? window.__lab.workers : false), null, 90000);
      assert.equal(n, Math.min(8, cores));
      // The status line says so once it has measured a rate.
      await until(page, (k) => document.querySelector('[data-testid="rate"]').textContent.endsWith(`steps/s on ${k} workers`), n, 30000);
    }
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
