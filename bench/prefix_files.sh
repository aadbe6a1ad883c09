#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Prefix files against inline prefixes (not a test, never gates CI).
#
#   bench/prefix_files.sh [OP25BC] [SIZES...]   default: build/op25bc 10000 100000 1000000
#
# For each size N: one pool of N IPv4 and N/10 IPv6 prefixes, once inline in
# the policy and once in a prefixes_file (one prefix per line). Times
# `op25bc validate` and `op25bc compile` of both, best of seven runs each, and
# prints file/inline: the issue asks for a 1M-line file to load no slower
# than the same prefixes inline (ratio <= 1.0).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

best() {  # "seconds MiB": the best wall time of seven runs (microseconds apart), the peak RSS
  local b="" start end secs mib
  for _ in 1 2 3 4 5 6 7; do
    start=$EPOCHREALTIME
    read -r _ mib < <(measure "$@")
    end=$EPOCHREALTIME
    secs=$(awk -v a="$start" -v c="$end" 'BEGIN { printf "%.3f", c - a }')
    if [ -z "$b" ] || awk -v a="$secs" -v c="${b% *}" 'BEGIN { exit !(a < c) }'; then
      b="$secs $mib"
    fi
  done
  echo "$b"
}

printf '%-9s %-9s %-10s %10s %8s %10s %8s %12s\n' v4 v6 command "inline s" MiB "file s" MiB file/inline
for n in "${sizes[@]}"; do
  mkdir -p "$work/inline" "$work/files"
  python3 "$here/gen_policy.py" --v4 "$n" --v6 $((n / 10)) --pools 1 >"$work/inline/policy.json"
  python3 "$here/gen_policy.py" --v4 "$n" --v6 $((n / 10)) --pools 1 \
    --prefix-files "$work/files" >"$work/files/policy.json"
  sync
  for command in validate compile; do
    extra=()
    [ "$command" = compile ] && extra=(--at 2006-11-01 -o "$work/out.nft")
    read -r is im < <(best "$op25bc" "$command" "$work/inline/policy.json" "${extra[@]}")
    read -r fs fm < <(best "$op25bc" "$command" "$work/files/policy.json" "${extra[@]}")
    ratio=$(awk -v a="$fs" -v b="$is" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    printf '%-9s %-9s %-10s %10s %8s %10s %8s %12s\n' "$n" $((n / 10)) "$command" "$is" "$im" \
      "$fs" "$fm" "$ratio"
  done
done
