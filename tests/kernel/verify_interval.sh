#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The scheduled path repairs what the record cannot see (issue 23, item 3).
# On the iptables backend a member swapped with ipset, the count unchanged
# (here the exempt set's 198.18.3.4 for 128.0.0.0/1, which exempts half of
# IPv4), changes no generation op25bc can read: between full verifications
# activate trusts its record. Real connections through a namespace router:
#  - the swap is real: a subscriber that must be blocked connects;
#  - activate within the interval keeps trusting the record (documented);
#  - once the last full verification is older than --verify-every (the
#    record says an hour and a second ago), a plain activate reads every
#    set back and repairs it: the subscriber is blocked again;
#  - activate --verify and --verify-every 0 verify at once; status and the
#    metrics say when the last full verification was (both backends).
set -euo pipefail
op25bc=$1
root=$2
source "$root/tests/kernel/lib.sh"
start_kernel_test
topology_up "op25bc-vfy-$$"
policy=$root/examples/spinnet.json
at=2006-10-01
serve_in "$net" "$work/serve.out" 25
# One subscriber that explain says is blocked, to the remote MTA.
verdict=$("$op25bc" explain "$policy" --src 198.18.17.5 --dst 198.51.100.7 --at $at --format json 2>/dev/null |
  "$python" -c 'import json, sys; print(json.load(sys.stdin)["verdict"])')
[ "$verdict" = blocked ] || { echo "FAIL: the case must be blocked, explain says $verdict"; exit 1; }
echo '[{"src": "198.18.17.5", "dst": "198.51.100.7", "port": 25}]' > "$work/case.json"
outcome() {
  ip netns exec "$sub" "$python" "$probe" probe "$work/case.json" |
    "$python" -c 'import json, sys; print(json.load(sys.stdin)[0]["outcome"])'
}
xt() {
  ip netns exec "$rtr" "$op25bc" "$@" --backend iptables --state "$work/xt.state" --lock "$work/lock"
}
activate() { xt activate "$policy" --at $at --no-syslog "$@" 2>&1 >/dev/null; }
quiet() { "$@" >/dev/null 2>&1; }

check "iptables: the first activate verifies every set (no record yet)" quiet activate
check "iptables: blocked as explain says" test "$(outcome)" = reset
check "iptables: status says when the last full verification was" \
  bash -c "ip netns exec '$rtr' '$op25bc' status --backend iptables --state '$work/xt.state' |
           grep -q '^last full verification: 20'"

exempt=$(ip netns exec "$rtr" ipset list -n | grep '^op25b-exempt4\.')
ip netns exec "$rtr" ipset del "$exempt" 198.18.3.4
ip netns exec "$rtr" ipset add "$exempt" 128.0.0.0/1
check "the swap is real: the subscriber now connects" test "$(outcome)" = connected
check "within the interval activate trusts the record: no change" \
  bash -c "$(declare -f xt activate); op25bc='$op25bc' work='$work' rtr='$rtr' policy='$policy' at=$at;
           activate | grep -q 'no change'"
check "within the interval: still connects (the documented window)" test "$(outcome)" = connected

# The last full verification an hour and a second ago, as the record keeps it.
"$python" - "$work/xt.state" <<'PY'
import json, sys, time
record = json.load(open(sys.argv[1]))
assert record["verified_at"] > 0
record["verified_at"] = int(time.time()) - 3601
json.dump(record, open(sys.argv[1], "w"))
PY
activate > "$work/due.log" || true
check "past the interval a plain activate reads every set back and repairs the swap" \
  grep -q "every set verified in the kernel" "$work/due.log"
check "after the repair: blocked again" test "$(outcome)" = reset
check "after the repair: the exempt set holds the exemption again" \
  bash -c "ip netns exec '$rtr' ipset save '$exempt' | grep -q '198.18.3.4' &&
           ! ip netns exec '$rtr' ipset save '$exempt' | grep -q '128.0.0.0/1'"

ip netns exec "$rtr" ipset del "$exempt" 198.18.3.4
ip netns exec "$rtr" ipset add "$exempt" 128.0.0.0/1
check "--verify-every 0: every run verifies and repairs" quiet activate --verify-every 0
check "--verify-every 0: blocked again" test "$(outcome)" = reset
ip netns exec "$rtr" ipset del "$exempt" 198.18.3.4
ip netns exec "$rtr" ipset add "$exempt" 128.0.0.0/1
check "--verify: this run verifies and repairs" quiet activate --verify
check "--verify: blocked again" test "$(outcome)" = reset

# nftables: the record says when it last verified; status and metrics show it.
ip netns exec "$rtr" bash -c "iptables-legacy -F FORWARD; ip6tables-legacy -F FORWARD"
nft_activate() {
  ip netns exec "$rtr" "$op25bc" activate "$policy" --at $at --no-syslog --state "$work/nft.state" \
    --lock "$work/lock" --metrics "$work/op25bc.prom" "$@" 2>&1 >/dev/null
}
check "nftables: activate --verify-every 0 verifies every set" \
  bash -c "$(declare -f nft_activate); op25bc='$op25bc' work='$work' rtr='$rtr' policy='$policy' at=$at;
           nft_activate >/dev/null && nft_activate --verify-every 0 | grep -q 'every set verified in the kernel'"
check "nftables: blocked as explain says" test "$(outcome)" = reset
check "nftables: status says when the last full verification was" \
  bash -c "ip netns exec '$rtr' '$op25bc' status --state '$work/nft.state' | grep -q '^last full verification: 20'"
check "nftables: the metric of the last full verification" \
  grep -q '^op25bc_last_verification_timestamp_seconds [0-9]' "$work/op25bc.prom"
check "nftables: promtool accepts the metrics" promtool check metrics < "$work/op25bc.prom"
finish
