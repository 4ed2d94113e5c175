// How the page loads its engine: spawn.js (a classic script in <head>) starts the training worker
// and compiles the .wasm while the page loads, and sends the compiled module to the worker, which
// hands it to its pool; the page's own instance (the prompt card) uses it too. One download, one
// compilation, on any host.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { newPage, until, useBrowser } from "./helpers.mjs";

describe("loading the engine", () => {
  const env = useBrowser();

  /** Loads `query`, counting the requests for the .wasm; resolves when the pool of two trains
   * and the prompt card (the page's own instance) has answered. */
  async function load(page, query) {
    const fetched = [];
    page.context().on("request", (r) => {
      if (r.url().endsWith("/icl_lab_bg.wasm")) fetched.push(r.url());
    });
    await page.goto(`${env.server.url}?${query}`);
    await until(page, () => window.__lab.workers === 2 && window.__lab.step > 20, null, 50000);
    await until(page, () => /\d/.test(document.querySelector('[data-testid="prompt-where"]').textContent), null, 20000);
    return fetched;
  }

  test("the engine is downloaded and compiled once for the page, its worker and its pool", { timeout: 60000 }, async () => {
    const page = await newPage(env.browser);
    const fetched = await load(page, "d=5&n=8&steps=100000&workers=2");
    assert.equal(fetched.length, 1, `the .wasm was fetched ${fetched.length} times`);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("a host that serves the .wasm with another type: the page trains, and the console says why", { timeout: 60000 }, async () => {
    const page = await newPage(env.browser);
    const warnings = [];
    page.on("console", (m) => {
      if (m.type() === "warning") warnings.push(m.text());
    });
    await page.route("**/icl_lab_bg.wasm", async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, headers: { ...response.headers(), "content-type": "application/octet-stream" } });
    });
    const fetched = await load(page, "d=5&n=8&steps=100000&workers=2");
    assert.equal(fetched.length, 1);
    assert.ok(warnings.some((w) => /served as 'application\/octet-stream', not 'application\/wasm'/.test(w)), warnings.join("\n"));
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
