// Offline after the first visit: registers the service worker (sw.js), which keeps a copy of the
// static site and serves it when the network is gone. Only where it can work: a page served over
// http(s) (not a file opened from disk) in a browser with the API (a secure context: https, or
// localhost). Registered a few seconds after the page has loaded, so its copying of the site
// competes neither with the engine's first download nor with the first training steps.
const AFTER_LOAD_MS = 3000;

export function registerOffline() {
  if (!/^https?:$/.test(window.location.protocol) || !("serviceWorker" in navigator)) return;
  const register = () =>
    navigator.serviceWorker.register("./sw.js").catch((err) => {
      // The page works the same without it; only the offline copy is missing.
      console.warn(`No offline copy of the lab: ${err && err.message ? err.message : err}`);
    });
  const later = () => setTimeout(register, AFTER_LOAD_MS);
  if (document.readyState === "complete") later();
  else window.addEventListener("load", later, { once: true });
}
