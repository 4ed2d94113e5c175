// The page's link builder (www/link.js) writes the view keys exactly as the engine's canonical
// link (link.rs `to_query`, through the wasm build in Node): a link the page writes reads back
// to itself.

import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { linkQuery, fullLabQuery } from "../www/link.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

test("link.js and the engine write the same canonical link", async () => {
  const { initSync, Lab, canonical_link, view_parts } = await import(path.join(root, "www", "pkg", "icl_lab.js"));
  initSync({ module: fs.readFileSync(path.join(root, "www", "pkg", "icl_lab_bg.wasm")) });
  const parts = JSON.parse(view_parts());
  const panels = parts.panels.map((p) => p.name);
  const cards = parts.cards.map((p) => p.name);
  // A fixed pseudo-random walk over subsets of every list.
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const some = (list) => list.filter(() => rnd() < 0.3).reverse();
  for (let i = 0; i < 90; i++) {
    const lock = i % 17 === 0 ? [...parts.lock] : some(parts.lock);
    const hide = some(panels);
    const view = some(cards);
    const autoplay = rnd() < 0.5;
    const present = rnd() < 0.3;
    // Small runs: each Lab samples its evaluation tasks and tunes its baselines.
    const settings = ["d=1&n=5&eval_tasks=256", "d=2&n=3&layers=2&eval_tasks=256", "d=3&n=4&eval_tasks=256"][i % 3];
    const prompt = i % 3 === 0 && rnd() < 0.5 ? "0.1,0.2;-0.3,-0.6|0.4" : null;
    // Pinned runs (written loosely: the engine re-emits them canonically) and a worker count.
    const pins = ["", "n=8&d=5.0", "labels=shuffled&steps=300"].filter(() => rnd() < 0.3);
    const workers = rnd() < 0.3 ? 1 + Math.floor(rnd() * 16) : 0;
    // The guided tour's step (the engine drops it beside `view`).
    const tour = rnd() < 0.4 ? 1 + Math.floor(rnd() * parts.tour_steps) : 0;
    const raw = [settings, prompt ? `prompt=${prompt}` : "", present ? "present=true" : "", ...pins.map((p) => `pin=${encodeURIComponent(p)}`), workers ? `workers=${workers}` : "", lock.length ? `lock=${lock.join(",")}` : "", hide.length ? `hide=${hide.join(",")}` : "", view.length ? `view=${view.join(",")}` : "", autoplay ? "" : "autoplay=false", tour ? `tour=${tour}` : ""].filter(Boolean).join("&");
    const lab = new Lab(raw);
    const v = JSON.parse(lab.view());
    const ours = linkQuery(lab.query(), v, parts);
    const full = fullLabQuery(lab.query(), v, parts);
    lab.free();
    assert.equal(ours, canonical_link(raw), raw);
    assert.equal(canonical_link(ours), ours, "the canonical link reads back to itself");
    assert.doesNotMatch(full, /(^|&)(view|hide)=/);
    assert.equal(canonical_link(full), full);
    if (tour && !view.length) assert.match(ours, new RegExp(`&?tour=${tour}$`), raw);
  }
});
