#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Monitor periods, with real packets through the veth topology (lib.sh), on
# both backends (nftables; iptables-legacy and ipset):
# (1) SpinNet with a September monitor period for its October phase: inside
#     it every connection's outcome equals op25bc explain, nothing the phase
#     would block is blocked, and `op25bc affected` lists exactly the sources
#     explain says are monitored, with their pool and phase; from October 1
#     the same connection is reset and what was recorded stays listed.
# (2) A recording set of 4 and 10 sources: every verdict stays right, 4 are
#     recorded, status and metrics say the set is full.
# (3) --kernel-timed: monitoring turns into blocking at the second.
# (4) affected with no monitoring phase lists nothing; another backend's state
#     file is refused.
# Between (1)'s steps, the recording sets are taken away by hand: affected
# and status say they are missing; the next apply restores them.
set -euo pipefail
op25bc=$1
root=$2
source "$root/tests/kernel/lib.sh"
start_kernel_test

topology_up "op25bc-mon-$$"
serve_in "$net" "$work/serve.out" 25 587 465
# Ten more eADSL subscribers for the full set.
for i in $(seq 1 10); do ip -n "$sub" addr add 198.18.2.$i/32 dev s0; done
ip -n "$rtr" route add 198.18.2.0/24 via 198.18.254.2

# monitored POLICY [MAX_SOURCES]: SpinNet, its October phase monitoring from September 1.
monitored() {
  "$python" - "$root/examples/spinnet.json" "$1" "${2:-}" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc.pop("$schema", None)
doc["phases"][1]["monitor_from"] = "2006-09-01"
if sys.argv[3]:
    doc["monitoring"] = {"max_sources": int(sys.argv[3])}
json.dump(doc, open(sys.argv[2], "w"))
PY
}
monitored "$work/spinnet.json"
rtr_op25bc() { ip netns exec "$rtr" "$op25bc" "$@"; }
# cases FILE SRC DST PORT...: a probe list, one case per (src, dst, port) triple.
cases() {
  local out=$1
  shift
  "$python" - "$out" "$@" <<'PY'
import json, sys
a = sys.argv[2:]
json.dump([{"src": a[i], "dst": a[i + 1], "port": int(a[i + 2])} for i in range(0, len(a), 3)],
          open(sys.argv[1], "w"))
PY
}
probe() { ip netns exec "$sub" "$python" "$probe" probe "$1"; }

