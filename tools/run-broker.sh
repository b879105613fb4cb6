#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and runs charla-broker in the
# foreground on its default ports (8082 commands, 8083 broadcast).
# Extra arguments go to the broker, e.g. tools/run-broker.sh --log-level debug
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHARLA_BUILD_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target charla-broker charla charla-monitor
exec build/broker/charla-broker "$@"
