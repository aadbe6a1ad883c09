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
work=$(mktemp -d)
topology_up "op25bc-$$"
trap 'topology_down; rm -rf "$work"' EXIT

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
