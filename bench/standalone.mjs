// For a bench part run on its own (node bench/presets.mjs, node bench/workers.mjs): the lab page
// served as bench/run.mjs serves it (serve.mjs, no special headers) and headless Chromium with
// the project's flags, both closed when `fn(browser, baseUrl)` is done.

import { serve } from "./serve.mjs";
import { launchChromium, CHROMIUM_PATH } from "../e2e/chromium.mjs";

export async function withPageBrowser(fn) {
  const { chromium } = await import("playwright-core");
  const server = await serve({ isolate: false });
  const browser = await launchChromium(chromium, { executablePath: process.env.CHROMIUM || CHROMIUM_PATH, headless: true });
  try {
    return await fn(browser, server.url);
  } finally {
    await browser.close();
    await server.close();
  }
}
