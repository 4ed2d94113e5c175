#!/usr/bin/env bash
# The speed benchmark of icl-lab, on this machine: native engine, the same wasm build in Node and
# in headless Chromium, a TensorFlow.js peer in the same Chromium session, the lab page's time to
# the headline and its health. Prints a table (measured vs target) and writes
# bench/results/latest.json plus a timestamped copy. See bench/README.md (bench/run.mjs is the
# driver; bench/page.js is the script of the page it opens in Chromium).
#
#   scripts/bench.sh            full run (≈ 6–10 min on 2 cores)
#   scripts/bench.sh --quick    fewer steps everywhere (≈ 3 min); numbers are rougher
#   scripts/bench.sh --no-native | --no-build | --only PARTS   (passed on; see bench/run.mjs)
#
# Installs what is missing from the package registries only: Debian's chromium (apt), the bench's
# npm packages (npm ci from bench/package-lock.json; playwright-core downloads no browser), the
# wasm toolchain (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=1
NATIVE=1
PASS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) BUILD=0 ;;
    --no-native) NATIVE=0; PASS+=("$1") ;;
    --only) PASS+=("$1" "$2"); case "$2" in *native*) ;; *) NATIVE=0 ;; esac; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) PASS+=("$1") ;;
  esac
  shift
done

apt_install() {
  if [ "$(id -u)" != 0 ]; then echo "bench: please install $* (apt-get install $*)" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
CHROMIUM="${CHROMIUM:-$(command -v chromium || true)}"
if [ -z "$CHROMIUM" ]; then apt_install chromium; CHROMIUM=$(command -v chromium); fi
export CHROMIUM

# npm packages: reinstall when the lock file changed since the last install.
if [ ! -f bench/node_modules/.package-lock.json ] || [ bench/package-lock.json -nt bench/node_modules/.package-lock.json ]; then
  echo "bench: installing npm packages (bench/package-lock.json)…" >&2
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm --prefix bench ci --no-audit --no-fund --loglevel=error
fi

if [ "$BUILD" = 1 ]; then
  echo "bench: building the wasm module (scripts/setup.sh, scripts/build.sh)…" >&2
  scripts/setup.sh
  scripts/build.sh
fi

NATIVE_JSON=$(mktemp)
trap 'rm -f "$NATIVE_JSON"' EXIT
if [ "$NATIVE" = 1 ]; then
  echo "bench: native engine (cargo bench --bench train -- --json)…" >&2
  if ! cargo bench --quiet --bench train -- --json >"$NATIVE_JSON"; then
    echo "bench: the native bench failed; its rows will read n/a" >&2
    : >"$NATIVE_JSON"
  fi
  PASS+=(--native-json "$NATIVE_JSON")
fi

node bench/run.mjs ${PASS[@]+"${PASS[@]}"}
