#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Submission adoption counters, with real packets through the veth topology
# (lib.sh), on both backends (nftables; iptables-legacy and ipset). SpinNet:
# its phases cover eADSL and FLET'S, not business-static; port 587 is its
# submission port, 465 is not.
# (1) Before any phase: every connection goes through, and status, its JSON
#     and the metrics count exactly the covered pools' connections to port 587
#     (any destination) and to a smarthost on port 25, per family.
# (2) Once both phases block, the counts go on from there (the counters
#     survive the apply), direct port-25 mail is reset and port 587 is not.
# (3) The same with the source sets cut into blocks behind dispatch maps.
# (4) A SYN sent again (the server drops the first two, the client
#     retransmits) counts its connection once.
set -euo pipefail
op25bc=$1
root=$2
source "$root/tests/kernel/lib.sh"
start_kernel_test

topology_up "op25bc-adopt-$$"
serve_in "$net" "$work/serve.out" 25 587 465
rtr_op25bc() { ip netns exec "$rtr" "$op25bc" "$@"; }
cut_into_blocks "$root/examples/spinnet.json"

# One connection each; what each should count is beside it.
"$python" - "$work/cases.json" <<'PY'
import json, sys
cases = [
    ("198.18.1.5", "198.51.100.7", 587),          # eADSL: submission IPv4
    ("198.18.17.5", "203.0.113.9", 587),          # FLET'S east: submission IPv4
    ("2001:db8:200::5", "2001:db8:ffff:ffff::7", 587),  # submission IPv6
    ("198.18.64.10", "198.51.100.7", 587),        # business-static: no phase covers it
    ("198.18.96.5", "198.51.100.7", 587),         # in no pool
    ("198.18.3.5", "192.0.2.25", 25),             # smarthost IPv4
    ("198.18.3.4", "192.0.2.26", 25),             # an exempt customer's, still a pool's: smarthost IPv4
    ("2001:db8:200::5", "2001:db8:25::25", 25),   # smarthost IPv6
    ("2001:db8:400::5", "2001:db8:25::25", 25),   # business-static to the smarthost
    ("198.18.1.5", "198.51.100.7", 465),          # not SpinNet's submission port
    ("198.18.1.42", "198.51.100.7", 25),          # direct mail: blocked once "all" is in force
]
json.dump([{"src": s, "dst": d, "port": p} for s, d, p in cases], open(sys.argv[1], "w"))
PY
probe() { ip netns exec "$sub" "$python" "$probe" probe "$work/cases.json"; }

# outcomes RESULTS RESET: every case connected, except the one to RESET (or none).
outcomes() {
  "$python" - "$1" "${2:-}" <<'PY'
import json, sys
bad = [r for r in json.load(open(sys.argv[1]))
       if r["outcome"] != ("reset" if f'{r["src"]}:{r["port"]}' == sys.argv[2] else "connected")]
for r in bad: print(f'  {r["src"]} -> {r["dst"]} port {r["port"]}: {r["outcome"]}')
sys.exit(1 if bad else 0)
PY
}

# counted SUB4 SUB6 SMART4 SMART6: status JSON, status text and metrics all say so.
counted() {
  rtr_op25bc status "${backend[@]}" --state "$work/state" --format json > "$work/status.json"
  rtr_op25bc status "${backend[@]}" --state "$work/state" > "$work/status.txt"
  rtr_op25bc metrics "${backend[@]}" --state "$work/state" > "$work/metrics.prom" 2>/dev/null
  "$python" - "$work/status.json" "$@" <<'PY' || return 1
import json, sys
got = {(a["kind"], a["family"]): a["connections"] for a in json.load(open(sys.argv[1]))["adoption"]}
want = dict(zip([("submission", "IPv4"), ("submission", "IPv6"), ("smarthost", "IPv4"),
                 ("smarthost", "IPv6")], map(int, sys.argv[2:])))
if got != want:
    print(f"  status --format json: {got}, want {want}")
    sys.exit(1)
PY
  grep -qx "pools' connections to submission ports: IPv4 $1, IPv6 $2" "$work/status.txt" &&
    grep -qx "pools' connections to smarthosts on enforcement ports: IPv4 $3, IPv6 $4" "$work/status.txt" &&
    grep -qx "op25bc_submission_connections_total{family=\"IPv4\"} $1" "$work/metrics.prom" &&
    grep -qx "op25bc_submission_connections_total{family=\"IPv6\"} $2" "$work/metrics.prom" &&
    grep -qx "op25bc_smarthost_connections_total{family=\"IPv4\"} $3" "$work/metrics.prom" &&
    grep -qx "op25bc_smarthost_connections_total{family=\"IPv6\"} $4" "$work/metrics.prom"
}

