// Offline after the first visit (www/sw.js, registered by www/offline.js): the service worker
// keeps every file of the site; after one visit the page reloads and trains with the network gone
// (the context offline and the server stopped); and a rebuilt site is seen at once while online
// (network first), so a stale copy never hides a new file.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { WWW, launch, newPage, startServer, until } from "./helpers.mjs";

/** The files sw.js keeps (its FILES list), as written there. */
function keptFiles() {
  const text = fs.readFileSync(path.join(WWW, "sw.js"), "utf8");
  const list = /const FILES = \[([^\]]*)\]/.exec(text);
  assert.ok(list, "sw.js has a FILES list");
  return [...list[1].matchAll(/"([^"]+)"/g)].map((m) => m[1]);
}

describe("offline after the first visit", () => {
  test("the service worker keeps every file of the site, and only those", () => {
    const kept = keptFiles();
    const site = fs
      .readdirSync(WWW, { withFileTypes: true })
      .filter((f) => f.isFile() && f.name !== "sw.js")
      .map((f) => f.name);
    const pkg = fs
      .readdirSync(path.join(WWW, "pkg"))
      .filter((f) => /\.(js|wasm)$/.test(f))
      .map((f) => `pkg/${f}`);
    assert.deepEqual([...kept].sort(), ["./", ...site, ...pkg].sort());
  });

  test("after one visit the page reloads and trains offline; a rebuilt file is seen at once online", { timeout: 180000 }, async () => {
    // A copy of the site, so that a file can be "rebuilt" and the server stopped.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "icl-lab-site-"));
    fs.cpSync(WWW, dir, { recursive: true });
    const server = await startServer(dir);
    const browser = await launch();
    try {
      const page = await newPage(browser);
      const link = `${server.url}?d=1&n=5&steps=300&eval_tasks=256`;
      await page.goto(link);
      await until(page, () => window.__lab.ready && window.__lab.step > 0, null, 60000);
      // The worker is installed once every file is kept.
      const cached = await page.evaluate(async () => {
        await navigator.serviceWorker.ready;
        const names = await caches.keys();
        const cache = await caches.open(names[0]);
        return { names, count: (await cache.keys()).length };
      });
      assert.equal(cached.names.length, 1);
      assert.equal(cached.count, keptFiles().length);

      // A rebuild changes the page: online, the reload shows the new file (network first).
      const html = path.join(dir, "index.html");
      fs.writeFileSync(html, fs.readFileSync(html, "utf8").replace(/<title>[^<]*<\/title>/, "<title>icl-lab rebuilt</title>"));
      await page.reload();
      await until(page, () => window.__lab.ready && window.__lab.step > 0, null, 60000);
      assert.equal(await page.title(), "icl-lab rebuilt");
      assert.equal(await page.evaluate(() => Boolean(navigator.serviceWorker.controller)), true, "the page is served by the worker");
      // ... and the kept copy follows it.
      let copy = "";
      for (let i = 0; i < 50 && !copy.includes("icl-lab rebuilt"); i++) {
        copy = await page.evaluate(async () => ((await caches.match("./")) || new Response("")).text());
        if (!copy.includes("icl-lab rebuilt")) await page.waitForTimeout(200);
      }
      assert.match(copy, /<title>icl-lab rebuilt<\/title>/);

      // The network goes away: the context is offline and the server stopped.
      await page.context().setOffline(true);
      server.stop();
      await page.reload();
      await until(page, () => window.__lab && window.__lab.ready && window.__lab.step >= 1, null, 90000);
      assert.equal(await page.title(), "icl-lab rebuilt");
      assert.match(await page.evaluate(() => window.__lab.query), /d=1&n=5/);
      // Another link of the same site opens offline too (one page, any query).
      const other = await page.context().newPage();
      other.errors = [];
      other.on("pageerror", (e) => other.errors.push(e.message));
      await other.goto(`${server.url}?d=2&n=3&steps=200&eval_tasks=256`);
      await until(other, () => window.__lab && window.__lab.ready && window.__lab.step >= 1, null, 90000);
      assert.equal(await other.evaluate(() => window.__lab.config.d), 2);
      assert.deepEqual([...page.errors, ...other.errors], []);
      await page.context().close();
    } finally {
      await browser.close();
      server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
