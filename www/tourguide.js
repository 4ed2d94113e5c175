// The guided tour's mechanics (its content is tour.js): a non-modal dialog that walks through the
// steps with Back / Next (buttons, or the arrow keys inside it; Esc closes), loads each step's
// experiment through the page (main.js), marks the card to watch while dimming the rest, and
// words the step's live sentence from the page's state as it trains. DOM only; no numbers of
// its own.
//
// No stale numbers: a step's sentence is shown only for the run the page started for that step
// (or the same settings already on show). The page counts the runs it shows (`serial`); a step
// that starts a run waits for a serial beyond the one it saw, so a run replaced by a quick
// Next or Back never speaks for the step after it.

import { setText } from "./dom.js";
import { sentence } from "./tour.js";

/**
 * The tour in `root` (the #tour dialog of index.html) over `steps` (tour.js). `load(step)`
 * shows the step's experiment and returns the least run serial its numbers may come from;
 * `live(step)` is the page's live state ({serial, changed, …} as tour.js's checks read it), or
 * null while a run is being prepared; `onChange()` runs when the step on show changes (the page
 * writes it into the link); `opener`: the button that opens the tour (focus returns there).
 */
export function createTour({ root, steps, load, live, onChange, opener }) {
  const $ = (id) => root.querySelector(`#${id}`);
  const els = {
    count: $("tour-count"),
    title: $("tour-title"),
    about: $("tour-about"),
    watch: $("tour-watch"),
    live: $("tour-live"),
    announce: $("tour-announce"),
    back: $("tour-back"),
    next: $("tour-next"),
    close: $("tour-close"),
  };
  let index = -1; // the step on show, 0-based; -1: closed
  let minSerial = Infinity; // the first run serial whose numbers belong to this step
  let scrolled = false; // the step's card was brought into view
  let said = ""; // the step and state last announced to screen readers
  let heading = ""; // the step's title, announced with its first sentence
  let lastFocus = null;
  let current = { state: "loading", text: "" }; // the sentence on show (for tests: lab.tour)

  const reduced = () => window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const visible = (node) => Boolean(node) && node.getClientRects().length > 0 && !node.closest("[hidden], .left-out");

  function unmark() {
    for (const n of document.querySelectorAll(".tour-target")) n.classList.remove("tour-target");
  }

  /** Marks the step's card (once it is on the page and visible) and brings it into view once. */
  function mark(step) {
    const target = document.querySelector(step.target);
    if (!visible(target)) {
      unmark();
      return;
    }
    if (!target.classList.contains("tour-target")) {
      unmark();
      target.classList.add("tour-target");
    }
    if (!scrolled) {
      scrolled = true;
      target.scrollIntoView({ block: "start", behavior: reduced() ? "auto" : "smooth" });
      // The dialog goes to the side away from the card, so it covers as little of it as it can.
      const box = target.getBoundingClientRect();
      root.dataset.side = box.left + box.width / 2 > window.innerWidth / 2 ? "left" : "right";
    }
  }

  /**
   * Says the sentence to screen readers (the polite live region) when the step or its state
   * changes (loading → training → reached), not each time a number moves (several times a
   * second); a new step's first sentence comes after its title.
   */
  function announce() {
    const key = `${index} ${current.state}`;
    if (key === said) return;
    said = key;
    setText(els.announce, heading ? `${heading} ${current.text}` : current.text);
    heading = "";
  }

  /** Shows step `i` (0-based) and loads its experiment. */
  function show(i) {
    index = i;
    const step = steps[i];
    scrolled = false;
    said = "";
    unmark();
    setText(els.count, `Step ${i + 1} of ${steps.length}`);
    setText(els.title, step.title);
    setText(els.about, step.about);
    setText(els.watch, step.watch);
    els.back.disabled = i === 0;
    setText(els.next, i === steps.length - 1 ? "Finish" : "Next →");
    onChange();
    minSerial = load(step);
    heading = `Step ${i + 1} of ${steps.length}: ${step.title}.`;
    update();
  }

  /** Rewords the live sentence from the page's state (called as the page redraws its texts). */
  function update() {
    if (index < 0) return;
    const step = steps[index];
    const state = live(step);
    if (!state || state.serial < minSerial) {
      current = { state: "loading", text: "Loading this step’s experiment: sampling its evaluation tasks and computing the baselines…" };
    } else {
      current = sentence(step, state, state.changed);
      mark(step);
    }
    setText(els.live, current.text);
    if (els.live.dataset.state !== current.state) els.live.dataset.state = current.state;
    announce();
  }

  function close() {
    if (index < 0) return;
    index = -1;
    minSerial = Infinity;
    unmark();
    document.body.classList.remove("touring");
    root.close();
    onChange();
    const back = lastFocus && lastFocus !== document.body && lastFocus.isConnected && !lastFocus.disabled && !root.contains(lastFocus) ? lastFocus : opener;
    if (back && !back.disabled) back.focus({ preventScroll: true });
  }

  const go = (delta) => {
    const i = index + delta;
    if (i < 0) return;
    if (i >= steps.length) close();
    else show(i);
    // A button that just became disabled (Back on the first step) would drop the focus.
    if (document.activeElement && document.activeElement.disabled) els.next.focus();
  };

  els.back.addEventListener("click", () => go(-1));
  els.next.addEventListener("click", () => go(1));
  els.close.addEventListener("click", close);
  root.addEventListener("keydown", (e) => {
    const typing = e.target.closest("input, textarea, select");
    if (typing || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === "ArrowRight") {
      e.preventDefault();
      go(1);
    } else if (e.key === "ArrowLeft") {
      e.preventDefault();
      go(-1);
    }
  });
  // Esc closes the tour from anywhere on the page, unless a modal dialog (Copy link) is open:
  // then Esc is that dialog's.
  document.addEventListener("keydown", (e) => {
    if (e.key !== "Escape" || index < 0 || document.querySelector("dialog[open]:modal")) return;
    e.preventDefault();
    close();
  });
  root.addEventListener("cancel", (e) => {
    e.preventDefault();
    close();
  });

  return {
    /** Opens the tour at step `n` (1-based); `focus`: moves the keyboard focus into it. */
    open(n, focus = true) {
      const i = Math.min(Math.max(1, Math.floor(n) || 1), steps.length) - 1;
      if (index < 0) {
        lastFocus = document.activeElement;
        document.body.classList.add("touring");
        root.show();
      }
      show(i);
      if (focus) els.title.focus({ preventScroll: true });
    },
    close,
    update,
    /** The step on show, 1-based (0: closed): the link's `tour` key. */
    get step() {
      return index + 1;
    },
    /** What the tour shows now, for tests. */
    get current() {
      return index < 0 ? null : { step: index + 1, target: steps[index].target, state: current.state, text: current.text };
    },
  };
}
