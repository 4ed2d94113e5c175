// Layout stability while the page loads and its references arrive: what the engine fills in has
// its room reserved (style.css, "layout stability"), so nothing on screen moves. Summed layout
// shift (the Web Vitals CLS without its session windows: stricter) below 0.1, "good", on a
// desktop and a phone, at full speed and with the CPU slowed 2×, which changes what arrives in
// which frame (the prompt card's plot used to take its height a frame late, and the status line
// grew to a third line: 0.22 together on a desktop at 2×).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { newPage, until, useBrowser } from "./helpers.mjs";

describe("layout stability", () => {
  const env = useBrowser();

  for (const [name, viewport] of [["desktop", { width: 1350, height: 940 }], ["phone", { width: 412, height: 823 }]]) {
    for (const rate of [1, 2]) {
      test(`${name}, CPU ${rate}×: the page's summed layout shift stays below 0.1`, { timeout: 90000 }, async () => {
        const page = await newPage(env.browser, { viewport });
        if (rate > 1) {
          const cdp = await page.context().newCDPSession(page);
          await cdp.send("Emulation.setCPUThrottlingRate", { rate });
        }
        await page.addInitScript(() => {
          window.__shifts = [];
          new PerformanceObserver((list) => {
            for (const e of list.getEntries()) {
              if (e.hadRecentInput) continue;
              const what = e.sources.map((s) => {
                const n = s.node;
                const tag = n && n.nodeType === 1 ? `${n.tagName.toLowerCase()}${n.id ? `#${n.id}` : ""}.${String(n.className).split(" ").join(".")}` : "text";
                return `${tag} y ${Math.round(s.previousRect.y)}→${Math.round(s.currentRect.y)}, h ${Math.round(s.previousRect.height)}→${Math.round(s.currentRect.height)}`;
              });
              window.__shifts.push({ at: Math.round(e.startTime), value: e.value, what });
            }
          }).observe({ type: "layout-shift", buffered: true });
        });
        await page.goto(env.server.url);
        await until(page, () => window.__lab.snapshot && !window.__lab.snapshot.pending && window.__lab.step > 100, null, 60000);
        await page.waitForTimeout(1000);
        const shifts = await page.evaluate(() => window.__shifts);
        const total = shifts.reduce((sum, s) => sum + s.value, 0);
        assert.ok(total < 0.1, `summed layout shift ${total.toFixed(3)}:\n${shifts.map((s) => `${s.at} ms ${s.value.toFixed(4)}: ${s.what.join("; ")}`).join("\n")}`);
        assert.deepEqual(page.errors, []);
        await page.context().close();
      });
    }
  }
});
