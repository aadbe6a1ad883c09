#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fleet benchmark (not a test, never gates CI): the example rollout playbook
# (op25bc.op25b.rollout: a canary, then the rest in one batch) over N
# namespace routers (default 50) with forks 10, for a generated policy of
# 10,000 IPv4 and 1,000 IPv6 prefixes in 1,000 pools, each router carrying
# every Nth pool. Prints the wall time of the first rollout, of a second run
# that changes nothing, and of a one-prefix edit (one router changes), and for
# comparison the time of `nft -f` of one router's compiled ruleset and of
# one `op25bc apply` on one router, measured in the same run.
#
#   bench/fleet.sh [OP25BC] [ROUTERS]     (root; ansible-core)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$here/..
op25bc=$(realpath "${1:-$root/build/op25bc}")
n=${2:-50}
work=$(mktemp -d)
tag=fb$$
cleanup() {
  for i in $(seq 0 $((n - 1))); do ip netns del "$tag-$i" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/ctl" "$work/py" "$work/tmp"
gen() {
  python3 "$here/gen_policy.py" --v4 10000 --v6 1000 --pools 1000 "$@" | python3 -c '
import json, sys
n = int(sys.argv[1])
doc = json.load(sys.stdin)
doc["routers"] = [{"id": f"r{k}", "scope": {"pools": [f"pool{j}" for j in range(k, 1000, n)]}}
                  for k in range(n)]
json.dump(doc, sys.stdout)' "$n"
}
gen >"$work/ctl/policy.json"
for i in $(seq 0 $((n - 1))); do
  ip netns add "$tag-$i"
  printf '#!/bin/sh\nexec ip netns exec %s /usr/bin/python3 "$@"\n' "$tag-$i" >"$work/py/r$i"
  chmod +x "$work/py/r$i"
done
python3 - "$work" "$op25bc" "$n" <<'PY'
import json, sys
work, op25bc, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
hosts = {f"r{i}": {"ansible_python_interpreter": f"{work}/py/r{i}",
                   "op25bc_policy_dir": f"{work}/hosts/r{i}/etc",
                   "op25bc_state": f"{work}/hosts/r{i}/op25b.state",
                   "op25bc_lock": f"{work}/hosts/r{i}/lock"} for i in range(n)}
inventory = {"all": {"children": {
    "op25bc_canary": {"hosts": {"r0": None}},
    "op25bc_routers": {"hosts": hosts, "vars": {
        "ansible_connection": "local", "ansible_become": False, "op25bc_install": "none",
        "op25bc_binary": op25bc, "op25bc_policy_src": f"{work}/ctl/policy.json",
        "op25bc_units": False}}}}}
json.dump(inventory, open(f"{work}/inventory.yml", "w"))
PY
export ANSIBLE_COLLECTIONS_PATH=$root/ansible ANSIBLE_LOCAL_TEMP=$work/tmp ANSIBLE_REMOTE_TEMP=$work/tmp
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_GATHERING=explicit ANSIBLE_FORKS=10
export ANSIBLE_PIPELINING=1 ANSIBLE_CONFIG=$work/none.cfg HOME=$work
# The fleet test's callback: one JSON line per task result.
export ANSIBLE_CALLBACK_PLUGINS=$root/tests/ansible/callback_plugins ANSIBLE_CALLBACKS_ENABLED=op25bc_results
rollout() {
  local start=$EPOCHREALTIME
  OP25BC_RESULTS=$work/$1.jsonl ansible-playbook -i "$work/inventory.yml" -e op25bc_batch=100% \
    "$root/ansible/ansible_collections/op25bc/op25b/playbooks/rollout.yml" \
    >"$work/$1.out" 2>&1 || { tail -30 "$work/$1.out"; exit 1; }
  awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
}
# Routers whose op25bc_apply changed the kernel.
changed_hosts() { grep '"action": "op25bc.op25b.op25bc_apply"' "$work/$1.jsonl" | grep -c '"committed": true' || true; }

first=$(rollout first)
again=$(rollout again)
gen --change >"$work/ctl/policy.json"
edit=$(rollout edit)
"$op25bc" compile "$work/ctl/policy.json" --router r1 --kernel-timed -o "$work/r1.nft"
start=$EPOCHREALTIME
unshare -n nft -f "$work/r1.nft"
nft=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
start=$EPOCHREALTIME
unshare -n "$op25bc" apply "$work/ctl/policy.json" --router r1 --kernel-timed --state "$work/one.state" \
  --lock "$work/one.lock" >/dev/null
one=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
echo "fleet: $n namespace routers, forks 10, 10000 IPv4 + 1000 IPv6 prefixes in 1000 pools"
printf '%-34s %8s s   kernels changed: %s\n' "first rollout" "$first" "$(changed_hosts first)"
printf '%-34s %8s s   kernels changed: %s\n' "second run (nothing to do)" "$again" "$(changed_hosts again)"
printf '%-34s %8s s   kernels changed: %s\n' "one-prefix edit" "$edit" "$(changed_hosts edit)"
printf '%-34s %8s s\n' "one router: nft -f of its ruleset" "$nft"
printf '%-34s %8s s\n' "one router: op25bc apply" "$one"
