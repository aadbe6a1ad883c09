#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# One command on a fresh Debian 12 machine (as root): install the dependencies,
# build op25bc, validate an example policy and compile the ruleset it calls for
# on 2006-10-01 (the day all direct port-25 mail is blocked).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)"
build/op25bc validate examples/spinnet.json
build/op25bc timeline examples/spinnet.json
build/op25bc compile examples/spinnet.json --at 2006-10-01
