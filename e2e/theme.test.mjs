// The colour scheme follows the system (prefers-color-scheme): in both, every chart's canvas has
// the card's background, its text and lines stand out from it, and the page's text is readable;
// switching the scheme while the page is open redraws the charts (screenshots in e2e/artifacts/).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { newPage, screenshot, until, untilChartDrawn, useBrowser } from "./helpers.mjs";

/** Relative luminance of an "rgb(r, g, b)" / [r, g, b] colour (WCAG). */
function luminance(c) {
  const [r, g, b] = (Array.isArray(c) ? c : c.match(/\d+(\.\d+)?/g).map(Number)).slice(0, 3).map((v) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
const contrast = (a, b) => {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
};

/** The card's background and text, and the loss chart's pixels: its corner and its darkest/lightest ink. */
async function sample(page) {
  // Out of sight the chart waits to be drawn (canvas.js): in view, it is drawn.
  await page.locator("[data-card=loss]").scrollIntoViewIfNeeded();
  await untilChartDrawn(page, "[data-card=loss] canvas");
  await until(page, () => window.__lab.settled(), null, 30000);
  return page.evaluate(() => {
    const card = document.querySelector("[data-card=loss]");
    const canvas = card.querySelector("canvas");
    const ctx = canvas.getContext("2d");
    const img = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    const corner = [...img.slice(0, 3)];
    // The tick labels' colour: the pixel most unlike the background in the y axis's label column.
    let far = corner;
    let best = -1;
    for (let y = 0; y < canvas.height; y += 1) {
      for (let x = 0; x < Math.round(canvas.width * 0.04); x += 1) {
        const i = (y * canvas.width + x) * 4;
        const d = Math.abs(img[i] - corner[0]) + Math.abs(img[i + 1] - corner[1]) + Math.abs(img[i + 2] - corner[2]);
        if (d > best) {
          best = d;
          far = [img[i], img[i + 1], img[i + 2]];
        }
      }
    }
    const css = getComputedStyle(card);
    return { background: css.backgroundColor, text: css.color, corner, ink: far, body: getComputedStyle(document.documentElement).backgroundColor, model: document.querySelector("#plot-loss .legend li:last-child .swatch").style.borderTopColor };
  });
}

describe("colour scheme", () => {
  const env = useBrowser();

  for (const scheme of ["light", "dark"]) {
    test(`${scheme}: charts on the card's background, readable text and lines`, { timeout: 90000 }, async () => {
      const page = await newPage(env.browser, { colorScheme: scheme });
      await page.goto(`${env.server.url}?d=3&n=6&steps=120&eval_tasks=256`);
      await until(page, () => window.__lab.status === "done", null, 60000);
      await until(page, () => window.__lab.settled(), null, 30000);
      const s = await sample(page);
      const bg = s.background.match(/\d+/g).slice(0, 3).map(Number);
      assert.deepEqual(s.corner, bg, "the canvas is drawn on the card's background");
      assert.equal(luminance(s.body) < 0.1, scheme === "dark", `page background ${s.body}`);
      assert.ok(contrast(s.text, s.background) >= 7, `text ${s.text} on ${s.background}`);
      assert.ok(contrast(s.ink, bg) >= 3, `chart labels ${s.ink} on ${s.background}`);
      assert.ok(contrast(s.model, s.background) >= 3, `the transformer's colour ${s.model} on ${s.background}`);
      await screenshot(page, `theme-${scheme}.png`);
      assert.deepEqual(page.errors, []);
      await page.context().close();
    });
  }

  test("switching the scheme with the page open redraws the charts", { timeout: 90000 }, async () => {
    const page = await newPage(env.browser, { colorScheme: "light" });
    await page.goto(`${env.server.url}?d=3&n=6&steps=120&eval_tasks=256`);
    await until(page, () => window.__lab.status === "done", null, 60000);
    await until(page, () => window.__lab.settled(), null, 30000);
    const light = await sample(page);
    await page.emulateMedia({ colorScheme: "dark" });
    await until(page, () => window.__lab.settled(), null, 30000);
    await page.waitForTimeout(300);
    const dark = await sample(page);
    assert.notDeepEqual(dark.corner, light.corner);
    assert.deepEqual(dark.corner, dark.background.match(/\d+/g).slice(0, 3).map(Number));
    assert.notEqual(dark.model, light.model, "the legend takes the dark palette");
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
