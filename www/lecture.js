// Helpers for teaching with the page: presenter mode, a preset's "watch this" card (scrolled
// to, marked and given the preset's one sentence), and a menu whose keyboard browsing does not
// start a run for every option passed. DOM only; the sentences come from the engine's presets.

import { el } from "./dom.js";

/** Presenter mode on or off: larger type, settings folded to a strip, charts for a projector. */
export function applyPresent(on) {
  const body = document.body;
  if (body.classList.contains("present") === on) return;
  body.classList.toggle("present", on);
  document.documentElement.classList.toggle("present", on); // rem-sized type grows too
  const button = document.getElementById("present");
  button.setAttribute("aria-pressed", String(on));
  const settings = document.getElementById("settings");
  if (on) settings.open = false;
  else if (!window.matchMedia("(max-width: 980px)").matches) settings.open = true;
}

/**
 * Calls `commit()` when the choice of `select` is committed: at once for a pointer choice or
 * Enter/Space in an open list; after arrow-key browsing, only on Enter or when focus leaves.
 */
export function commitOnChoice(select, commit) {
  let keyboard = false;
  let lastKey = "";
  let pending = false;
  const fire = () => {
    pending = false;
    commit();
  };
  select.addEventListener("keydown", (e) => {
    lastKey = e.key;
    keyboard = true;
    if (e.key === "Enter" && pending) fire();
  });
  select.addEventListener("pointerdown", () => {
    keyboard = false;
    lastKey = "";
  });
  select.addEventListener("change", () => {
    if (!keyboard || lastKey === "Enter" || lastKey === " ") fire();
    else pending = true;
  });
  select.addEventListener("blur", () => {
    if (pending) fire();
    keyboard = false;
  });
}

/**
 * Marks the card preset `p` points at (p.watch, a data-testid) with p.look above its chart;
 * `go`: scrolls it into view and moves the keyboard focus there. No preset: no mark.
 */
export function showWatch(p, go) {
  for (const c of document.querySelectorAll(".watched")) c.classList.remove("watched");
  for (const n of document.querySelectorAll("[data-testid=look]")) n.remove();
  if (!p || !p.watch) return;
  const card = document.querySelector(`[data-testid="${CSS.escape(p.watch)}"]`);
  if (!card) return;
  card.classList.add("watched");
  if (p.look) {
    const note = el("p", { class: "look", "data-testid": "look" });
    note.append(el("strong", {}, "Look here: "), document.createTextNode(p.look));
    const heading = card.querySelector("h2, h3");
    if (heading && heading.parentNode === card) heading.after(note);
    else card.prepend(note);
  }
  if (!go) return;
  const scroll = () => {
    if (!card.hasAttribute("tabindex")) card.setAttribute("tabindex", "-1");
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "start", behavior: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth" });
  };
  if (!card.hidden) {
    scroll();
    return;
  }
  // A card shown only for some runs (the classic-token copy card) appears once the new run's
  // settings arrive: scroll to it then (or give up after a while).
  const seen = new MutationObserver(() => {
    if (card.hidden) return;
    seen.disconnect();
    scroll();
  });
  seen.observe(card, { attributes: true, attributeFilter: ["hidden"] });
  setTimeout(() => seen.disconnect(), 10000);
}

/** Skip links move the keyboard focus with the scroll (and open the settings when folded). */
export function wireSkipLinks() {
  for (const a of document.querySelectorAll(".skip-links a")) {
    a.addEventListener("click", (e) => {
      const target = document.getElementById(a.getAttribute("href").slice(1));
      if (!target) return;
      e.preventDefault();
      const details = target.querySelector("details");
      if (details) details.open = true;
      if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
      target.focus({ preventScroll: true });
      target.scrollIntoView({ block: "start" });
    });
  }
}
