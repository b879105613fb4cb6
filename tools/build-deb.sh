#!/usr/bin/env bash
# Builds the Debian packages charla-broker, charla, charla-gtk and charla-web from this checkout.
# Usage: tools/build-deb.sh [OUTDIR]      (default: build-deb/ in the repository)
#
# Builds with debhelper (debian/, dpkg-buildpackage -b) in a temporary copy of what git
# lists (committed or not, ignored files left out), so nothing is written beside the
# repository, and leaves charla-broker_*.deb, charla_*.deb, charla-gtk_*.deb and charla-web_*.deb (with their -dbgsym
# packages, .buildinfo and .changes) in OUTDIR, replacing the ones there. If OUTDIR holds
# the packages of this very source already, builds nothing. Prints the paths of the four
# packages. Installs the build packages debian/control names if some are missing (as
# root; otherwise says how).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$repo/build-deb}

if ! command -v dpkg-buildpackage >/dev/null || ! (cd "$repo" && dpkg-checkbuilddeps) 2>/dev/null; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "build-deb: build packages missing; as root: apt-get install dpkg-dev && apt-get build-dep $repo" >&2
    exit 1
  fi
  echo "build-deb: installing the build packages debian/control names" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends dpkg-dev >/dev/null
  apt-get build-dep -y -qq --no-install-recommends "$repo" >/dev/null
fi

# The package's version is debian/changelog's; it must be the one CMake builds.
cmake_version=$(sed -nE 's/^project\(charla VERSION ([0-9.]+).*/\1/p' "$repo/CMakeLists.txt")
version=$(dpkg-parsechangelog -l "$repo/debian/changelog" -S Version)
if [[ $version != "$cmake_version" ]]; then
  echo "build-deb: debian/changelog is at $version but CMakeLists.txt at $cmake_version: add a debian/changelog entry for $cmake_version" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/charla-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The source, packed reproducibly (same files, same bytes) so that its checksum says
# whether OUTDIR's packages were built from it. What the packages do not use (the
# deployment, its test, the documentation) is left out.
git -C "$repo" -c core.quotepath=off ls-files -z --cached --others --exclude-standard |
  grep -zvE '^((ansible|tests/deploy|tests/gui|tests/web|\.ci|docs)/|README\.md$)' |
  tar -C "$repo" --create --file="$work/source.tar" --null --files-from=- --ignore-failed-read \
    --format=gnu --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --mode=u=rwX,go=rX 2>/dev/null
source_sum=$(sha256sum "$work/source.tar" | cut -d' ' -f1)
stamp=$out/.charla-source.sha256

built() {
  compgen -G "$out/charla-broker_${version}_*.deb" >/dev/null && compgen -G "$out/charla_${version}_*.deb" >/dev/null &&
    compgen -G "$out/charla-gtk_${version}_*.deb" >/dev/null && compgen -G "$out/charla-web_${version}_*.deb" >/dev/null
}
if [[ -f $stamp && $(cat "$stamp") == "$source_sum" ]] && built; then
  echo "build-deb: $out already holds the packages of this source" >&2
else
  src=$work/charla-$version
  mkdir "$src"
  tar -C "$src" --touch -xf "$work/source.tar"  # mtimes of now, not of the archive's 1970
  echo "build-deb: building charla $version in $src" >&2
  (cd "$src" && dpkg-buildpackage -b -us -uc -j"$(nproc)") >&2
  mkdir -p "$out"
  rm -f "$stamp" "$out"/charla{,-broker,-gtk,-web}{,-dbgsym}_*.deb "$out"/charla_*.{buildinfo,changes}
  cp "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes "$out/"
  echo "$source_sum" >"$stamp"
fi
ls "$out"/charla-broker_"$version"_*.deb "$out"/charla_"$version"_*.deb "$out"/charla-gtk_"$version"_*.deb \
  "$out"/charla-web_"$version"_*.deb
