// Offline after the first visit: registers the service worker (sw.js), which keeps a copy of the
// static site and serves it when the network is gone. Only where it can work: a page served over
// http(s) (not a file opened from disk) in a browser with the API (a secure context: https, or
// localhost). Registered once the page has loaded, so its copying does not compete with the
// engine's first download.

export function registerOffline() {
  if (!/^https?:$/.test(window.location.protocol) || !("serviceWorker" in navigator)) return;
  const register = () =>
    navigator.serviceWorker.register("./sw.js").catch((err) => {
      // The page works the same without it; only the offline copy is missing.
      console.warn(`No offline copy of the lab: ${err && err.message ? err.message : err}`);
    });
  if (document.readyState === "complete") register();
  else window.addEventListener("load", register, { once: true });
}
