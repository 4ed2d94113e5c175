// The story is left out of the page's first layout and laid out a part at a time once the page
// runs (story.js revealStory; boot.js marks the page before its body is parsed): half the
// page's elements are the story's, mostly its MathML, and with them the first layout was one
// long task on a slow CPU. These tests check that the story is really skipped at first, that
// every part is then shown (its text readable), that a link into the story shows it at once,
// and that the story still shows when the page's code never runs.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { newPage, until, useBrowser } from "./helpers.mjs";

const LAST_HEADING = "Where the claim is contested";

describe("the story, laid out after the page", () => {
  const env = useBrowser();

  test("skipped by the first layout, then shown a part at a time until all of it is there", { timeout: 60000 }, async () => {
    const page = await newPage(env.browser);
    await page.addInitScript(() => {
      document.addEventListener("DOMContentLoaded", () => {
        const parts = [...document.querySelectorAll(".story > section > *")];
        window.__atParse = {
          marked: document.documentElement.classList.contains("story-later"),
          parts: parts.length,
          skipped: parts.filter((p) => getComputedStyle(p).contentVisibility === "hidden").length,
        };
      });
    });
    await page.goto(env.server.url);
    const atParse = await until(page, () => window.__atParse);
    assert.ok(atParse.marked, "boot.js marks the page before its body is parsed");
    assert.ok(atParse.parts > 20, `the story's parts: ${atParse.parts}`);
    assert.equal(atParse.skipped, atParse.parts, "every part is skipped by the first layout");
    await until(page, () => !document.documentElement.classList.contains("story-later"), null, 20000);
    const shown = await page.evaluate(() => [...document.querySelectorAll(".story > section > *")].filter((p) => p.classList.contains("shown")).length);
    assert.equal(shown, atParse.parts, "each part was shown in its turn");
    assert.equal(await page.evaluate(() => [...document.querySelectorAll(".story > section > *")].filter((p) => getComputedStyle(p).contentVisibility !== "visible").length), 0);
    assert.match(await page.getByTestId("story").innerText(), new RegExp(LAST_HEADING));
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("a link to a place in the story shows the whole story at once", { timeout: 60000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(`${env.server.url}#story-title`);
    await until(page, () => window.__lab && !document.documentElement.classList.contains("story-later"), null, 20000);
    const shownOneByOne = await page.evaluate(() => document.querySelectorAll(".story .shown").length);
    assert.equal(shownOneByOne, 0, "not part by part");
    assert.match(await page.getByTestId("story").innerText(), new RegExp(LAST_HEADING));
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("a malformed fragment changes nothing: the story is shown part by part, no error", { timeout: 60000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(`${env.server.url}#%E0%A4%A`);
    await until(page, () => !document.documentElement.classList.contains("story-later"), null, 20000);
    assert.ok(await page.evaluate(() => document.querySelectorAll(".story .shown").length > 20));
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("a link into the story followed while it is laid out shows all of it", { timeout: 60000 }, async () => {
    const page = await newPage(env.browser);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: 6 }); // so that the laying out lasts
    await page.goto(env.server.url);
    await until(page, () => document.querySelector(".story .shown"), null, 20000);
    assert.ok(await page.evaluate(() => document.documentElement.classList.contains("story-later")), "still under way");
    await page.evaluate(() => {
      document.querySelector(".story h3").id = "story-first";
      window.location.hash = "story-first";
    });
    await until(page, () => !document.documentElement.classList.contains("story-later"), null, 5000);
    const { shown, parts } = await page.evaluate(() => ({ shown: document.querySelectorAll(".story .shown").length, parts: document.querySelectorAll(".story > section > *").length }));
    assert.ok(shown < parts, `shown at once, not by the part-by-part laying out (${shown} of ${parts} parts had had their turn)`);
    assert.match(await page.getByTestId("story").innerText(), new RegExp(LAST_HEADING));
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("without the page's code the story still shows, 8 s after the start", { timeout: 60000 }, async () => {
    const page = await newPage(env.browser);
    await page.route("**/main.js", (route) => route.abort());
    await page.goto(env.server.url);
    assert.ok(await page.evaluate(() => document.documentElement.classList.contains("story-later")));
    await until(page, () => !document.documentElement.classList.contains("story-later"), null, 15000);
    assert.ok(await page.evaluate(() => performance.now()) >= 7900, "not before its 8 s");
    assert.match(await page.getByTestId("story").innerText(), new RegExp(LAST_HEADING));
    await page.context().close();
  });
});
