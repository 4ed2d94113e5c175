// Bench part "busy": how much of a cheap laptop's main thread the lab page takes while it loads
// and trains. The default link is loaded with Chromium's CPU throttled 4× (DevTools protocol),
// and after the first 8 s Chromium's own counters (`Performance.getMetrics`) say how long the
// page's main thread was busy: all its tasks, of which script, and style and layout. What the
// main thread does not take is left to the training workers on a machine of few cores. Each
// load also gives the headline's time and the long tasks before it, as part "throttled" does.
//
// Standalone: node bench/busy.mjs [loads] [other www folders…]
// (BUSY_TASKS=1 lists each load's long tasks with the page's scripts in them.)
// With other folders (copies of www/ from another commit, say), their pages are loaded in turn
// with this one, each load alternated, so that the machine's load weighs on both alike.

import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "./firststep.mjs";

const THROTTLE = 4;
const WINDOW_MS = 8000;
export const BUSY_LOADS = 5;

/**
 * One load: {busy_ms, script_ms, layout_ms, step} WINDOW_MS after navigation, and the headline's
 * time with the long tasks (≥ 50 ms) from navigation to it, as the bench's part "throttled"
 * counts them: {headline_ms, longest_ms, long_tasks}, and the most of the page's script in one
 * of them (most_script_ms; the rest of each is the browser's own work).
 */
async function busyLoad(browser, base) {
  const ctx = await browser.newContext({ viewport: { width: 1350, height: 940 } });
  try {
    const page = await ctx.newPage();
    await page.addInitScript(() => {
      window.__long = [];
      window.__scripts = [];
      new PerformanceObserver((l) => {
        for (const e of l.getEntries()) window.__long.push([e.startTime, e.duration]);
      }).observe({ type: "longtask", buffered: true });
      // The scripts each long animation frame ran (those of 5 ms or more), to tell how much of
      // a long task is the page's script and how much the browser's own work (parsing, style,
      // layout, paint).
      try {
        new PerformanceObserver((l) => {
          for (const e of l.getEntries()) for (const s of e.scripts) window.__scripts.push([s.startTime, s.duration, `${s.sourceFunctionName || s.invoker}@${(s.sourceURL || "").split("/").pop()}`]);
        }).observe({ type: "long-animation-frame", buffered: true });
      } catch {
        window.__scripts = null; // no LoAF here: tasks are not told apart
      }
    });
    const cdp = await ctx.newCDPSession(page);
    await cdp.send("Performance.enable");
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: THROTTLE });
    const end = Date.now() + WINDOW_MS;
    await page.goto(`${base}/?steps=100000`, { waitUntil: "commit", timeout: 60000 });
    let headline = null;
    while (Date.now() < end) {
      if (headline === null) {
        headline = await page.evaluate(() => (typeof window.__lab?.snapshot?.progress?.reached_gd_at === "number" ? performance.now() : null));
      }
      await page.waitForTimeout(50);
    }
    const m = Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map((x) => [x.name, x.value]));
    const { step, long, scripts } = await page.evaluate(() => ({ step: window.__lab?.step ?? null, long: window.__long, scripts: window.__scripts }));
    // Each long task before the headline with its script: the scripts of long animation frames
    // that began within it, at most the task's length (a script's times are rounded, and one may
    // begin as the task ends).
    const tasks = (headline === null ? [] : long.filter(([t]) => t < headline)).map(([t, d]) => {
      const inside = (scripts || []).filter(([s]) => s >= t - 1 && s < t + d - 1);
      return {
        start_ms: Math.round(t),
        ms: d,
        script_ms: Math.min(d, inside.reduce((a, [, sd]) => a + sd, 0)),
        scripts: inside.map(([, sd, name]) => `${Math.round(sd)} ms ${name}`),
      };
    });
    return {
      busy_ms: m.TaskDuration * 1000,
      script_ms: m.ScriptDuration * 1000,
      layout_ms: (m.LayoutDuration + m.RecalcStyleDuration) * 1000,
      step,
      headline_ms: headline,
      longest_ms: headline === null ? null : Math.max(0, ...tasks.map((x) => x.ms)),
      long_tasks: headline === null ? null : tasks.length,
      // The most of the page's script in one of those tasks.
      most_script_ms: headline === null || !scripts ? null : Math.max(0, ...tasks.map((x) => x.script_ms)),
      tasks,
    };
  } finally {
    await ctx.close();
  }
}


