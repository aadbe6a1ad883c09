#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the Debian package from this checkout (committed or not) with
# dpkg-buildpackage, in a copy of the tree so nothing is written here but the
# result, and checks it with lintian:
#   scripts/build-deb.sh [OUTPUT_DIR]     (default: dist/)
# Needs the build dependencies in debian/control (scripts/install-deps.sh
# installs them with dpkg-dev, debhelper and lintian).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$root/dist}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The tree as git sees it (tracked and new files, nothing ignored such as build/).
mkdir "$work/op25bc"
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
  xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' |
  tar --null -T - -cf -) | tar -C "$work/op25bc" -xf -

(cd "$work/op25bc" &&
  DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) ||
  { tail -40 "$work/build.log"; echo "dpkg-buildpackage failed"; exit 1; }

mkdir -p "$out"
deb=$(ls "$work"/op25bc_*.deb)
cp "$deb" "$work"/op25bc_*.buildinfo "$work"/op25bc_*.changes "$out"/
echo "built $out/$(basename "$deb")"
if command -v lintian >/dev/null; then
  # Errors and warnings fail the build (there are none today; one that must
  # stay goes to debian/op25bc.lintian-overrides with a one-line reason).
  lintian --fail-on error,warning --info "$out/$(basename "$deb")"
fi
