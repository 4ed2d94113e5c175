// The page's work in animation frames, spread over them. Every chart asks for a redraw here
// instead of drawing at once, and so do the redraw tiers (schedule.js), the settings being
// built (controls.js), the story's parts where the browser has no idle callbacks (story.js) and
// the prompt card (promptcard.js: a new model's answers, a resize): each frame runs the waiting
// work until one small time budget is used and leaves the rest to the next frames, so a moment
// when everything needs drawing (the first data, a resize) never becomes one long main-thread
// task. One budget for
// all: with a frame callback each (and the prompt card's answers drawn straight from the
// worker's message), their work added up in one frame.

const BUDGET_MS = 10;

const waiting = new Map(); // owner -> draw function, in the order they first asked
const cost = new WeakMap(); // owner -> how long its last draw took (ms)
let frame = 0;

function run() {
  frame = 0;
  const t0 = performance.now();
  let ran = false;
  // Only the draws waiting now: one asked for while drawing waits for the next frame. The first
  // always runs; each next one only if its last draw fits in what is left of the budget, so that
  // two heavy draws do not share a frame (with the CPU slowed 4×, four draws made one turn of
  // 93 ms). A draw never timed runs only first in a turn: a first draw, its code run for the
  // first time, is the slowest (the prompt card's first picture took 37–69 ms at 4×).
  for (const owner of [...waiting.keys()]) {
    const fn = waiting.get(owner);
    if (!fn) continue;
    const start = performance.now();
    const last = cost.get(owner);
    if (ran && (last === undefined || start - t0 + last > BUDGET_MS)) break;
    waiting.delete(owner);
    ran = true;
    try {
      fn();
    } catch (err) {
      queueMicrotask(() => {
        throw err; // reported as the page's error, after the other charts are drawn
      });
    }
    const end = performance.now();
    cost.set(owner, end - start);
    if (end - t0 >= BUDGET_MS) break;
  }
  if (waiting.size && !frame) frame = requestAnimationFrame(run);
}

/** Runs `fn()` in a coming animation frame; a later request by the same owner replaces it. */
export function drawSoon(owner, fn) {
  waiting.set(owner, fn); // an owner already waiting keeps its place
  if (!frame) frame = requestAnimationFrame(run);
}

/** How many pieces of work are waiting for a frame (0: every canvas is drawn, nothing waits). */
export function drawsWaiting() {
  return waiting.size;
}

/** Resolves in a later task, once the browser has had its turn (scheduler.yield where it exists). */
export function yieldToBrowser() {
  return globalThis.scheduler && scheduler.yield ? scheduler.yield() : new Promise((r) => setTimeout(r, 0));
}
