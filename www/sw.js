// The lab's service worker: a copy of the static site (page, modules, styles, the wasm engine and
// the worker scripts) kept in the browser on the first visit, so the page keeps working offline
// afterwards. Registered by offline.js only when the page is served over http(s).
//
// Network first, the copy only when the network fails. Not stale-while-revalidate: that would
// serve the previous build once after every rebuild, and a page of mixed builds (say main.js
// new and the wasm engine old, whose JavaScript glue must match it exactly) can break. Network
// first always serves the site as it is on the server while it is reachable, and refreshes the
// copy with every answer, so tests that load a rebuilt page, and students after an update, see
// the new files. Every request is revalidated (`no-cache`: a cheap "not modified" for unchanged
// files) so the browser's HTTP cache does not hold back a rebuilt file either.

// The cache's name: its files are refreshed on every visit, so it changes only when the way they
// are stored changes (an older cache of this lab is deleted on activation).
const CACHE = "icl-lab-site-1";

// Everything the page loads, relative to this file (e2e/offline.test.mjs checks the list against
// the files in www/). "./" is the page itself, as the folder's address serves it.
const FILES = [
  "./",
  "index.html",
  "style.css",
  "boot.js",
  "canvas.js",
  "charts.js",
  "classroom.js",
  "controls.js",
  "dom.js",
  "engine.js",
  "export.js",
  "format.js",
  "frames.js",
  "heatmap.js",
  "history.js",
  "layers.js",
  "lecture.js",
  "link.js",
  "local.js",
  "main.js",
  "notice.js",
  "numbers.js",
  "offline.js",
  "params.js",
  "pending.js",
  "pins.js",
  "plot.js",
  "poller.js",
  "pool.js",
  "presets.js",
  "promptcard.js",
  "promptmath.js",
  "promptplot.js",
  "scales.js",
  "schedule.js",
  "share.js",
  "shifts.js",
  "shardworker.js",
  "spawn.js",
  "status.js",
  "story.js",
  "theme.js",
  "tour.js",
  "tourguide.js",
  "view.js",
  "worker.js",
  "pkg/icl_lab.js",
  "pkg/icl_lab_bg.wasm",
];

const scope = () => new URL(self.registration.scope);

self.addEventListener("install", (event) => {
  // All or nothing: a partial copy would start a page offline that cannot finish loading.
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(FILES.map((f) => new Request(new URL(f, scope()), { cache: "no-cache" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("icl-lab-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

/** The copy's key for `request`: a page's address without its query (every link is one page). */
function keyOf(request) {
  if (request.mode !== "navigate") return request.url;
  const url = new URL(request.url);
  url.search = "";
  url.hash = "";
  return url.href;
}

async function networkFirst(event) {
  const request = event.request;
  const key = keyOf(request);
  try {
    // A page's navigation is fetched by its address: a navigation request cannot be copied with
    // other options.
    const fresh = request.mode === "navigate" ? new Request(request.url, { cache: "no-cache", credentials: "same-origin" }) : new Request(request, { cache: "no-cache" });
    const response = await fetch(fresh);
    if (response.ok && response.type === "basic") {
      const copy = response.clone();
      event.waitUntil(caches.open(CACHE).then((cache) => cache.put(key, copy)));
    }
    return response;
  } catch (err) {
    const kept = await caches.match(key);
    if (kept) return kept;
    throw err;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  // Only the site's own files; anything else goes to the network as usual.
  if (request.method !== "GET" || url.origin !== self.location.origin || !url.pathname.startsWith(scope().pathname)) return;
  event.respondWith(networkFirst(event));
});
