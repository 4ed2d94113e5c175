// The page's link = the engine's canonical settings query + the view keys of link.rs, in the
// same order and form as `link::to_query` (e2e/link.test.mjs checks they agree). Only strings:
// every value here came from the engine (Lab.view, view_parts), which validated it. Pure, so it
// runs in Node too.

/** `names` in the order of `allowed` (the engine's list), each once. */
function inOrder(names, allowed) {
  const want = new Set(names);
  return allowed.filter((n) => want.has(n));
}

/**
 * The link's query for the settings `query` (canonical, from the engine) and `view` = {prompt,
 * present, pins, workers, lock, hide, view, autoplay, tour} (link.rs View; missing fields are the
 * defaults; `tour`: the guided tour's step on show, 1-based, or 0/null). `parts` =
 * {lock, panels, cards}: the engine's names (view_parts), which fix the order of each list.
 */
export function linkQuery(query, view, parts) {
  const v = view || {};
  const out = [query || ""];
  if (v.prompt) out.push(`prompt=${v.prompt}`);
  if (v.present) out.push("present=true");
  // Pinned runs' settings (canonical, from the engine) and the worker count, as link.rs writes them.
  for (const pin of v.pins || []) out.push(`pin=${encodeURIComponent(pin)}`);
  if (v.workers > 0) out.push(`workers=${v.workers}`);
  const lock = inOrder(v.lock || [], parts.lock);
  if (lock.length) out.push(`lock=${lock.length === parts.lock.length ? "all" : lock.join(",")}`);
  const hide = inOrder(v.hide || [], parts.panels.map((p) => p.name));
  if (hide.length) out.push(`hide=${hide.join(",")}`);
  const cards = inOrder(v.view || [], parts.cards.map((p) => p.name));
  if (cards.length) out.push(`view=${cards.join(",")}`);
  if (v.autoplay === false) out.push("autoplay=false");
  // The engine drops the tour beside `view` (a frame showing some cards has no room for it).
  if (v.tour > 0 && !cards.length) out.push(`tour=${v.tour}`);
  return out.filter(Boolean).join("&");
}

/** The whole lab for the same run: the link without `view` and `hide` (an embed's way out). */
export function fullLabQuery(query, view, parts) {
  return linkQuery(query, { ...view, view: [], hide: [] }, parts);
}

/** An absolute address for `query` on the page at `href`. */
export function linkHref(href, query) {
  const url = new URL(href);
  url.search = query ? `?${query}` : "";
  url.hash = "";
  return url.href;
}
