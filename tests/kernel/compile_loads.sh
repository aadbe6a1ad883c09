#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every compile output, for both examples (as written and with every source set
# cut into blocks) at every instant around the rollout,
# loads into a real kernel in a fresh network namespace: the nft script with
# `nft -f` and the JSON with `nft -j -f`. Both forms must leave the same
# ruleset, replacing op25bc's table again must work, and a foreign table in
# the namespace must come through byte-identical.
#
# Usage: compile_loads.sh OP25BC SOURCE_DIR. Needs root; skips (77) otherwise,
# except under CI=true where a skip is a failure.
set -euo pipefail
op25bc=$1
root=$2

source "$root/tests/kernel/lib.sh"
start_kernel_test
command -v nft >/dev/null || { echo "FAIL: nft (Debian nftables) is required as the test oracle"; exit 1; }

cp "$root/tests/kernel/foreign.nft" "$work/foreign.nft"

# Each example also with every source set cut into blocks behind verdict maps
# (map elements name chains: both forms must make those first).
for example in "$root"/examples/*.json; do cut_into_blocks "$example"; done

for policy in "$root"/examples/*.json "$work"/*-sharded.json; do
  name=$(basename "$policy" .json)
  cut=0
  # Every boundary, a second before it, and well before and after the rollout.
  mapfile -t instants < <("$op25bc" timeline "$policy" --format json 2>/dev/null |
    "$python" -c '
import json, sys, datetime
print("2000-01-01T00:00:00Z"); print("2030-01-01T00:00:00Z")
for e in json.load(sys.stdin)["events"]:
    t = datetime.datetime.fromisoformat(e["utc"].replace("Z", "+00:00"))
    print(e["utc"]); print((t - datetime.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))')
  for at in "${instants[@]}"; do
    "$op25bc" compile "$policy" --at "$at" -o "$work/r.nft" 2>/dev/null
    "$op25bc" compile "$policy" --at "$at" --format json -o "$work/r.json" 2>/dev/null
    check "$name at $at: nft -f loads (twice) next to a foreign table" in_netns "
      nft -f '$work/foreign.nft'
      nft list table inet filter > '$work/foreign.before'
      nft list table ip op25b >> '$work/foreign.before'
      nft -f '$work/r.nft'
      nft -f '$work/r.nft'
      nft list table inet filter > '$work/foreign.after'
      nft list table ip op25b >> '$work/foreign.after'
      cmp -s '$work/foreign.before' '$work/foreign.after'
      nft list table inet op25b > '$work/text.list'"
    check "$name at $at: nft -j -f loads (twice)" in_netns "
      nft -j -f '$work/r.json'
      nft -j -f '$work/r.json'
      nft list table inet op25b > '$work/json.list'"
    # nft 1.0.6 reads no table or set comments from JSON input (counter comments
    # it does), so the forms are compared without comment lines. Its JSON has
    # no "dynamic" set flag either: nft adds it to a set a rule updates, so a
    # monitor period's recording set lacks it only while no rule fills it (op25bc
    # apply always sets it); the forms are compared without that line.
    check "$name at $at: nft -f and nft -j -f leave the same table" \
      cmp -s <(grep -v -e '^\s*comment "' -e '^\s*flags dynamic,timeout$' "$work/text.list") \
        <(grep -v -e '^\s*comment "' -e '^\s*flags dynamic,timeout$' "$work/json.list")
    check "$name at $at: the table holds op25bc's chains" grep -q "chain check" "$work/text.list"
    if grep -q "ip saddr vmap @dispatch4" "$work/text.list"; then cut=$((cut + 1)); fi
  done
  # Not vacuous: the cut copies do put source rules behind the map.
  if [[ $name == *-sharded ]]; then
    check "$name: source rules sit behind dispatch4 at some instants" test "$cut" -gt 0
  fi
done

finish
