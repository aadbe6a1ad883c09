#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Compile benchmark (not a test, never gates CI).
#
#   bench/compile.sh [OP25BC] [SIZES...]      default: build/op25bc 10000 100000 1000000
#
# For each size N: a generated policy with N IPv4 and N/10 IPv6 prefixes; times
# `op25bc compile` (nft and JSON output) with wall time and peak RSS, and, in the
# same run, `nft -f` loading that very output into a throwaway network namespace
# (needs root; skipped otherwise). Prints the ratio nft-load / op25bc-compile.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

printf '%-9s %-7s %-8s %12s %10s %12s %10s %8s\n' v4 v6 format "op25bc s" "MiB" "nft -f s" "MiB" ratio
for n in "${sizes[@]}"; do
  python3 "$here/gen_policy.py" --v4 "$n" --v6 $((n / 10)) --pools 1000 >"$work/policy.json"
  sync  # keep writeback of the generated file out of the timings
  for format in nft json; do
    read -r secs mib < <(measure "$op25bc" compile "$work/policy.json" --at 2006-11-01 \
      --format "$format" -o "$work/out.$format")
    nsecs=- nmib=- ratio=-
    if [ "$(id -u)" -eq 0 ]; then
      flag=$([ "$format" = json ] && echo "-j -f" || echo "-f")
      read -r nsecs nmib < <(measure unshare -n nft $flag "$work/out.$format")
      ratio=$(awk -v a="$nsecs" -v b="$secs" 'BEGIN { printf "%.1fx", (b > 0 ? a / b : 0) }')
    fi
    printf '%-9s %-7s %-8s %12s %10s %12s %10s %8s\n' "$n" $((n / 10)) "$format" "$secs" "$mib" \
      "$nsecs" "$nmib" "$ratio"
  done
done
