#!/usr/bin/env bash
# The web test: tests/web/drive.py with two headless Chromium tabs, a console
# client, a real charla-broker (CURVE, the gateway's key trusted) and charla-web,
# on 127.0.0.1 with free ports; then hostile input to the gateway.
#
#   tests/web/run.sh [BUILD_DIR]      (default: build)
#
# Needs the plain build (charla-broker, charla-keygen, charla, charla-web) and the
# packages of `tools/deps.sh test` (chromium, chromium-driver, python3-selenium).
# Screenshots and the output of every process go to BUILD_DIR/web/. The last line
# is "N passed, M failed".
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$repo/build}" && pwd)
for bin in broker/charla-broker broker/charla-keygen client/charla web/charla-web; do
  if [[ ! -x $build/$bin ]]; then
    echo "web: $build/$bin is missing (build first: cmake --build $build)" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
done
for tool in /usr/bin/chromium /usr/bin/chromedriver; do
  [[ -x $tool ]] || { echo "web: $tool is missing (tools/deps.sh test)" >&2; echo "0 passed, 1 failed"; exit 1; }
done
out=$build/web-test
rm -rf "$out"
mkdir -p "$out"
export LANG=C.UTF-8 LC_ALL=C.UTF-8 NO_COLOR=1 PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in the tree
export HOME=$out/home TMPDIR=$out  # Chromium's profiles and caches: nothing of the user's
mkdir -p "$HOME"
ulimit -n 4096 2>/dev/null || true  # hostile.py holds a thousand sockets open, and the gateway as many
exec /usr/bin/python3 "$repo/tests/web/drive.py" "$build" "$out"
