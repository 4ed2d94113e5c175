// Visible, dismissible banners: the engine's corrections to the settings in the link, and
// errors. Text only: everything is set with textContent, so nothing from the URL becomes markup.

import { el } from "./dom.js";

/** Banners inside `host`: showNotices(list), showError(message), clear(). */
export function createNotices(host) {
  let noticeBox = null;
  const errors = new Map(); // message -> banner, so a repeated error shows once

  function banner(kind, title, items, onClose) {
    const box = el("div", { class: `banner ${kind}` });
    box.setAttribute("role", kind === "error" ? "alert" : "status");
    box.setAttribute("data-testid", kind === "error" ? "error" : "notice");
    const text = el("div", { class: "banner-text" });
    text.append(el("strong", {}, title));
    if (items.length === 1) text.append(el("p", {}, items[0]));
    else {
      const ul = el("ul");
      for (const item of items) ul.append(el("li", {}, item));
      text.append(ul);
    }
    const close = el("button", { class: "small" }, "Dismiss");
    close.type = "button";
    close.setAttribute("aria-label", "Dismiss this message");
    close.setAttribute("data-testid", `dismiss-${kind}`);
    close.addEventListener("click", () => {
      box.remove();
      onClose();
    });
    box.append(text, close);
    host.append(box);
    return box;
  }

  return {
    /** The engine's corrections [{key, message}] (replaces the previous ones; [] clears). */
    showNotices(notices) {
      if (noticeBox) noticeBox.remove();
      noticeBox = null;
      if (!notices || !notices.length) return;
      const title = notices.length === 1 ? "One value was corrected:" : `${notices.length} values were corrected:`;
      noticeBox = banner("notice", title, notices.map((n) => String(n.message)), () => (noticeBox = null));
    },
    showError(message) {
      const text = String(message || "Something went wrong.");
      if (errors.has(text)) return;
      errors.set(text, banner("error", "Error", [text], () => errors.delete(text)));
    },
    clearErrors() {
      for (const box of errors.values()) box.remove();
      errors.clear();
    },
  };
}
