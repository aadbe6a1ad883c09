#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The one-prefix edit, one binary against another in the same run (not a
# test, never gates CI). Needs root: each binary works in its own throwaway
# network namespace.
#
#   bench/one_prefix.sh BASELINE [OP25BC] [SIZE] [ROUNDS]
#       default build/op25bc, 1000000 (and SIZE/10 IPv6 prefixes), 7 rounds
#
# For each backend, each binary loads the policy in full, then applies a
# one-prefix change ROUNDS times, back and forth (policy parsing, history
# and process start included), the binaries taking turns so that a busy
# moment hits both. Prints each binary's median and the ratio new/baseline
# (below 1: the new one is faster), and the full apply's.
set -euo pipefail
baseline=${1:?usage: bench/one_prefix.sh BASELINE [OP25BC] [SIZE] [ROUNDS]}
here=$(cd "$(dirname "$0")" && pwd)
op25bc=${2:-$here/../build/op25bc}
n=${3:-1000000}
rounds=${4:-7}
[ "$(id -u)" -eq 0 ] || { echo "bench/one_prefix.sh needs root (network namespaces)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 "$here/gen_policy.py" --v4 "$n" --v6 $((n / 10)) >"$work/a.json"
python3 "$here/gen_policy.py" --v4 "$n" --v6 $((n / 10)) --change >"$work/b.json"

# seconds BINARY BACKEND NAME POLICY: one apply in that binary's namespace, timed.
seconds() {
  local start end
  start=$(date +%s.%N)
  ip netns exec "op25bc-bench-$3" "$1" apply "$4" --backend "$2" --at 2006-11-01 \
    --state "$work/$3.state" --lock "$work/$3.lock" >/dev/null 2>"$work/$3.err" ||
    { cat "$work/$3.err" >&2; return 1; }
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

printf '%-9s %-9s | %10s %10s %6s | %10s %10s %6s\n' backend size "full base" "full new" ratio \
  "edit base" "edit new" ratio
for backend in nftables iptables; do
  for who in base new; do
    ip netns del "op25bc-bench-$who" 2>/dev/null || true
    ip netns add "op25bc-bench-$who"
    rm -rf "$work/$who".*
  done
  full_base=$(seconds "$baseline" "$backend" base "$work/a.json")
  full_new=$(seconds "$op25bc" "$backend" new "$work/a.json")
  : >"$work/edit.base"
  : >"$work/edit.new"
  for ((k = 1; k <= rounds; k++)); do
    policy=$([ $((k % 2)) -eq 1 ] && echo "$work/b.json" || echo "$work/a.json")
    seconds "$baseline" "$backend" base "$policy" >>"$work/edit.base"
    seconds "$op25bc" "$backend" new "$policy" >>"$work/edit.new"
  done
  base=$(median <"$work/edit.base")
  new=$(median <"$work/edit.new")
  printf '%-9s %-9s | %10s %10s %6s | %10s %10s %6s\n' "$backend" "$n" "$full_base" "$full_new" \
    "$(awk -v a="$full_base" -v b="$full_new" 'BEGIN { printf "%.2f", b / a }')" "$base" "$new" \
    "$(awk -v a="$base" -v b="$new" 'BEGIN { printf "%.2f", b / a }')"
  for who in base new; do ip netns del "op25bc-bench-$who"; done
done
