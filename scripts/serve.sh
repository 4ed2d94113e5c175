#!/usr/bin/env bash
# Command 1 of the README: install what is missing, build, and serve the lab.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
PORT="${PORT:-8000}"
echo "icl-lab is at http://127.0.0.1:$PORT/  (Ctrl-C stops it)"
exec python3 -m http.server "$PORT" --bind 127.0.0.1 --directory www
