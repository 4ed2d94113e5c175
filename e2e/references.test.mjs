// The references arrive while the run trains (src/references.rs, a slice at a time between
// training chunks): the status line names those still to come and says how far through it the
// one being computed is, where the engine counts its work, until the last has arrived.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { newPage, until, useBrowser } from "./helpers.mjs";

describe("references under way", () => {
  const env = useBrowser();

  test("the status line says how far the GD++ tuning is, and goes quiet when every reference is there", { timeout: 90000 }, async () => {
    const page = await newPage(env.browser);
    // d = 20: a GD++ search long enough for the status line to show it many times (9–11 values
    // in three runs); at d = 10 it is over in about 0.5 s, two to four updates of the line.
    await page.goto(`${env.server.url}?layers=3&d=20&eval_tasks=8000&steps=100000`);
    const seen = [];
    for (;;) {
      const s = await page.evaluate(() => ({
        text: document.querySelector('[data-testid="status-detail"]').textContent,
        pending: (window.__lab.snapshot && window.__lab.snapshot.pending) || null,
        step: window.__lab.step,
      }));
      const m = s.text.match(/GD\+\+ tuning \((\d+) % done\)/);
      if (m) {
        const p = Number(m[1]);
        if (seen[seen.length - 1] !== p) seen.push(p);
        assert.ok(s.step > 0, "training runs meanwhile");
      }
      assert.doesNotMatch(s.text, /NaN|undefined/);
      if (s.pending === null && seen.length) break;
      await page.waitForTimeout(40);
    }
    assert.ok(seen.length >= 3, `GD++ tuning seen at ${seen.join(", ")} %`);
    assert.ok(seen.every((p, i) => p >= 0 && p <= 99 && (i === 0 || p > seen[i - 1])), `not increasing: ${seen.join(", ")}`);
    await until(page, () => !document.querySelector('[data-testid="status-detail"]').textContent.includes("Computing meanwhile"), null, 5000);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
