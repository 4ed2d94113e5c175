// What a classroom link does to the page (link.rs's lock, hide and view keys, validated by the
// engine): panels left out, only some cards laid out to fill a frame on a slide, and settings
// the link fixes. DOM only; the names come from the engine (view_parts) and match the page's
// data-panel / data-card attributes.

/** Leaves out the panels of `view.hide`; with `view.view`, shows only those cards (embed mode). */
export function applyView(view) {
  const hide = new Set(view.hide || []);
  const cards = new Set(view.view || []);
  const embed = cards.size > 0;
  document.documentElement.classList.toggle("embed", embed);
  document.documentElement.classList.remove("embed-pending");
  for (const node of document.querySelectorAll("[data-panel], [data-card]")) {
    const panel = node.getAttribute("data-panel");
    const card = node.getAttribute("data-card");
    let out = Boolean(panel && hide.has(panel));
    if (embed) out = !(card && cards.has(card));
    node.classList.toggle("left-out", out);
  }
  // A skip link to a part that is not there would lead nowhere.
  for (const a of document.querySelectorAll(".skip-links a")) {
    const target = document.getElementById(a.getAttribute("href").slice(1));
    a.hidden = Boolean(target && target.closest(".left-out"));
  }
}

/**
 * The settings the link fixes (`lock`, of `total` settings): a sentence atop the settings, and
 * the experiment menu, "Reset to defaults" and the story's experiment buttons disabled (each
 * would change fixed settings). The controls themselves are fixed by controls.js.
 */
export function applyLock(lock, total) {
  const n = (lock || []).length;
  const note = document.getElementById("lock-note");
  note.hidden = n === 0;
  note.textContent =
    n === 0 ? "" : n >= total ? "This link fixes every setting (greyed out)." : `This link fixes ${n === 1 ? "one setting" : `${n} settings`} (greyed out); the others are yours to change.`;
  const why = "The link fixes some settings, so experiments that change them are off.";
  const targets = [document.getElementById("preset"), document.getElementById("reset-defaults"), ...document.querySelectorAll("[data-preset]")];
  for (const t of targets) {
    t.disabled = n > 0;
    if (n > 0) t.title = why;
  }
}