/** Resolves to one summary per base URL, its loads alternated with the others'. */
export async function busyRuns(browser, bases, { loads = BUSY_LOADS, log = () => {} } = {}) {
  const all = bases.map(() => []);
  for (let r = 0; r < loads; r++) {
    for (let i = 0; i < bases.length; i++) {
      const one = await busyLoad(browser, bases[i]);
      log(`  busy, ${bases[i]}, load ${r + 1}: ${(one.busy_ms / 1000).toFixed(2)} s of ${WINDOW_MS / 1000} s (script ${(one.script_ms / 1000).toFixed(2)}, style and layout ${(one.layout_ms / 1000).toFixed(2)}), step ${one.step}; headline ${one.headline_ms === null ? "n/a" : `${(one.headline_ms / 1000).toFixed(2)} s, ${one.long_tasks} long tasks before it, longest ${Math.round(one.longest_ms)} ms${one.most_script_ms === null ? "" : `, the page's script at most ${Math.round(one.most_script_ms)} ms of one`}`}`);
      if (process.env.BUSY_TASKS) for (const t of one.tasks) log(`    long task at ${t.start_ms} ms, ${t.ms} ms: ${t.scripts.join(", ") || "no script of 5 ms or more"}`);
      all[i].push(one);
    }
  }
  return all.map((list, i) => {
    const pick = (k) => list.map((x) => x[k]);
    return {
      base: bases[i],
      throttle: THROTTLE,
      window_ms: WINDOW_MS,
      loads: list,
      busy_ms: median(pick("busy_ms")),
      busy_range_ms: [Math.min(...pick("busy_ms")), Math.max(...pick("busy_ms"))],
      script_ms: median(pick("script_ms")),
      layout_ms: median(pick("layout_ms")),
      step: median(pick("step")),
      headline_ms: median(pick("headline_ms")),
      longest_ms: median(pick("longest_ms")),
      long_tasks: median(pick("long_tasks")),
      loads_without_long_task: list.filter((x) => x.long_tasks === 0).length,
      max_longest_ms: Math.max(...pick("longest_ms")),
      most_script_ms: list.some((x) => x.most_script_ms === null) ? null : Math.max(...pick("most_script_ms")),
    };
  });
}

/** The table row. */
export function busyRows(b, row, f) {
  if (!b) return;
  row(
    `main thread busy in the first ${b.window_ms / 1000} s, CPU ${b.throttle}×`,
    `${f(b.busy_ms / 1000)} s (${f(b.busy_range_ms[0] / 1000)}–${f(b.busy_range_ms[1] / 1000)}; script ${f(b.script_ms / 1000)}, style and layout ${f(b.layout_ms / 1000)})`,
    "—",
    null,
    `median of ${b.loads.length} loads of the default link; step ${f(b.step, 0)} at ${b.window_ms / 1000} s; before the headline (${f(b.headline_ms / 1000)} s): ${f(b.long_tasks, 0)} long tasks, longest ${f(b.longest_ms, 0)} ms`,
  );
  // The same loads' long tasks (≥ 50 ms) before the headline: the target asks for none in any.
  const none = b.loads_without_long_task;
  const kinds = b.most_script_ms == null ? "" : `; the page's script in any one of them at most ${f(b.most_script_ms, 0)} ms, the rest the browser's own parsing, style, layout and paint`;
  row(
    `long tasks before the headline, CPU ${b.throttle}×, ${b.loads.length} loads`,
    `${none} of ${b.loads.length} loads with none; longest ${f(b.max_longest_ms, 0)} ms`,
    "none ≥ 50 ms",
    none === b.loads.length,
    `median per load ${f(b.long_tasks, 0)} tasks, longest ${f(b.longest_ms, 0)} ms${kinds}`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [loads = BUSY_LOADS, ...others] = process.argv.slice(2);
  // (standalone.mjs loads serve.mjs for www/ first: serve.mjs reads BENCH_WWW when it loads.)
  const { withPageBrowser } = await import("./standalone.mjs");
  const servers = [];
  for (const dir of others) {
    process.env.BENCH_WWW = resolve(dir);
    const m = await import(`./serve.mjs?${encodeURIComponent(dir)}`);
    servers.push(await m.serve({ isolate: false }));
  }
  try {
    await withPageBrowser(async (browser, url) => {
      const res = await busyRuns(browser, [url, ...servers.map((s) => s.url)], { loads: Number(loads), log: console.log });
      for (const [i, r] of res.entries()) {
        const name = i === 0 ? "www/" : others[i - 1];
        console.log(`${name}: medians: busy ${(r.busy_ms / 1000).toFixed(2)} s (${(r.busy_range_ms[0] / 1000).toFixed(2)}–${(r.busy_range_ms[1] / 1000).toFixed(2)}), script ${(r.script_ms / 1000).toFixed(2)}, style and layout ${(r.layout_ms / 1000).toFixed(2)}, step ${r.step}; headline ${(r.headline_ms / 1000).toFixed(2)} s, long tasks before it ${r.long_tasks}, longest ${Math.round(r.longest_ms)} ms; loads with none ${r.loads_without_long_task} of ${r.loads.length}; longest of all ${Math.round(r.max_longest_ms)} ms, the page's script at most ${r.most_script_ms === null ? "n/a" : Math.round(r.most_script_ms)} ms of one`);
      }
    });
  } finally {
    for (const s of servers) await s.close();
  }
}
