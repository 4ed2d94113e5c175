// Redraw pacing in tiers: each tier (the loss curve, the other charts, the texts) redraws at
// most every so many ms while training, a frame runs at most one tier, and when training stops
// every tier runs in the next few frames. A tier runs in the page's frame queue (frames.js),
// within the frame's one budget, and the canvases it redraws are then drawn a few per frame, so
// each frame's work on the main thread stays small.

import { drawSoon } from "./frames.js";

/**
 * `tiers`: [{name, everyMs, draw()}], most urgent first. `training()` says whether to pace;
 * `ready()` whether there is anything to draw yet. Returns {invalidate(), settled()}:
 * invalidate marks every tier as due; settled is true when nothing is waiting.
 */
export function createTiers(tiers, { training, ready }) {
  const last = new Map(tiers.map((t) => [t.name, 0]));
  const dirty = new Map(tiers.map((t) => [t.name, false]));
  const owner = {}; // these tiers' place in the frame queue
  let queued = false;
  let timer = 0;

  function schedule() {
    if (queued) return;
    queued = true;
    drawSoon(owner, () => {
      queued = false;
      run();
    });
  }

  function run() {
    if (!ready()) return;
    const now = performance.now();
    let next = Infinity;
    let drew = false;
    for (const tier of tiers) {
      if (!dirty.get(tier.name)) continue;
      const wait = training() ? last.get(tier.name) + tier.everyMs - now : 0;
      if (wait <= 0 && !drew) {
        last.set(tier.name, now);
        dirty.set(tier.name, false);
        drew = true;
        tier.draw();
      } else {
        next = Math.min(next, Math.max(wait, 0));
      }
    }
    if (next === 0) {
      schedule(); // a tier that is due but gave way to another runs in the next frame
    } else if (next < Infinity && !timer) {
      timer = setTimeout(() => {
        timer = 0;
        schedule();
      }, next);
    }
  }

  return {
    invalidate() {
      for (const t of tiers) dirty.set(t.name, true);
      schedule();
    },
    settled() {
      return ![...dirty.values()].some(Boolean) && !queued && !timer;
    },
  };
}
