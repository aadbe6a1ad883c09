#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Monitor period benchmark (not a test, never gates CI). Needs root:
# everything runs in throwaway network namespaces.
#
#   bench/monitor.sh [OP25BC] [SIZES...]      default: build/op25bc 10000 100000 1000000
#
# For each size N (N IPv4 and N/10 IPv6 prefixes, bench/gen_policy.py), a full
# `op25bc apply` at 2006-09-15 of three policies that differ only in phase
# "all" (every pool, block "all", from 2006-10-01):
#   blocking   "all" blocks from 2006-09-01 already (its rules have a verdict);
#   monitoring "all" monitors from 2006-09-01 (counted, recorded, no verdict);
#   neither    "all" does nothing yet (its source sets are not in the ruleset).
# monitoring/blocking is what a monitor rule costs against the rule it stands
# in for (same sets but the two small recording sets); monitoring/neither adds
# the cost of the phase's source sets, which its block needs anyway. `nft -f`
# of the monitoring ruleset is measured in the same run. Then the IPv4
# recording set is filled with 65,536 sources (its default size) and
# `op25bc affected` lists them (json, csv, text), best of three.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "bench/monitor.sh needs root (network namespaces)"; exit 1; }

# variant IN OUT MODE: phase "all" of IN as MODE (blocking, monitoring, neither).
variant() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
phase = next(p for p in doc["phases"] if p["id"] == "all")
if sys.argv[3] == "blocking":
    phase["effective"] = "2006-09-01"
elif sys.argv[3] == "monitoring":
    phase["monitor_from"] = "2006-09-01"
json.dump(doc, open(sys.argv[2], "w"), separators=(",", ":"))
PY
}

printf '%-8s %-7s | %8s %8s %8s | %9s %9s | %8s | %9s %9s %9s\n' v4 v6 "block s" "monitor s" \
  "neither s" "mon/block" "mon/neith" "nft -f s" "affected json" csv text
for n in "${sizes[@]}"; do
  python3 "$here/gen_policy.py" --v4 "$n" --v6 $((n / 10)) >"$work/base.json"
  for mode in blocking monitoring neither; do variant "$work/base.json" "$work/$mode.json" "$mode"; done
  "$op25bc" compile "$work/monitoring.json" --at 2006-09-15 -o "$work/m.nft" 2>/dev/null
  sync
  read -r nsecs _ < <(measure unshare -n nft -f "$work/m.nft")
  declare -A secs=()
  for mode in blocking monitoring neither; do
    rm -f "$work/state"
    unshare -n /usr/bin/time -f "%e" -o "$work/t.$mode" "$op25bc" apply "$work/$mode.json" \
      --at 2006-09-15 --state "$work/state" --lock "$work/lock" >/dev/null 2>&1
    secs[$mode]=$(cat "$work/t.$mode")
  done
  # 65,536 IPv4 sources inside the pools: the first address of each prefix.
  python3 - "$work/base.json" "$work/fill.nft" <<'PY'
import ipaddress, json, sys
doc = json.load(open(sys.argv[1]))
out, n = [], 0
for pool in doc["pools"]:
    for p in pool["prefixes"]:
        net = ipaddress.ip_network(p)
        if net.version == 4 and n < 65536:
            out.append(str(net.network_address))
            n += 1
with open(sys.argv[2], "w") as f:
    for i in range(0, len(out), 4096):
        f.write("add element inet op25b phase_all_seen4 { " + ", ".join(out[i:i + 4096]) + " }\n")
PY
  cat >"$work/list.sh" <<SH
set -euo pipefail
"$op25bc" apply "$work/monitoring.json" --at 2006-09-15 --state "$work/state" --lock "$work/lock" >/dev/null 2>&1
nft -f "$work/fill.nft"
for format in json csv text; do
  for k in 1 2 3; do
    /usr/bin/time -f "%e" -o "$work/t.list.\$format.\$k" "$op25bc" affected "$work/monitoring.json" \
      --state "$work/state" --format "\$format" >"$work/affected.\$format" 2>/dev/null
  done
done
SH
  rm -f "$work/state"
  unshare -n bash "$work/list.sh"
  listed=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["sources"]))' "$work/affected.json")
  best() { sort -n "$work"/t.list.$1.[123] | head -1; }
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
  printf '%-8s %-7s | %8s %8s %8s | %9s %9s | %8s | %9s %9s %9s  (%s sources)\n' "$n" $((n / 10)) \
    "${secs[blocking]}" "${secs[monitoring]}" "${secs[neither]}" \
    "$(ratio "${secs[monitoring]}" "${secs[blocking]}")" "$(ratio "${secs[monitoring]}" "${secs[neither]}")" \
    "$nsecs" "$(best json)" "$(best csv)" "$(best text)" "$listed"
done
