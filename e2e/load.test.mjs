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

describe("the first step reaches the page at once", () => {
  const env = useBrowser();

  /** Records what the page asks its worker and the step of the first progress message it hears. */
  function spyOnWorker(page) {
    return page.addInitScript(() => {
      const Native = window.Worker;
      window.__asked = [];
      window.__firstStep = null;
      window.Worker = class extends Native {
        constructor(url, options) {
          super(url, options);
          this.addEventListener("message", (e) => {
            const m = e.data || {};
            if (m.type === "progress" && window.__firstStep === null) {
              window.__firstStep = m.snapshot.step;
              window.__firstGd1 = m.snapshot.baselines.gd1_loss;
            }
          });
        }
        postMessage(msg, ...rest) {
          if (msg && msg.type) window.__asked.push(msg.type);
          return super.postMessage(msg, ...rest);
        }
      };
    });
  }

  // A step of this link takes ≈ 0.3 s (bench/firststep.mjs's heavy link). The page's code is held
  // back 3 s, as on a slow connection: meanwhile the worker takes one step and then computes only
  // short slices of the references, so that the page's "start" does not wait behind a step and
  // its first message brings step 1; the page reads its link itself, not through the busy worker.
  test("an expensive step: one while the page loads, then the page's start is answered", { timeout: 90000 }, async () => {
    const page = await newPage(env.browser);
    await spyOnWorker(page);
    await page.route("**/main.js", async (route) => {
      await new Promise((r) => setTimeout(r, 3000));
      await route.continue();
    });
    await page.goto(`${env.server.url}?d=32&n=50&layers=8&heads=2&batch=500&eval_tasks=8000&steps=1500`);
    await until(page, () => window.__firstStep !== null, null, 60000);
    assert.equal(await page.evaluate(() => window.__firstStep), 1, "the page's first progress message");
    const asked = await page.evaluate(() => window.__asked);
    assert.ok(asked.includes("start"), asked.join(", "));
    assert.ok(!asked.includes("link"), `the worker was asked to read the link: ${asked.join(", ")}`);
    // The references went on meanwhile: the first of them is in the first message.
    assert.equal(typeof (await page.evaluate(() => window.__firstGd1)), "number");
    await until(page, () => window.__lab.step >= 3, null, 60000);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
