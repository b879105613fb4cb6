#!/usr/bin/env bash
# The GUI test: tests/gui/drive.py on a virtual X display with its own D-Bus
# session, so that the accessibility bus (AT-SPI) is there for the windows
# and for the driver.
#
#   tests/gui/run.sh [BUILD_DIR]      (default: build)
#
# Needs the plain build (charla-broker, charla, charla-gtk) and the packages of
# `tools/deps.sh gui`. Screenshots and the output of every process go to
# BUILD_DIR/gui/. The last line is "N passed, M failed".
#
# Accessibility on Debian 12: GTK 3 loads its AT-SPI bridge (atk-bridge) by
# itself, with no GTK_MODULES, as long as NO_AT_BRIDGE is not set and a session
# bus can start org.a11y.Bus (at-spi2-core's D-Bus service). dbus-run-session
# gives each run a private session bus, so nothing of the desktop it may run on
# leaks in; GTK_A11Y=none would turn the bridge off, hence unset.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$repo/build}" && pwd)
for bin in broker/charla-broker client/charla gtk/charla-gtk; do
  if [[ ! -x $build/$bin ]]; then
    echo "gui: $build/$bin is missing (is gtkmm-3.0 installed? tools/deps.sh gui)" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
done
out=$build/gui
rm -rf "$out"
mkdir -p "$out"
unset NO_AT_BRIDGE GTK_A11Y GTK_MODULES DBUS_SESSION_BUS_ADDRESS AT_SPI_BUS_ADDRESS
export LANG=C.UTF-8 LC_ALL=C.UTF-8 NO_COLOR=1 PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in the tree
export XDG_CONFIG_HOME=$out/config XDG_RUNTIME_DIR=$out/runtime  # nothing of the user's desktop settings
mkdir -p "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
# -a: a free display number; the screen fits both windows side by side.
exec xvfb-run -a -s "-screen 0 1920x1080x24 -nolisten tcp" \
  dbus-run-session -- /usr/bin/python3 "$repo/tests/gui/drive.py" "$build" "$out"
