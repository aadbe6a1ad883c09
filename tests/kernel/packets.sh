#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Packet level, end to end. Three network namespaces joined by veth pairs:
#   sub (subscribers of several pools, v4 and v6) -- rtr (runs op25bc) -- net
# where net has TCP listeners on 25, 587 and 465 for smarthosts, a mobile
# carrier's MX and an ordinary remote MTA. Through both seed rollouts (SpinNet
# with `op25bc apply` and again with `op25bc activate`: before June 1, June 1,
# June 15, October 1, exemption active and expired; NetLaputa with `op25bc
# activate`: region by region, the exemption expiring) every connection's observed result (connected or reset)
# must equal what `op25bc explain` says for the same source, destination, port
# and instant.
# Only documentation and benchmark addresses, all inside the namespaces; the
# router has no default route, so nothing can leave.
set -euo pipefail
op25bc=$1
root=$2

source "$root/tests/kernel/lib.sh"
start_kernel_test

topology_up "op25bc-$$"

serve_in "$net" "$work/serve.out" 25 587 465

blocked_seen=0
# rollout POLICY COMMAND "INSTANTS" "V4 SOURCES" "V4 DESTINATIONS" "V6 SOURCES" "V6 DESTINATIONS"
# Steps the router through the instants with COMMAND (apply or activate) and
# holds every observed connection on 25, 587 and 465 against op25bc explain.
rollout() {
  local policy=$1 command=$2 instants=$3
  "$python" - "$work/cases.json" "$4" "$5" "$6" "$7" <<'PY'
import json, sys
out, v4s, v4d, v6s, v6d = sys.argv[1], *[a.split() for a in sys.argv[2:]]
cases = [{"src": s, "dst": d, "port": p} for srcs, dsts in ((v4s, v4d), (v6s, v6d))
         for s in srcs for d in dsts for p in (25, 587, 465)]
json.dump(cases, open(out, "w"))
PY
  rm -f "$work/state"
  for at in $instants; do
    ip netns exec "$rtr" "$op25bc" "$command" "$policy" --at "$at" --state "$work/state" \
      --lock "$work/lock" $([ "$command" = activate ] && echo --no-syslog) >/dev/null 2>&1
    ip netns exec "$sub" "$python" "$probe" probe "$work/cases.json" > "$work/results.json"
    # explain for every case from one interpreter: "outcome expected verdict" lines.
    while IFS=$'\t' read -r src dst port outcome expected verdict; do
      [ "$verdict" = blocked ] && blocked_seen=$((blocked_seen + 1))
      if [ "$outcome" = "$expected" ]; then
        passed=$((passed + 1))
      else
        failed=$((failed + 1))
        echo "FAIL $(basename "$policy") at $at: $src -> $dst port $port: $outcome, explain says $verdict"
      fi
    done < <("$python" - "$op25bc" "$policy" "$at" "$work/results.json" <<'PY'
import json, subprocess, sys
op25bc, policy, at, results = sys.argv[1:]
for r in json.load(open(results)):
    out = subprocess.run([op25bc, "explain", policy, "--src", r["src"], "--dst", r["dst"],
                          "--port", str(r["port"]), "--at", at, "--format", "json"],
                         capture_output=True, text=True).stdout
    verdict = json.loads(out)["verdict"]
    expected = "reset" if verdict == "blocked" else "connected"
    print(r["src"], r["dst"], r["port"], r["outcome"], expected, verdict, sep="\t")
PY
)
  done
}

# SpinNet: mobile MX from June 1, all from October 1; the exemption until 2007-03-31.
rollout "$root/examples/spinnet.json" apply \
  "2006-05-31 2006-06-01 2006-06-15 2006-10-01 2007-03-30 2007-03-31" \
  "198.18.17.5 198.18.3.4 198.18.3.5 198.18.64.10" "192.0.2.25 203.0.113.9 198.51.100.7" \
  "2001:db8:200::5 2001:db8:400::5" "2001:db8:25::25 2001:db8:ffff:1::25 2001:db8:ffff:ffff::7"
# The same rollout through activate, the cron entry point, with every source
# set cut into blocks behind the dispatch maps (at most one interval a set).
cut_into_blocks "$root/examples/spinnet.json"
rollout "$work/spinnet-sharded.json" activate \
  "2006-05-31 2006-06-01 2006-06-15 2006-10-01 2007-03-31" \
  "198.18.17.5 198.18.3.4 198.18.64.10" "192.0.2.25 203.0.113.9 198.51.100.7" \
  "2001:db8:200::5" "2001:db8:ffff:1::25 2001:db8:ffff:ffff::7"
# NetLaputa, through activate: Tokyo June 1, Kanagawa June 15, Matsudo and ISDN
# July 1; the rental-server exemption until August 1; corporate never.
rollout "$root/examples/netlaputa.json" activate \
  "2006-05-31 2006-06-01 2006-06-15 2006-07-01 2006-08-01 2006-10-01" \
  "198.18.1.5 198.18.1.42 198.18.33.1 198.18.65.1 198.18.81.1 198.18.96.5" \
  "192.0.2.25 192.0.2.26 198.51.100.7" \
  "2001:db8:1000::5 2001:db8:1000:42::1 2001:db8:2000::5" "2001:db8:25::25 2001:db8:ffff:ffff::7"

# Both verdicts must have occurred, or the test proves nothing.
if [ "$blocked_seen" -eq 0 ] || [ "$blocked_seen" -eq "$passed" ]; then
  echo "FAIL: expected both blocked and allowed connections (blocked: $blocked_seen)"
  failed=$((failed + 1))
fi
finish
