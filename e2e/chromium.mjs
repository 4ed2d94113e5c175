// How every headless Chromium of the project starts (the e2e tests and bench/run.mjs): Debian's
// chromium (or $CHROMIUM) with one set of flags. It takes playwright-core's `chromium` from the
// caller, so that the e2e tests and the bench each use their own installed copy.

/** The command-line flags of every headless Chromium the project launches. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** The browser binary: $CHROMIUM, else Debian's. */
export const CHROMIUM_PATH = process.env.CHROMIUM ?? "/usr/bin/chromium";

/** Launches headless Chromium with playwright-core's `chromium` (options go to its launch()). */
export function launchChromium(chromium, { executablePath = CHROMIUM_PATH, ...options } = {}) {
  return chromium.launch({ executablePath, args: CHROMIUM_FLAGS, ...options });
}
