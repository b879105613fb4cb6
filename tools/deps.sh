#!/usr/bin/env bash
# Installs, from Debian 12's packages, whatever charla needs that is missing.
# Usage: tools/deps.sh [build|gui|test]   (gui adds gtkmm, for charla-gtk; test
# adds gtkmm and what the test suite, the bench smoke run, the GUI test, the
# browser test and the deployment test need)
set -euo pipefail

build_pkgs=(g++ cmake make pkg-config
  libzmq3-dev cppzmq-dev libmsgpack-cxx-dev libboost-dev libutfcpp-dev
  libcli11-dev libspdlog-dev libreadline-dev nlohmann-json3-dev
  libsqlitecpp-dev libsqlite3-dev  # the broker's memory
  libssl-dev)  # charla-web's HTTPS and WSS
test_pkgs=(catch2 tmux clang libclang-rt-14-dev
  libnats-dev libmosquitto-dev nats-server mosquitto gnuplot-nox)  # charla-bench and its peers

gui_pkgs=(libgtkmm-3.0-dev)  # charla-gtk (built when gtkmm-3.0 is found)
# tests/gui: a virtual display, a private D-Bus session with the accessibility bus,
# pyatspi to drive the windows, ImageMagick's import for the screenshots.
gui_test_pkgs=(xvfb xauth dbus at-spi2-core python3-pyatspi imagemagick)
# tests/web: the page in a real browser, headless, driven by WebDriver.
web_test_pkgs=(chromium chromium-driver python3-selenium)

deploy_pkgs=(ansible ansible-lint python3-boto3 debootstrap systemd-container openssh-client git  # tests/deploy
  debhelper dpkg-dev help2man lintian)  # tools/build-deb.sh and the check of its packages

want=("${build_pkgs[@]}")
case ${1:-build} in
  build) ;;
  gui) want+=("${gui_pkgs[@]}") ;;
  test) want+=("${gui_pkgs[@]}" "${test_pkgs[@]}" "${gui_test_pkgs[@]}" "${web_test_pkgs[@]}" "${deploy_pkgs[@]}") ;;
  *) echo "tools/deps.sh: lista desconocida '$1' (build, gui, test)" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "charla: faltan paquetes (${missing[*]}); ejecuta como root o: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "charla: instalando ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