# scenario NAME [--backend B]: parts (1) to (3) on one backend.
scenario() {
local name=$1
shift
local backend=("$@")
reset_router
# (1) Inside the monitor period.
cases "$work/cases.json" \
  198.18.17.5 198.51.100.7 25  198.18.3.5 192.0.2.25 25  198.18.1.5 198.51.100.7 587 \
  198.18.1.5 198.51.100.7 465  198.18.3.4 198.51.100.7 25  198.18.64.10 198.51.100.7 25 \
  198.18.96.5 198.51.100.7 25  198.18.1.42 203.0.113.9 25  198.18.33.1 198.51.100.7 25 \
  2001:db8:200::5 2001:db8:ffff:ffff::7 25  2001:db8:400::5 2001:db8:ffff:ffff::7 25 \
  2001:db8:200::5 2001:db8:25::25 25
rtr_op25bc apply "$work/spinnet.json" --at 2006-09-10 "${backend[@]}" --state "$work/state" \
  --lock "$work/lock" >/dev/null 2>&1
probe "$work/cases.json" > "$work/results.json"
rtr_op25bc affected "$work/spinnet.json" "${backend[@]}" --state "$work/state" --format json \
  > "$work/affected.json" 2>/dev/null
# compare AT [AFFECTED]: outcomes against explain; the affected list (when
# given) against explain's "monitoring".
compare() {
  "$python" - "$op25bc" "$work/spinnet.json" "$1" "$work/results.json" "${2:-}" <<'PY'
import json, subprocess, sys
op25bc, policy, at, results, affected = sys.argv[1:]
bad, monitored = 0, {}
for r in json.load(open(results)):
    e = json.loads(subprocess.run(
        [op25bc, "explain", policy, "--src", r["src"], "--dst", r["dst"], "--port", str(r["port"]),
         "--at", at, "--format", "json"], capture_output=True, text=True).stdout)
    expected = "reset" if e["verdict"] == "blocked" else "connected"
    if r["outcome"] != expected:
        bad += 1
        print(f"FAIL at {at}: {r['src']} -> {r['dst']} port {r['port']}: {r['outcome']}, "
              f"explain says {e['verdict']}")
    if e["monitoring"]:
        monitored[r["src"]] = (e["source"]["pool"], e["monitoring"]["phase"])
listed = {s["address"]: (s["pool"], s["phase"]) for s in json.load(open(affected))["sources"]} \
    if affected else monitored
if listed != monitored:
    bad += 1
    print(f"FAIL at {at}: affected lists {sorted(listed.items())}, explain monitors {sorted(monitored.items())}")
print("ok" if bad == 0 else "bad", len(monitored))
PY
}
result=$(compare 2006-09-10 "$work/affected.json")
echo "$result"
check "$name: monitor period: outcomes equal explain, affected equals what explain monitors (3 sources)" \
  test "${result##*$'\n'}" = "ok 3"
check "$name: monitor period: nothing the October phase would block is reset" \
  "$python" -c 'import json,sys; r=[c for c in json.load(open(sys.argv[1])) if c["src"]=="198.18.17.5"]; sys.exit(r[0]["outcome"]!="connected")' "$work/results.json"
check "$name: affected names pool and phase of the monitored source" \
  "$python" -c '
import json, sys
s = {x["address"]: x for x in json.load(open(sys.argv[1]))["sources"]}["198.18.17.5"]
sys.exit(not (s["pool"] == "flets-east" and s["phase"] == "all" and s["service"] == "flets"
              and s["blocks_from"].startswith("2006-10-01")))' "$work/affected.json"
check "$name: status counts the monitored connections" bash -c \
  "ip netns exec '$rtr' '$op25bc' status ${backend[*]} --state '$work/state' | grep -q 'phase all monitored 3 connections it would have blocked; IPv4 sources 2 of 65536; IPv6 sources 1 of 65536'"
check "$name: affected -o writes the list mode 0600" bash -c "
  ip netns exec '$rtr' '$op25bc' affected '$work/spinnet.json' ${backend[*]} --state '$work/state' --format csv \
    -o '$work/affected.csv' 2>/dev/null
  test \"\$(stat -c %a '$work/affected.csv')\" = 600
  grep -q '^198.18.17.5,all,flets-east,flets,east,2006-10-01T00:00:00+09:00,' '$work/affected.csv'"
check "$name: diff --verify after recording: in sync (recorded sources are the kernel's, not drift)" \
  rtr_op25bc diff "$work/spinnet.json" --at 2006-09-10 "${backend[@]}" --state "$work/state" --verify


# From October 1 the phase blocks; what it recorded stays readable.
rtr_op25bc apply "$work/spinnet.json" --at 2006-10-02 "${backend[@]}" --state "$work/state" \
  --lock "$work/lock" >/dev/null 2>&1
probe "$work/cases.json" > "$work/results.json"
rtr_op25bc affected "$work/spinnet.json" "${backend[@]}" --state "$work/state" --format json \
  > "$work/affected-after.json" 2>/dev/null
result=$(compare 2006-10-02)
echo "$result"
check "$name: after effective: outcomes equal explain (monitored now reset)" test "${result%% *}" = ok
check "$name: after effective: 198.18.17.5 -> port 25 is reset" \
  "$python" -c 'import json,sys; r=[c for c in json.load(open(sys.argv[1])) if c["src"]=="198.18.17.5"]; sys.exit(r[0]["outcome"]!="reset")' "$work/results.json"
check "$name: after effective: the monitor period's list is still there" \
  cmp -s <("$python" -c 'import json,sys; print(sorted(s["address"] for s in json.load(open(sys.argv[1]))["sources"]))' "$work/affected.json") \
  <("$python" -c 'import json,sys; print(sorted(s["address"] for s in json.load(open(sys.argv[1]))["sources"]))' "$work/affected-after.json")

# Someone takes the recording sets away (their rules first, as the kernel
# requires) while the phase monitors: affected and status say so instead of
# listing nothing.
reset_router
rtr_op25bc apply "$work/spinnet.json" --at 2006-09-10 "${backend[@]}" --state "$work/state" \
  --lock "$work/lock" >/dev/null 2>&1
probe "$work/cases.json" > /dev/null
if [ "${backend[*]}" = "--backend iptables" ]; then
  for tool in iptables-legacy ip6tables-legacy; do
    ip netns exec "$rtr" "$tool" -S | { grep -- '-set op25b-phase_all_seen' || true; } | sed 's/^-A/-D/' |
      while read -r rule; do eval "ip netns exec '$rtr' $tool $rule"; done
  done
  for set in $(ip netns exec "$rtr" ipset list -n | grep '^op25b-phase_all_seen'); do
    ip netns exec "$rtr" ipset destroy "$set"
  done
else
  ip netns exec "$rtr" nft -a list table inet op25b | grep '@phase_all_seen' |
    while read -r line; do
      chain=$(ip netns exec "$rtr" nft -a list table inet op25b | awk -v h="${line##*# handle }" '
        /^\tchain / {c=$2} $0 ~ "# handle " h "$" && c && !done {print c; done=1}')
      ip netns exec "$rtr" nft delete rule inet op25b "$chain" handle "${line##*# handle }"
    done
  ip netns exec "$rtr" nft delete set inet op25b phase_all_seen4
  ip netns exec "$rtr" nft delete set inet op25b phase_all_seen6
fi
check "$name: affected says the recording sets are missing, and fails" bash -c "
  ! ip netns exec '$rtr' '$op25bc' affected '$work/spinnet.json' ${backend[*]} --state '$work/state' \
    > /dev/null 2> '$work/missing.err'
  grep -q 'the recording set phase_all_seen4 is missing from' '$work/missing.err'
  grep -q 'the recording set phase_all_seen6 is missing from' '$work/missing.err'"
# (With iptables the rule that records is the one that counts: its counter
# goes with it, and only affected, which reads the policy, can tell.)
if [ "${backend[*]}" != "--backend iptables" ]; then
check "$name: status says the recording sets are missing" bash -c "
  ip netns exec '$rtr' '$op25bc' status ${backend[*]} --state '$work/state' |
    grep -q 'phase all monitored 3 connections it would have blocked; its recording sets are missing'
  ip netns exec '$rtr' '$op25bc' status ${backend[*]} --state '$work/state' --format json |
    '$python' -c 'import json,sys; m=json.load(sys.stdin)[\"monitoring\"]; sys.exit(not m[0][\"sets_missing\"])'"
fi
rtr_op25bc apply "$work/spinnet.json" --at 2006-09-10 "${backend[@]}" --state "$work/state" \
  --lock "$work/lock" >/dev/null 2>&1
check "$name: the next apply restores them" bash -c "
  ip netns exec '$rtr' '$op25bc' affected '$work/spinnet.json' ${backend[*]} --state '$work/state' > /dev/null"

# (2) A full recording set changes no verdict.
monitored "$work/four.json" 4
reset_router
rtr_op25bc apply "$work/four.json" --at 2006-09-10 "${backend[@]}" --state "$work/state" \
  --lock "$work/lock" >/dev/null 2>&1
args=()
for i in $(seq 1 10); do args+=(198.18.2.$i 198.51.100.7 25); done
for i in $(seq 1 10); do args+=(198.18.2.$i 198.51.100.7 587); done
cases "$work/ten.json" "${args[@]}"
probe "$work/ten.json" > "$work/ten-results.json"
check "$name: full set: all 20 connections connect" \
  "$python" -c 'import json,sys; sys.exit(any(r["outcome"]!="connected" for r in json.load(open(sys.argv[1]))))' "$work/ten-results.json"
recorded=$(rtr_op25bc affected "$work/four.json" "${backend[@]}" --state "$work/state" --format json 2>/dev/null |
  "$python" -c 'import json,sys; print(len(json.load(sys.stdin)["sources"]))')
check "$name: full set: 4 of 10 sources recorded (got $recorded)" test "$recorded" = 4
check "$name: full set: status says full" bash -c \
  "ip netns exec '$rtr' '$op25bc' status ${backend[*]} --state '$work/state' | grep -q 'IPv4 sources 4 of 4 (full: new sources are not recorded)'"
check "$name: full set: metrics say full and count 10 connections" bash -c "
  ip netns exec '$rtr' '$op25bc' metrics ${backend[*]} --state '$work/state' > '$work/metrics.prom' 2>/dev/null
  grep -qx 'op25bc_monitor_set_full{phase=\"all\",family=\"IPv4\"} 1' '$work/metrics.prom'
  grep -qx 'op25bc_monitored_sources{phase=\"all\",family=\"IPv4\"} 4' '$work/metrics.prom'
  grep -qx 'op25bc_monitored_connections_total{phase=\"all\"} 10' '$work/metrics.prom'"
check "$name: full set: metrics pass promtool check metrics" bash -c "promtool check metrics < '$work/metrics.prom'"
probe "$work/ten.json" > "$work/ten-results.json"
check "$name: full set: a second round still connects" \
  "$python" -c 'import json,sys; sys.exit(any(r["outcome"]!="connected" for r in json.load(open(sys.argv[1]))))' "$work/ten-results.json"

# (3) Kernel-timed: monitoring turns into blocking at the second (UTC).
boundary=$(date -u -d '+5 seconds' +%Y-%m-%dT%H:%M:%SZ)
cat > "$work/soon.json" <<JSON
{ "version": 1, "timezone": "UTC",
  "services": [ { "id": "ftth" } ],
  "pools": [ { "id": "subscribers", "service": "ftth", "prefixes": ["198.18.0.0/16"] } ],
  "smarthosts": [ { "id": "smtp", "addresses": ["192.0.2.25"] } ],
  "phases": [ { "id": "soon", "monitor_from": "2006-01-01", "effective": "$boundary", "block": "all" } ] }
JSON
reset_router
rtr_op25bc activate "$work/soon.json" --kernel-timed --no-syslog "${backend[@]}" \
  --state "$work/state" --lock "$work/lock" >/dev/null 2>&1
cases "$work/one.json" 198.18.17.5 198.51.100.7 25
outcome() { probe "$work/one.json" | "$python" -c 'import json,sys; print(json.load(sys.stdin)[0]["outcome"])'; }
check "$name: kernel-timed: before the boundary the monitored connection goes through" test "$(outcome)" = connected
until [ "$(date -u +%s)" -gt "$(date -u -d "$boundary" +%s)" ]; do sleep 0.2; done
check "$name: kernel-timed: after it the kernel blocks it by itself" test "$(outcome)" = reset
check "$name: kernel-timed: the source was recorded before the switch" bash -c "
  ip netns exec '$rtr' '$op25bc' affected '$work/soon.json' ${backend[*]} --state '$work/state' --format csv 2>/dev/null |
    grep -q '^198.18.17.5,soon,subscribers,ftth,'"

}

scenario nftables
scenario iptables --backend iptables

# (4) Nothing monitoring; another backend's record; the iptables backend.
reset_router
rtr_op25bc apply "$root/examples/netlaputa.json" --at 2006-07-01 --state "$work/state" \
  --lock "$work/lock" >/dev/null 2>&1
check "affected with no monitoring phase: an empty list, exit 0" bash -c "
  ip netns exec '$rtr' '$op25bc' affected '$root/examples/netlaputa.json' --state '$work/state' --format json 2>/dev/null |
    '$python' -c 'import json,sys; sys.exit(json.load(sys.stdin)[\"sources\"] != [])'"
check "affected with another backend's state file is refused" bash -c "
  ! ip netns exec '$rtr' '$op25bc' affected '$root/examples/netlaputa.json' --backend iptables --state '$work/state' 2>'$work/err'
  grep -q 'nftables backend' '$work/err'"
finish
