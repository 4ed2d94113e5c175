// Canvas drawing spread over animation frames. Every chart asks for a redraw here instead of
// drawing at once; each frame runs the waiting draws until a small time budget is used and
// leaves the rest to the next frames, so a moment when every chart needs redrawing (the first
// data, a resize) never becomes one long main-thread task.

const BUDGET_MS = 10;

const waiting = new Map(); // owner -> draw function, in the order they first asked
let frame = 0;

function run() {
  frame = 0;
  const t0 = performance.now();
  // Only the draws waiting now: one asked for while drawing waits for the next frame.
  for (const owner of [...waiting.keys()]) {
    const fn = waiting.get(owner);
    if (!fn) continue;
    waiting.delete(owner);
    try {
      fn();
    } catch (err) {
      queueMicrotask(() => {
        throw err; // reported as the page's error, after the other charts are drawn
      });
    }
    if (performance.now() - t0 >= BUDGET_MS) break;
  }
  if (waiting.size && !frame) frame = requestAnimationFrame(run);
}

/** Draws `fn()` in a coming animation frame; a later request by the same owner replaces it. */
export function drawSoon(owner, fn) {
  waiting.set(owner, fn); // an owner already waiting keeps its place
  if (!frame) frame = requestAnimationFrame(run);
}

/** How many draws are waiting for a frame (0: every canvas shows its latest data). */
export function drawsWaiting() {
  return waiting.size;
}
