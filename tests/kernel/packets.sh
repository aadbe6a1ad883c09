#!/usr/bin/env bash
# Packet level, end to end. Three network namespaces joined by veth pairs:
#   sub (subscribers of several pools, v4 and v6) -- rtr (runs op25bc apply) -- net
# where net has TCP listeners on 25, 587 and 465 for a smarthost, a mobile
# carrier's MX and an ordinary remote MTA. Through the SpinNet rollout (before
# June 1, June 1, June 15, October 1, exemption active and expired) every
# connection's observed result (connected or reset) must equal what
# `op25bc explain` says for the same source, destination, port and instant.
# Only documentation and benchmark addresses, all inside the namespaces; the
# router has no default route, so nothing can leave.
set -euo pipefail
op25bc=$1
root=$2

source "$root/tests/kernel/lib.sh"
require_root_or_skip

policy=$root/examples/spinnet.json
probe=$root/tests/kernel/tcp_probe.py
python=/usr/bin/python3
[ -x "$python" ] || python=python3
tag=op25bc-$$
sub=$tag-sub rtr=$tag-rtr net=$tag-net
work=$(mktemp -d)
cleanup() {
  for ns in "$sub" "$rtr" "$net"; do ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true; done
  for ns in "$sub" "$rtr" "$net"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

for ns in "$sub" "$rtr" "$net"; do
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  # No duplicate address detection: link-local addresses usable at once.
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip link add s0 netns "$sub" type veth peer name r0 netns "$rtr"
ip link add n0 netns "$net" type veth peer name r1 netns "$rtr"
ip netns exec "$rtr" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

# Subscribers: a link net, then addresses inside the example's pools.
ip -n "$sub" addr add 198.18.254.2/30 dev s0
ip -n "$sub" addr add 2001:db8:fffe::2/64 dev s0 nodad
for a in 198.18.17.5 198.18.3.4 198.18.3.5 198.18.64.10; do ip -n "$sub" addr add $a/32 dev s0; done
for a in 2001:db8:200::5 2001:db8:400::5; do ip -n "$sub" addr add $a/128 dev s0 nodad; done
ip -n "$rtr" addr add 198.18.254.1/30 dev r0
ip -n "$rtr" addr add 2001:db8:fffe::1/64 dev r0 nodad
# The internet: a link net, then the servers.
ip -n "$net" addr add 198.51.100.7/24 dev n0
ip -n "$net" addr add 2001:db8:fffd::2/64 dev n0 nodad
for a in 192.0.2.25 203.0.113.9; do ip -n "$net" addr add $a/32 dev n0; done
for a in 2001:db8:25::25 2001:db8:ffff:1::25 2001:db8:ffff:ffff::7; do ip -n "$net" addr add $a/128 dev n0 nodad; done
ip -n "$rtr" addr add 198.51.100.1/24 dev r1
ip -n "$rtr" addr add 2001:db8:fffd::1/64 dev r1 nodad
for dev in "$sub:s0" "$rtr:r0" "$rtr:r1" "$net:n0"; do ip -n "${dev%%:*}" link set "${dev#*:}" up; done
# Routes: explicit, nothing default on the router.
ip -n "$sub" route add default via 198.18.254.1
ip -n "$sub" -6 route add default via 2001:db8:fffe::1
ip -n "$net" route add 198.18.0.0/15 via 198.51.100.1
ip -n "$net" -6 route add 2001:db8::/32 via 2001:db8:fffd::1
for a in 192.0.2.25 203.0.113.9; do ip -n "$rtr" route add $a/32 via 198.51.100.7; done
for a in 2001:db8:25::25 2001:db8:ffff:1::25 2001:db8:ffff:ffff::7; do ip -n "$rtr" -6 route add $a/128 via 2001:db8:fffd::2; done
for a in 198.18.17.5 198.18.3.4 198.18.3.5 198.18.64.10; do ip -n "$rtr" route add $a/32 via 198.18.254.2; done
for a in 2001:db8:200::5 2001:db8:400::5; do ip -n "$rtr" -6 route add $a/128 via 2001:db8:fffe::2; done

ip netns exec "$net" "$python" "$probe" serve 25 587 465 > "$work/serve.out" &
for _ in $(seq 50); do grep -q ready "$work/serve.out" 2>/dev/null && break; sleep 0.1; done

"$python" - "$work/cases.json" <<'PY'
import json, sys
v4_src = ["198.18.17.5", "198.18.3.4", "198.18.3.5", "198.18.64.10"]
v4_dst = ["192.0.2.25", "203.0.113.9", "198.51.100.7"]
v6_src = ["2001:db8:200::5", "2001:db8:400::5"]
v6_dst = ["2001:db8:25::25", "2001:db8:ffff:1::25", "2001:db8:ffff:ffff::7"]
cases = [{"src": s, "dst": d, "port": p} for srcs, dsts in ((v4_src, v4_dst), (v6_src, v6_dst))
         for s in srcs for d in dsts for p in (25, 587, 465)]
json.dump(cases, open(sys.argv[1], "w"))
PY

blocked_seen=0
for at in 2006-05-31 2006-06-01 2006-06-15 2006-10-01 2007-03-30 2007-03-31; do
  ip netns exec "$rtr" "$op25bc" apply "$policy" --at "$at" --state "$work/state" --lock "$work/lock" >/dev/null 2>&1
  ip netns exec "$sub" "$python" "$probe" probe "$work/cases.json" > "$work/results.json"
  while IFS=$'\t' read -r src dst port outcome; do
    verdict=$("$op25bc" explain "$policy" --src "$src" --dst "$dst" --port "$port" --at "$at" \
      --format json 2>/dev/null | "$python" -c 'import json,sys; print(json.load(sys.stdin)["verdict"])')
    expected=$([ "$verdict" = blocked ] && echo reset || echo connected)
    [ "$verdict" = blocked ] && blocked_seen=$((blocked_seen + 1))
    if [ "$outcome" = "$expected" ]; then
      passed=$((passed + 1))
    else
      failed=$((failed + 1))
      echo "FAIL at $at: $src -> $dst port $port: $outcome, explain says $verdict"
    fi
  done < <("$python" -c '
import json, sys
for r in json.load(open(sys.argv[1])): print(r["src"], r["dst"], r["port"], r["outcome"], sep="\t")' "$work/results.json")
done
# Both verdicts must have occurred, or the test proves nothing.
if [ "$blocked_seen" -eq 0 ] || [ "$blocked_seen" -eq "$passed" ]; then
  echo "FAIL: expected both blocked and allowed connections (blocked: $blocked_seen)"
  failed=$((failed + 1))
fi
finish
