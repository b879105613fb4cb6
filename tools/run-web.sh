#!/usr/bin/env bash
# Quick start for the browser client: installs what is missing, builds, and runs
# charla-web with the arguments given (the broker first), e.g.
#   tools/run-web.sh 127.0.0.1        then open http://127.0.0.1:8080/
# With no argument it serves the broker on 127.0.0.1 (tools/run-broker.sh's).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHARLA_BUILD_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target charla-web
[ $# -eq 0 ] && set -- 127.0.0.1
exec build/web/charla-web "$@"