scenario() {
  local name=$1
  shift
  backend=("$@")
  reset_router
  # (1) Before any phase.
  rtr_op25bc apply "$root/examples/spinnet.json" --at 2006-05-01 "${backend[@]}" \
    --state "$work/state" --lock "$work/lock" > /dev/null 2>&1
  probe > "$work/results.json"
  check "$name: before any phase every connection goes through" outcomes "$work/results.json"
  check "$name: before any phase: submission 2/1 and smarthost 2/1 connections (IPv4/IPv6)" \
    counted 2 1 2 1
  check "$name: the metrics pass promtool check metrics" \
    bash -c "promtool check metrics < '$work/metrics.prom'"
  # (2) Both phases in force: counted on top of what was.
  rtr_op25bc apply "$root/examples/spinnet.json" --at 2006-10-02 "${backend[@]}" \
    --state "$work/state" --lock "$work/lock" > /dev/null 2>&1
  probe > "$work/results.json"
  check "$name: with the phases blocking only direct port-25 mail is reset" \
    outcomes "$work/results.json" 198.18.1.42:25
  check "$name: with the phases blocking the counts go on: 4/2 and 4/2" counted 4 2 4 2
  # (3) Source sets cut into blocks (nftables; the iptables sets are hash:net).
  rtr_op25bc apply "$work/spinnet-sharded.json" --at 2006-10-02 "${backend[@]}" \
    --state "$work/state" --lock "$work/lock" > /dev/null 2>&1
  probe > "$work/results.json"
  check "$name: cut into blocks: the same outcomes" outcomes "$work/results.json" 198.18.1.42:25
  check "$name: cut into blocks: the counts go on: 6/3 and 6/3" counted 6 3 6 3
  # (4) The server drops the first two SYNs to port 587 from 198.18.1.5 (of
  # every three), so the client's connection takes three.
  ip netns exec "$net" nft -f - <<'NFT'
table inet drop_syns {
  chain input {
    type filter hook input priority 0;
    ip saddr 198.18.1.5 tcp dport 587 tcp flags syn / syn,ack numgen inc mod 3 != 2 counter drop
  }
}
NFT
  echo '[{"src": "198.18.1.5", "dst": "198.51.100.7", "port": 587}]' > "$work/retransmit.json"
  ip netns exec "$sub" "$python" "$probe" probe "$work/retransmit.json" > "$work/retransmit.out"
  ip netns exec "$net" nft delete table inet drop_syns
  check "$name: a retransmitted SYN: its connection goes through, after two dropped SYNs" bash -c "
    grep -q connected '$work/retransmit.out'"
  check "$name: a retransmitted SYN counts its connection once: 7/3 and 6/3" counted 7 3 6 3
}

scenario nftables
check "nftables: the counters are named counters in op25bc's table" bash -c \
  "ip netns exec '$rtr' nft list counter inet op25b submission4 | grep -q 'packets 7'"
scenario iptables --backend iptables
check "iptables: the counter is the one rule of its chain" bash -c \
  "ip netns exec '$rtr' iptables-legacy -L OP25B-C-submission4 -v -n -x | grep -Eq '^ +7 '"
finish
