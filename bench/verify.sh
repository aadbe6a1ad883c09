#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What activate's periodic full read-back costs (not a test, never gates CI;
# needs root: everything runs in throwaway network namespaces).
#
#   bench/verify.sh [OP25BC] [SIZES...]     default: build/op25bc 10000 100000 1000000
#
# For each size N (N IPv4 and N/10 IPv6 prefixes), loaded once: activate as
# the timer runs it between verifications (the record vouches for every set),
# then `activate --verify-every 0` (every set read back from the kernel), on
# nftables and on iptables; beside `nft -f` of the same ruleset, measured in
# the same run, and the verification's time as a ratio of it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "bench/verify.sh needs root (network namespaces)"; exit 1; }

printf '%-8s %-7s | %8s | %10s %10s %6s | %10s %10s %6s\n' v4 v6 "nft -f s" "nft trust" "nft verify" ratio \
  "ipt trust" "ipt verify" ratio
for n in "${sizes[@]}"; do
  python3 "$here/gen_policy.py" --v4 "$n" --v6 $((n / 10)) >"$work/a.json"
  "$op25bc" compile "$work/a.json" --at 2006-11-01 -o "$work/a.nft" 2>/dev/null
  read -r nsecs _ < <(measure unshare -n nft -f "$work/a.nft")
  for backend in nftables iptables; do
    cat >"$work/run.sh" <<SH
set -euo pipefail
run() { "$op25bc" activate "$work/a.json" --at 2006-11-01 --no-syslog --backend $backend \
  --state "$work/$backend.state" --lock "$work/lock" "\$@" >/dev/null 2>&1; }
run
/usr/bin/time -f "%e" -o "$work/t.trust" bash -c "\$(declare -f run); run"
/usr/bin/time -f "%e" -o "$work/t.verify" bash -c "\$(declare -f run); run --verify-every 0"
SH
    rm -f "$work/$backend.state"
    unshare -n bash "$work/run.sh"
    read -r trust <"$work/t.trust"
    read -r verify <"$work/t.verify"
    eval "${backend}_trust=$trust ${backend}_verify=$verify"
  done
  printf '%-8s %-7s | %8s | %10s %10s %6s | %10s %10s %6s\n' "$n" $((n / 10)) "$nsecs" \
    "$nftables_trust" "$nftables_verify" "$(awk -v a="$nftables_verify" -v b="$nsecs" 'BEGIN { printf "%.2f", a / b }')" \
    "$iptables_trust" "$iptables_verify" "$(awk -v a="$iptables_verify" -v b="$nsecs" 'BEGIN { printf "%.2f", a / b }')"
done
