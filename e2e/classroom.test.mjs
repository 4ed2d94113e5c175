// Classroom links (issue 11): lock, hide, view and autoplay do what they say, survive the Copy
// link dialog and the runs a student starts, and a hostile value in any of them gets a notice
// while the page keeps training. Screenshots of an embed and of the dialog in e2e/artifacts/.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { newPage, screenshot, until, useBrowser } from "./helpers.mjs";

const SMALL = "d=1&n=5&steps=300&eval_tasks=256";
const visible = (page, testid) => page.getByTestId(testid).isVisible();
const search = (page) => page.evaluate(() => location.search);

/** Opens the Copy link dialog; resolves to the link it shows. */
async function dialogLink(page) {
  await page.getByTestId("copy-link").click();
  await until(page, () => document.getElementById("share-dialog").open, null, 5000);
  return page.getByTestId("share-link").inputValue();
}

describe("classroom links", () => {
  const env = useBrowser();

  test("lock: those controls are shown but disabled, with a note; they survive a run and Copy link", { timeout: 120000 }, async () => {
    const page = await newPage(env.browser, { permissions: ["clipboard-read", "clipboard-write"] });
    await page.goto(`${env.server.url}?${SMALL}&lock=lr,layers`);
    await until(page, () => window.__lab.ready);
    await until(page, () => document.querySelector("[data-testid=value-layers]") && document.querySelector("[data-testid=value-n]"), null, 10000);
    for (const key of ["lr", "layers"]) {
      assert.equal(await page.getByTestId(`value-${key}`).isDisabled(), true, key);
      assert.equal(await page.getByTestId(`slider-${key}`).isDisabled(), true, key);
      assert.equal(await page.getByTestId(`locked-${key}`).textContent(), "Fixed by the link.");
    }
    assert.equal(await page.getByTestId("value-n").isDisabled(), false);
    assert.match(await page.getByTestId("lock-note").textContent(), /fixes 2 settings/);
    // Presets would change fixed settings: the menu is off.
    assert.equal(await page.getByTestId("preset").isDisabled(), true);
    assert.equal(await page.getByTestId("reset-defaults").isDisabled(), true);
    assert.match(await search(page), /[?&]lock=layers,lr(&|$)/);

    // A student changes a free setting: the new run keeps the lock.
    await page.getByTestId("value-n").fill("6");
    await page.getByTestId("value-n").press("Enter");
    await until(page, () => window.__lab.ready && window.__lab.config.n === 6, null, 60000);
    assert.match(await search(page), /[?&]n=6&.*lock=layers,lr/);
    assert.equal(await page.getByTestId("value-lr").isDisabled(), true);

    // Copy link: the dialog shows the same lock, ticks what students may change, and copies it.
    const link = await dialogLink(page);
    assert.equal(new URL(link).search, await search(page));
    assert.equal(await page.getByTestId("share-lock-lr").isChecked(), false);
    assert.equal(await page.getByTestId("share-lock-n").isChecked(), true);
    await page.getByTestId("share-copy").click();
    await until(page, () => document.querySelector("[data-testid=share-copied]").textContent !== "", null, 5000);
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link);
    await screenshot(page, "classroom-dialog.png");
    // "none": students may change nothing → lock=all; and that link locks every control.
    await page.getByTestId("share-lock-none").click();
    const all = await page.getByTestId("share-link").inputValue();
    assert.match(all, /[?&]lock=all(&|$)/);
    const fresh = await newPage(env.browser);
    await fresh.goto(all);
    await until(fresh, () => window.__lab.ready);
    await until(fresh, () => document.querySelectorAll("#controls .control").length > 15, null, 10000);
    const free = await fresh.evaluate(() => [...document.querySelectorAll("#controls input, #controls select, #alpha-control input")].filter((i) => !i.disabled).map((i) => i.id));
    assert.deepEqual(free, []);
    assert.match(await fresh.getByTestId("lock-note").textContent(), /every setting/);
    assert.deepEqual([...page.errors, ...fresh.errors], []);
    await fresh.context().close();
    await page.context().close();
  });

  test("hide: those panels are not shown, and the dialog keeps them hidden", { timeout: 90000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(`${env.server.url}?${SMALL}&hide=story,settings`);
    await until(page, () => window.__lab.ready);
    assert.equal(await visible(page, "story"), false);
    assert.equal(await page.locator("#settings-panel").isVisible(), false);
    assert.equal(await page.getByTestId("skip-settings").isHidden(), true);
    assert.equal(await visible(page, "chart-loss"), true);
    assert.equal(await visible(page, "numbers"), true);
    const link = await dialogLink(page);
    assert.match(link, /[?&]hide=settings,story(&|$)/);
    assert.equal(await page.getByTestId("share-hide-story").isChecked(), true);
    assert.equal(await page.getByTestId("share-hide-numbers").isChecked(), false);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("view: only those cards, filling the frame, with a way out to the full lab (screenshot)", { timeout: 120000 }, async () => {
    // Set up from the full page with the dialog, as a teacher would.
    const page = await newPage(env.browser);
    await page.goto(`${env.server.url}?${SMALL}`);
    await until(page, () => window.__lab.ready);
    await dialogLink(page);
    await page.getByTestId("share-view-loss").check();
    const link = await page.getByTestId("share-link").inputValue();
    assert.match(link, /[?&]view=loss(&|$)/);
    assert.match(await page.getByTestId("share-frame").inputValue(), /^<iframe src="[^"]*view=loss"/);
    await page.getByTestId("share-close").click();
    assert.doesNotMatch(await search(page), /view=/, "the dialog does not change this page");
    await page.context().close();

    const embed = await newPage(env.browser, { viewport: { width: 960, height: 540 } });
    await embed.goto(link);
    await until(embed, () => window.__lab.step > 20, null, 60000);
    const shown = await embed.evaluate(() => [...document.querySelectorAll("[data-card], [data-panel]")].filter((n) => n.offsetParent !== null).map((n) => n.getAttribute("data-card") || n.getAttribute("data-panel")));
    assert.deepEqual(shown, ["loss"]);
    for (const id of ["settings-panel", "preset", "copy-link"]) assert.equal(await embed.locator(`#${id}`).isVisible(), false, id);
    assert.equal(await visible(embed, "play"), true);
    // The card fills the frame: the chart is most of the window's height, and nothing scrolls.
    const box = await embed.locator("#plot-loss canvas").boundingBox();
    assert.ok(box.height > 0.55 * 540 && box.width > 0.9 * 960, JSON.stringify(box));
    assert.equal(await embed.evaluate(() => document.scrollingElement.scrollHeight <= window.innerHeight + 1), true);
    const out = await embed.getByTestId("full-lab").getAttribute("href");
    assert.equal(await visible(embed, "full-lab"), true);
    assert.doesNotMatch(out, /view=/);
    assert.match(out, /d=1&n=5&steps=300/);
    await until(embed, () => window.__lab.settled(), null, 30000);
    await screenshot(embed, "classroom-embed.png");
    // Training went on in the embed, and its address keeps the view.
    assert.match(await search(embed), /[?&]view=loss(&|$)/);
    assert.deepEqual(embed.errors, []);
    await embed.context().close();
  });

  test("autoplay=false: the run waits for Play; the link keeps it", { timeout: 90000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(`${env.server.url}?${SMALL}&autoplay=false`);
    await until(page, () => window.__lab.ready && window.__lab.snapshot);
    await page.waitForTimeout(1500);
    assert.equal(await page.evaluate(() => window.__lab.step), 0);
    assert.equal(await page.evaluate(() => window.__lab.status), "paused");
    assert.match(await page.getByTestId("status-detail").textContent(), /press Play to start/);
    assert.equal(await page.getByTestId("play").isEnabled(), true);
    assert.match(await dialogLink(page), /[?&]autoplay=false(&|$)/);
    assert.equal(await page.getByTestId("share-autoplay").isChecked(), false);
    await page.getByTestId("share-close").click();
    await page.getByTestId("play").click();
    await until(page, () => window.__lab.step > 10, null, 30000);
    assert.match(await search(page), /[?&]autoplay=false(&|$)/);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("a hostile value in lock, hide, view or autoplay gets a notice; the page still trains", { timeout: 120000 }, async () => {
    const page = await newPage(env.browser);
    for (const [key, bad] of [
      ["lock", "%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"],
      ["hide", "header%E2%80%AE,ads"],
      ["view", "loss;drop,%00"],
      ["autoplay", "maybe"],
    ]) {
      await page.goto(`${env.server.url}?${SMALL}&${key}=${bad}`);
      await until(page, () => window.__lab.ready && window.__lab.step > 0, null, 60000);
      const notice = await page.getByTestId("notice").innerText();
      assert.match(notice, new RegExp(`\\b${key}\\b`), `${key}: ${notice}`);
      assert.equal(await page.locator("[data-testid=notice] img").count(), 0);
      const q = await search(page);
      assert.doesNotMatch(q, new RegExp(`${key}=`), `${key}: ${q}`);
      // Nothing was hidden or locked by the bad value.
      assert.equal(await visible(page, "chart-loss"), true);
      assert.equal(await page.getByTestId("preset").isDisabled(), false);
    }
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
