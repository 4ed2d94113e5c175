// Shared set-up of the end-to-end tests: a static server for www/ on a free port, headless
// Chromium (Debian's, or $CHROMIUM; see chromium.mjs) driven by playwright-core, and small page
// helpers.

import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before } from "node:test";
import { chromium } from "playwright-core";
import { launchChromium } from "./chromium.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
export const WWW = path.resolve(here, "..", "www");
export const ARTIFACTS = path.join(here, "artifacts");

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts `python3 -m http.server` on `dir` (www/ unless told); resolves to {url, stop()}. */
export async function startServer(dir = WWW) {
  if (!fs.existsSync(path.join(dir, "pkg", "icl_lab.js"))) {
    throw new Error("www/pkg/icl_lab.js is missing: build the engine first with scripts/build.sh");
  }
  const port = await freePort();
  const proc = spawn("python3", ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", dir], {
    stdio: "ignore",
  });
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 15000;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill();
      throw new Error(`the test server did not start on port ${port}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stop() {
      proc.kill();
    },
  };
}

/** Launches headless Chromium (chromium.mjs: the project's one set of flags). */
export function launch() {
  return launchChromium(chromium);
}

/**
 * For the enclosing `describe`: starts the server and Chromium before its tests and stops them
 * after. Returns an object whose `server` and `browser` are set once they are up.
 */
export function useBrowser() {
  const env = { server: null, browser: null };
  before(async () => {
    env.server = await startServer();
    env.browser = await launch();
  });
  after(async () => {
    await env.browser?.close();
    env.server?.stop();
  });
  return env;
}

/** A new page at 1280×800 that collects page errors into `page.errors`. */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(e.message));
  return page;
}

/** Waits until `fn(arg)` evaluated in the page is truthy; returns its value. */
export async function until(page, fn, arg, timeout = 60000) {
  const handle = await page.waitForFunction(fn, arg, { timeout, polling: 100 });
  return handle.jsonValue();
}

/** Waits until every part of the story is laid out: after load, story.js shows its parts one at
 * a time, and a part not yet shown has no rendered text (`innerText`). */
export async function storyShown(page) {
  await until(page, () => !document.documentElement.classList.contains("story-later"), null, 20000);
}

/** Waits until the chart canvas `selector` has been drawn at its size: a canvas never drawn
 * keeps its default backing store (300 × 150), and a chart out of sight waits (canvas.js). */
export async function untilChartDrawn(page, selector, timeout = 30000) {
  await until(page, (sel) => {
    const c = document.querySelector(sel);
    return c.width === Math.round(c.clientWidth * (window.devicePixelRatio || 1));
  }, selector, timeout);
}

/** The story's rendered text, once all of it is shown. */
export async function storyText(page) {
  await storyShown(page);
  return page.getByTestId("story").innerText();
}

/** The page's window.__lab (without the large history arrays). */
export function labState(page) {
  return page.evaluate(() => {
    const l = window.__lab;
    return { ready: l.ready, status: l.status, step: l.step, query: l.query, running: l.running, latest: l.snapshot && l.snapshot.latest, first: l.snapshot && l.snapshot.progress.reached_gd_at };
  });
}

/** Merges `values` into e2e/artifacts/timing.json. */
export function recordTiming(values) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, "timing.json");
  let old = {};
  try {
    old = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    // first write
  }
  fs.writeFileSync(file, `${JSON.stringify({ ...old, ...values }, null, 2)}\n`);
}

/** Saves a screenshot into e2e/artifacts/. */
export async function screenshot(page, name, options = {}) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  // Charts out of sight wait to be drawn (canvas.js); a picture of the whole page, or of a part
  // (clip) that may lie below the window, draws them first.
  if (options.fullPage || options.clip) await page.evaluate(() => window.__lab && window.__lab.drawUnseen && window.__lab.drawUnseen());
  await page.screenshot({ path: path.join(ARTIFACTS, name), ...options });
}
