// Bench part "workers": training speed of the lab page with one worker against one worker per
// core sharing the steps (`workers=N`: the training worker and a pool of N − 1, www/pool.js; at
// least 2, as the page's automatic count), on a few links, in headless Chromium. The numbers are
// the same bits either way (e2e/workers.test.mjs); only the steps per second differ.
//
// Standalone: node bench/workers.mjs

import { cpus } from "node:os";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The links measured: the default one, three layers, a large prompt, softmax with 2 heads. */
export const WORKER_LINKS = [
  ["default (d = N = 10, K = 1)", ""],
  ["3 layers", "layers=3"],
  ["d = 20, N = 50", "d=20&n=50"],
  ["softmax, 2 heads", "attn=softmax&heads=2"],
];

const WARM_MS = 2500; // the pool loads its workers while training starts in one
const MEASURE_MS = 6000;

async function rate(browser, base, query) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  try {
    await page.goto(`${base}/?${query}`, { waitUntil: "load", timeout: 60000 });
    const at = () => page.evaluate(() => [performance.now(), window.__lab?.step ?? 0, window.__lab?.workers ?? 1]);
    let a = await at();
    const until = Date.now() + 60000;
    while (a[1] === 0 && Date.now() < until) {
      await page.waitForTimeout(100);
      a = await at();
    }
    await page.waitForTimeout(WARM_MS);
    a = await at();
    await page.waitForTimeout(MEASURE_MS);
    const z = await at();
    return { steps_per_s: ((z[1] - a[1]) * 1000) / (z[0] - a[0]), workers: z[2] };
  } finally {
    await ctx.close();
  }
}

/** Resolves to [{name, query, one, pool, workers, speedup}]. */
export async function workerRuns(browser, base, { log = () => {} } = {}) {
  const out = [];
  for (const [name, q] of WORKER_LINKS) {
    const query = `${q ? `${q}&` : ""}steps=100000`;
    const one = await rate(browser, base, `${query}&workers=1`);
    const pool = await rate(browser, base, `${query}&workers=${Math.max(2, cpus().length)}`);
    const r = { name, query, one: one.steps_per_s, pool: pool.steps_per_s, workers: pool.workers, speedup: pool.steps_per_s / one.steps_per_s };
    log(`  workers, ${name}: ${one.steps_per_s.toFixed(1)} steps/s on 1, ${pool.steps_per_s.toFixed(1)} on ${pool.workers} (${r.speedup.toFixed(2)}×)`);
    out.push(r);
  }
  return out;
}

/** The table rows (one per link). */
export function workerRows(list, row, f) {
  for (const r of list || []) {
    row(`pool of ${r.workers} vs 1 worker: ${r.name}`, `${f(r.one, 1)} → ${f(r.pool, 1)} steps/s (${f(r.speedup)}×)`, "—", null, "same numbers, bit for bit");
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { withPageBrowser } = await import("./standalone.mjs");
  await withPageBrowser((browser, url) => workerRuns(browser, url, { log: console.log }));
}
