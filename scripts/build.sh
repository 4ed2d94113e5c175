#!/usr/bin/env bash
# Builds the engine to WebAssembly and writes the page's module to www/pkg/.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --target wasm32-unknown-unknown --lib
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
  --out-dir www/pkg target/wasm32-unknown-unknown/release/icl_lab.wasm
