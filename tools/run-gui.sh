#!/usr/bin/env bash
# Quick start for the window: installs what is missing (gtkmm), builds, and runs
# charla-gtk with the arguments given, which are charla's:
#   tools/run-gui.sh [usuario] [host] [puerto] [--server-key KEY] [--client-key FILE]
# Without a name or a server it asks for them in its connect window.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh gui
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHARLA_BUILD_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target charla-gtk
exec build/gtk/charla-gtk "$@"
