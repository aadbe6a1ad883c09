#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Apply benchmark (not a test, never gates CI). Needs root: everything runs in
# throwaway network namespaces.
#
#   bench/apply.sh [OP25BC] [SIZES...]        default: build/op25bc 10000 100000 1000000
#
# For each size N (N IPv4 and N/10 IPv6 prefixes): full load with `op25bc apply`
# against `nft -f` of op25bc's own `compile --format nft` output in the same run
# (wall time, peak RSS, ratio); then, on the loaded table, `op25bc diff` (in
# sync) and a one-prefix change applied end to end (policy parsing included;
# the median of three, back and forth), with the most netlink messages one sent.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "bench/apply.sh needs root (network namespaces)"; exit 1; }

printf '%-8s %-7s | %9s %6s | %9s %6s | %6s | %8s | %10s %8s\n' v4 v6 "apply s" MiB "nft -f s" MiB ratio "diff s" "1-change s" messages
for n in "${sizes[@]}"; do
  python3 "$here/gen_policy.py" --v4 "$n" --v6 $((n / 10)) >"$work/a.json"
  python3 "$here/gen_policy.py" --v4 "$n" --v6 $((n / 10)) --change >"$work/b.json"
  "$op25bc" compile "$work/a.json" --at 2006-11-01 -o "$work/a.nft" 2>/dev/null
  sync
  read -r nsecs nmib < <(measure unshare -n nft -f "$work/a.nft")
  cat >"$work/run.sh" <<SH
set -euo pipefail
opts="--at 2006-11-01 --state $work/state --lock $work/lock"
/usr/bin/time -f "%e %M" -o "$work/t.apply" "$op25bc" apply "$work/a.json" \$opts >/dev/null 2>&1
/usr/bin/time -f "%e" -o "$work/t.diff" "$op25bc" diff "$work/a.json" \$opts >/dev/null 2>&1
# The one-prefix change three times, back and forth (b, a, b): the median is
# reported, as one run on a shared machine can be far off.
for k in 1 2 3; do
  policy=\$([ \$k -eq 2 ] && echo "$work/a.json" || echo "$work/b.json")
  /usr/bin/time -f "%e" -o "$work/t.change\$k" "$op25bc" apply "\$policy" \$opts --format json 2>/dev/null >"$work/change\$k.json"
done
SH
  rm -f "$work/state"
  unshare -n bash "$work/run.sh"
  read -r asecs akb <"$work/t.apply"
  amib=$((akb / 1024))
  messages=$(python3 -c 'import json,sys; print(max(json.load(open(f))["summary"]["messages"] for f in sys.argv[1:]))' "$work"/change[123].json)
  change=$(sort -n "$work"/t.change[123] | sed -n 2p)
  ratio=$(awk -v a="$nsecs" -v b="$asecs" 'BEGIN { printf "%.1fx", (b > 0 ? a / b : 0) }')
  printf '%-8s %-7s | %9s %6s | %9s %6s | %6s | %8s | %10s %8s\n' "$n" $((n / 10)) "$asecs" "$amib" \
    "$nsecs" "$nmib" "$ratio" "$(cat "$work/t.diff")" "$change" "$messages"
done
