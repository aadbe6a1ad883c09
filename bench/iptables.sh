#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The iptables backend (not a test, never gates CI). Needs root: everything
# runs in throwaway network namespaces.
#
#   bench/iptables.sh [OP25BC] [SIZES...]     default: build/op25bc 10000 100000 1000000
#
# For each size N (N IPv4 and N/10 IPv6 prefixes), in one run:
#   - `op25bc apply --backend iptables` from scratch (wall time, peak RSS)
#     against the restore tools run by hand on op25bc's own compiled output
#     (`compile --backend iptables -o DIR`: ipset restore, iptables-legacy-
#     restore, ip6tables-legacy-restore), and the ratio;
#   - a one-prefix change end to end (policy parsing included; the median of
#     three, back and forth) and the members it added and deleted;
#   - the lookup cost: hash:net probes once per distinct prefix length a set
#     holds, so the most distinct lengths in one merged set is printed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "bench/iptables.sh needs root (network namespaces)"; exit 1; }

printf '%-8s %-7s | %9s %6s | %9s %6s | %6s | %10s %9s | %7s\n' v4 v6 "apply s" MiB \
  "restore s" MiB ratio "1-change s" "+/- members" lengths
for n in "${sizes[@]}"; do
  python3 "$here/gen_policy.py" --v4 "$n" --v6 $((n / 10)) >"$work/a.json"
  python3 "$here/gen_policy.py" --v4 "$n" --v6 $((n / 10)) --change >"$work/b.json"
  rm -rf "$work/out"
  "$op25bc" compile "$work/a.json" --at 2006-11-01 --backend iptables -o "$work/out" 2>/dev/null
  lengths=$(python3 - "$work/out/ipset.restore" <<'PY'
import collections, sys
lengths = collections.defaultdict(set)
for line in open(sys.argv[1]):
    if line.startswith("add "):
        _, name, member = line.split()
        lengths[name].add(member.split("/")[1] if "/" in member else "host")
print(max((len(v) for v in lengths.values()), default=0))
PY
)
  cat >"$work/by-hand.sh" <<SH
ipset restore <"$work/out/ipset.restore"
iptables-legacy-restore -w --noflush <"$work/out/iptables.restore"
ip6tables-legacy-restore -w --noflush <"$work/out/ip6tables.restore"
SH
  sync
  read -r hsecs hmib < <(measure unshare -n bash -e "$work/by-hand.sh")
  cat >"$work/run.sh" <<SH
set -euo pipefail
opts="--backend iptables --at 2006-11-01 --state $work/state --lock $work/lock"
/usr/bin/time -f "%e %M" -o "$work/t.apply" "$op25bc" apply "$work/a.json" \$opts >/dev/null 2>&1
for k in 1 2 3; do
  policy=\$([ \$k -eq 2 ] && echo "$work/a.json" || echo "$work/b.json")
  /usr/bin/time -f "%e" -o "$work/t.change\$k" "$op25bc" apply "\$policy" \$opts --format json 2>/dev/null >"$work/change\$k.json"
done
SH
  rm -f "$work/state"
  unshare -n bash "$work/run.sh"
  read -r asecs akb <"$work/t.apply"
  amib=$((akb / 1024))
  change=$(sort -n "$work"/t.change[123] | sed -n 2p)
  members=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print("+%d/-%d" % (j["members_added"], j["members_deleted"]))' "$work/change1.json")
  ratio=$(awk -v a="$hsecs" -v b="$asecs" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }')
  printf '%-8s %-7s | %9s %6s | %9s %6s | %6s | %10s %9s | %7s\n' "$n" $((n / 10)) "$asecs" \
    "$amib" "$hsecs" "$hmib" "$ratio" "$change" "$members" "$lengths"
done
echo "ratio: restore tools' time / op25bc's (above 1: op25bc is faster)"
