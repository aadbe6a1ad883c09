#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# status and metrics speak one model on both backends (issue 22, items 3 and
# 5): the same example applied through nftables and through iptables, in
# namespaces of their own; both `status --format json` validate against
# schemas/op25bc-status.schema.json and name the same phases, counters and
# sets; `metrics --backend iptables` passes promtool and carries the counter
# and set metrics; and an iptables router whose FORWARD jump is gone says so.
set -euo pipefail
op25bc=$1
root=$2
source "$root/tests/kernel/lib.sh"
start_kernel_test
policy=$root/examples/spinnet.json
for backend in nftables iptables; do
  unshare -n bash -c "
    '$op25bc' apply '$policy' --at 2006-10-01 --backend $backend --state '$work/$backend.state' \
      --lock '$work/lock' >/dev/null 2>&1
    '$op25bc' diff '$policy' --at 2006-10-01 --backend $backend --state '$work/$backend.state' \
      --lock '$work/lock' --format json >'$work/$backend.diff.json' 2>/dev/null || true
    '$op25bc' apply '$policy' --at 2007-04-01 --backend $backend --state '$work/$backend.state' \
      --lock '$work/lock' --format json >'$work/$backend.apply.json' 2>/dev/null
    '$op25bc' apply '$policy' --at 2006-10-01 --backend $backend --state '$work/$backend.state' \
      --lock '$work/lock' >/dev/null 2>&1
    '$op25bc' history --backend $backend --state '$work/$backend.state' --format json >'$work/$backend.history.json'
    '$op25bc' status --backend $backend --state '$work/$backend.state' --format json >'$work/$backend.json'
    '$op25bc' metrics --backend $backend --state '$work/$backend.state' >'$work/$backend.prom'
    if [ $backend = iptables ]; then
      iptables-legacy -D FORWARD 1
      '$op25bc' status --backend iptables --state '$work/iptables.state' >'$work/cut.txt'
    fi"
done
for kind in status:json diff:diff.json apply:apply.json history:history.json; do
  check "both backends' ${kind%%:*} --format json validate against schemas/op25bc-${kind%%:*}.schema.json" \
    "$python" - "$root" "$work" "${kind%%:*}" "${kind#*:}" <<'PY'
import json, sys, jsonschema
root, work, name, suffix = sys.argv[1:]
schema = json.load(open(f"{root}/schemas/op25bc-{'apply' if name == 'diff' else name}.schema.json"))
for backend in ("nftables", "iptables"):
    jsonschema.validate(json.load(open(f"{work}/{backend}.{suffix}")), schema)
PY
done
check "both backends' apply output names elements the same way" "$python" - "$work" <<'PY'
import json, sys
for backend in ("nftables", "iptables"):
    j = json.load(open(f"{sys.argv[1]}/{backend}.apply.json"))
    deleted = [c for c in j["changes"] if c["object"] == "elements" and c["op"] == "delete"]
    # 2007-04-01: the exemption of 198.18.3.4 ended; its element leaves the exempt set.
    assert j["committed"] and any("198.18.3.4" in e for c in deleted for e in c["elements"]), (backend, j)
PY
check "both name the same phases and counters by policy id" "$python" - "$work" <<'PY'
import json, sys
nft, ipt = (json.load(open(f"{sys.argv[1]}/{b}.json")) for b in ("nftables", "iptables"))
same = (nft["active_phases"] == ipt["active_phases"] == ["mobile", "all"]
        and [c["phase"] for c in nft["counters"]] == [c["phase"] for c in ipt["counters"]]
        and ipt["last_apply"]["policy_fingerprint"] == nft["last_apply"]["policy_fingerprint"]
        and len(ipt["sets"]) == len(nft["sets"]) and ipt["owned_by_op25bc"] and nft["owned_by_op25bc"])
sys.exit(0 if same else 1)
PY
check "metrics --backend iptables passes promtool" promtool check metrics <"$work/iptables.prom"
check "metrics --backend iptables carries the phase counters" \
  grep -q '^op25bc_blocked_packets_total{phase="all"} 0$' "$work/iptables.prom"
check "metrics --backend iptables carries the set sizes, named stably" \
  grep -q '^op25bc_set_elements{set="op25b-exempt4"} 1$' "$work/iptables.prom"
check "an iptables router without the FORWARD jump: status warns" \
  grep -q "^warning: iptables: no FORWARD rule jumps to OP25B-CHECK" "$work/cut.txt"
finish
