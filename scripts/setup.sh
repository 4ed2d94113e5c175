#!/usr/bin/env bash
# Installs what icl-lab needs and is missing (idempotent). `--test` adds the test tools:
# Debian's chromium + chromedriver and the e2e npm packages. Registries only, no other downloads.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "icl-lab needs Rust (cargo) from rustup" >&2; exit 1; }
rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
if [ "${1:-}" = "--test" ]; then
  # the style checks of scripts/test.sh
  for c in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
  done
fi
[ -f Cargo.lock ] || cargo generate-lockfile
# wasm-bindgen-cli must equal the wasm-bindgen crate version pinned in Cargo.lock.
WB_VER=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WB_VER" ]; then
  echo "installing wasm-bindgen-cli $WB_VER (takes ~10 min once)…" >&2
  cargo install wasm-bindgen-cli --version "$WB_VER"   # no --locked: the registry copy lacks one locked dep
fi
if [ "${1:-}" = "--test" ]; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
  if [ ! -d e2e/node_modules/playwright-core ]; then
    npm --prefix e2e ci --no-audit --no-fund --loglevel=error
  fi
fi
