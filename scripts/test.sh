#!/usr/bin/env bash
# Command 2 of the README: install what is missing, then run every test.
#   0. style: rustfmt and clippy (no warnings)
#   1. native Rust tests (release: the paper reproductions train thousands of steps)
#   2. the wasm build's own tests, in Node and in headless Chromium
#   3. end-to-end tests of the page in headless Chromium (playwright-core, Debian's chromium)
#      and unit tests of the page's pure modules (Node only)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
echo "== style (rustfmt, clippy)"
cargo fmt --check
cargo clippy --release --all-targets -- -D warnings
echo "== native tests"
cargo test --release
echo "== wasm build"
scripts/build.sh
echo "== wasm tests (Node)"
cargo test --release --target wasm32-unknown-unknown --test web
echo "== wasm tests (headless Chromium)"
WASM_BINDGEN_USE_BROWSER=1 cargo test --release --target wasm32-unknown-unknown --test web
echo "== end-to-end tests of the page (headless Chromium)"
node --test e2e/
