// The Copy link dialog: the run's link, plus the classroom keys of link.rs set with checkboxes
// (students may change: …, panels to hide, cards to show alone, autoplay), and the link that
// results. It composes a link; it does not change this page. The names and their order come from
// the engine (view_parts and the schema); link.js writes the query.

import { el } from "./dom.js";
import { linkHref, linkQuery } from "./link.js";

/** A labelled checkbox `name` in `host`; returns the input. */
function check(host, name, label, testid) {
  const input = el("input", { type: "checkbox", value: name, "data-testid": testid });
  const lab = el("label", { class: "check" });
  lab.append(input, el("span", {}, label));
  host.append(lab);
  return input;
}

/**
 * The dialog in index.html (#share-dialog). `schema`, `parts`: the engine's; `current()` =
 * {query, view}: this page's canonical settings query and view (link.rs View).
 */
export function createShareDialog({ schema, parts, current }) {
  const $ = (id) => document.getElementById(id);
  const dialog = $("share-dialog");
  const lockBoxes = schema.map((k) => check($("share-lock"), k.key, k.label, `share-lock-${k.key}`));
  const hideBoxes = parts.panels.map((p) => check($("share-hide"), p.name, p.label, `share-hide-${p.name}`));
  const viewBoxes = parts.cards.map((p) => check($("share-view"), p.name, p.label, `share-view-${p.name}`));
  const autoplay = $("share-autoplay");
  const present = $("share-present");
  const out = $("share-link");
  const frame = $("share-frame");
  const status = $("share-copied");
  let base = { query: "", view: {} };

  const picked = (boxes, on = true) => boxes.filter((b) => b.checked === on).map((b) => b.value);

  function chosenView() {
    return {
      prompt: base.view.prompt,
      present: present.checked,
      pins: base.view.pins, // the pinned runs, the worker count and the tour's step pass through
      workers: base.view.workers,
      tour: base.view.tour,
      lock: picked(lockBoxes, false), // unticked: students may not change it
      hide: picked(hideBoxes),
      view: picked(viewBoxes),
      autoplay: autoplay.checked,
    };
  }

  /** The link for the choices on show, in the box, and the frame code when cards are chosen. */
  function update() {
    const v = chosenView();
    const href = linkHref(window.location.href, linkQuery(base.query, v, parts));
    out.value = href;
    const embed = v.view.length > 0;
    $("share-frame-row").hidden = !embed;
    frame.value = embed ? `<iframe src="${href}" width="960" height="540" title="icl-lab: ${v.view.join(", ")}" style="border:0"></iframe>` : "";
    $("share-hide-note").hidden = !embed;
    for (const b of hideBoxes) b.disabled = embed;
    status.textContent = "";
  }

  dialog.addEventListener("change", update);
  $("share-lock-all").addEventListener("click", () => {
    for (const b of lockBoxes) b.checked = true;
    update();
  });
  $("share-lock-none").addEventListener("click", () => {
    for (const b of lockBoxes) b.checked = false;
    update();
  });
  $("share-copy").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(out.value);
      status.textContent = "Copied.";
    } catch {
      out.focus();
      out.select();
      status.textContent = "Copying was blocked: the link is selected, press Ctrl+C (⌘C).";
    }
  });
  $("share-close").addEventListener("click", () => dialog.close());

  return {
    /** Opens the dialog set to this page's link. */
    open() {
      base = current();
      const v = base.view || {};
      const has = (list, name) => (list || []).includes(name);
      for (const b of lockBoxes) b.checked = !has(v.lock, b.value);
      for (const b of hideBoxes) b.checked = has(v.hide, b.value);
      for (const b of viewBoxes) b.checked = has(v.view, b.value);
      autoplay.checked = v.autoplay !== false;
      present.checked = Boolean(v.present);
      update();
      dialog.showModal();
      out.focus();
      out.select();
    },
    /** The link on show (for tests). */
    get link() {
      return out.value;
    },
  };
}
