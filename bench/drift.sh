#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Drift benchmark (not a test, never gates CI). Needs root: everything runs in a
# throwaway network namespace.
#
#   bench/drift.sh [OP25BC] [SIZES...]        default: build/op25bc 10000 100000 1000000
#
# For each size N (N IPv4 and N/10 IPv6 prefixes), on a table op25bc applied:
#  - `diff` in sync, elements from the record (nobody committed since);
#  - `diff` after someone else's commit to an unrelated table: the generation
#    moved, so op25bc reads its own table back before diffing;
#  - `nft flush set` of the largest source set (of every slice of it, when it
#    is cut into blocks), then `diff` (must report the drift, exit 2) and
#    `apply` (must converge: `diff` afterwards exits 0);
#  - `diff --verify` (every element read back), and `nft -f` of the same ruleset
#    measured in the same run for scale.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "bench/drift.sh needs root (network namespaces)"; exit 1; }

printf '%-8s %-7s | %8s | %13s | %10s %9s | %9s | %9s\n' v4 v6 "diff s" "foreign+diff s" \
  "drift diff" "repair s" "verify s" "nft -f s"
for n in "${sizes[@]}"; do
  python3 "$here/gen_policy.py" --v4 "$n" --v6 $((n / 10)) >"$work/a.json"
  "$op25bc" compile "$work/a.json" --at 2006-11-01 -o "$work/a.nft" 2>/dev/null
  sync
  read -r nsecs _ < <(measure unshare -n nft -f "$work/a.nft")
  # The first IPv4 source set, or all slices of it.
  base=$(grep -m1 -o 'set [a-z_0-9]*_src4' "$work/a.nft" | cut -d' ' -f2)
  flush=$(grep -oE "set ${base}(_[0-9a-f]+_[0-9]+)? " "$work/a.nft" | cut -d' ' -f2 |
    sed 's/^/flush set inet op25b /')
  cat >"$work/run.sh" <<SH
set -euo pipefail
opts="--at 2006-11-01 --state $work/state --lock $work/lock"
t() { local out=\$1; shift; /usr/bin/time -f "%e" -o "$work/t.\$out" "\$@" >/dev/null 2>&1 || true; }
"$op25bc" apply "$work/a.json" \$opts >/dev/null 2>&1
t diff "$op25bc" diff "$work/a.json" \$opts
nft add table ip bystander
t foreign "$op25bc" diff "$work/a.json" \$opts
nft -f - <<'NFT'
$flush
NFT
set +e
"$op25bc" diff "$work/a.json" \$opts >/dev/null 2>&1
echo \$? > "$work/drift.rc"
set -e
t repair "$op25bc" apply "$work/a.json" \$opts
"$op25bc" diff "$work/a.json" \$opts >/dev/null 2>&1 && echo 0 > "$work/after.rc" || echo \$? > "$work/after.rc"
t verify "$op25bc" diff "$work/a.json" \$opts --verify
SH
  rm -f "$work/state"
  unshare -n bash "$work/run.sh"
  drift="exit $(cat "$work/drift.rc")"
  [ "$(cat "$work/after.rc")" = 0 ] || drift="$drift, NOT REPAIRED"
  printf '%-8s %-7s | %8s | %13s | %10s %9s | %9s | %9s\n' "$n" $((n / 10)) "$(cat "$work/t.diff")" \
    "$(cat "$work/t.foreign")" "$drift" "$(cat "$work/t.repair")" "$(cat "$work/t.verify")" "$nsecs"
done
