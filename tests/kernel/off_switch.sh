#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Kernel-side states that switch OP25B off, or change what it blocks, without
# touching a rule op25bc compares (issue 23, item 1). For each, through a real
# router in namespaces with real connections:
#  - the tampering is real: some connection no longer gets what explain says;
#  - `diff` exits 2 and names it, `status` warns about it;
#  - `activate` repairs it, and connections agree with explain again;
# and the invariant: whenever `diff` says in sync, every connection agrees
# with `explain`. Documentation and benchmark addresses only.
set -euo pipefail
op25bc=$1
root=$2

source "$root/tests/kernel/lib.sh"
start_kernel_test
topology_up "op25bc-off-$$"

policy=$root/examples/spinnet.json
at=2006-10-01
opts="--state $work/state --lock $work/lock"
rtr_run() { ip netns exec "$rtr" "$@"; }

serve_in "$net" "$work/serve.out" 25 587

# Blocked and allowed sources, to every kind of destination, both families.
"$python" - "$work/cases.json" <<'PY'
import json, sys
cases = [{"src": s, "dst": d, "port": p}
         for srcs, dsts in ((["198.18.17.5", "198.18.3.4", "198.18.64.10"],
                             ["192.0.2.25", "203.0.113.9", "198.51.100.7"]),
                            (["2001:db8:200::5"], ["2001:db8:ffff:1::25", "2001:db8:ffff:ffff::7"]))
         for s in srcs for d in dsts for p in (25, 587)]
json.dump(cases, open(sys.argv[1], "w"))
PY
# What explain says of every case, once: "src dst port expected" lines.
"$python" - "$op25bc" "$policy" "$at" "$work/cases.json" > "$work/expected.tsv" <<'PY'
import json, subprocess, sys
op25bc, policy, at, cases = sys.argv[1:]
for c in json.load(open(cases)):
    out = subprocess.run([op25bc, "explain", policy, "--src", c["src"], "--dst", c["dst"],
                          "--port", str(c["port"]), "--at", at, "--format", "json"],
                         capture_output=True, text=True, check=True).stdout
    blocked = json.loads(out)["verdict"] == "blocked"
    print(c["src"], c["dst"], c["port"], "reset" if blocked else "connected", sep="\t")
PY
grep -q reset "$work/expected.tsv" && grep -q connected "$work/expected.tsv" ||
  { echo "FAIL: the cases need both verdicts"; exit 1; }

# agree: every connection's outcome is the one explain gives.
agree() {
  ip netns exec "$sub" "$python" "$probe" probe "$work/cases.json" |
    "$python" -c '
import json, sys
print("\n".join("\t".join([r["src"], r["dst"], str(r["port"]), r["outcome"]]) for r in json.load(sys.stdin)))
' | cmp -s - "$work/expected.tsv"
}
in_sync() { rtr_run "$op25bc" diff "$policy" --at "$at" $opts >/dev/null 2>&1; }
# diff_names WORDS: diff exits 2 and its output holds WORDS.
diff_names() {
  set +e
  rtr_run "$op25bc" diff "$policy" --at "$at" $opts > "$work/diff.out" 2>&1
  local rc=$?
  set -e
  [ "$rc" -eq 2 ] && grep -q -- "$1" "$work/diff.out"
}
status_warns() { rtr_run "$op25bc" status --state "$work/state" 2>/dev/null | grep -q "^warning: .*$1"; }
status_json_names() {
  rtr_run "$op25bc" status --state "$work/state" --format json 2>/dev/null |
    "$python" -c 'import json, sys; d = json.load(sys.stdin)["drift"]; sys.exit(0 if any(sys.argv[1] in x for x in d) else 1)' "$1"
}
activate() { rtr_run "$op25bc" activate "$policy" --at "$at" $opts --no-syslog 2>/dev/null; }

check "first apply" rtr_run "$op25bc" apply "$policy" --at "$at" $opts >/dev/null 2>&1
check "applied: in sync" in_sync
check "applied: connections agree with explain" agree

# tamper NAME WORDS NFT-SCRIPT: one tampering, through the whole cycle.
tamper() {
  local name=$1 words=$2 script=$3 switched_off=$4
  rtr_run nft -f - <<<"$script"
  if [ "$switched_off" = yes ]; then
    check "$name: connections no longer agree with explain (the tampering is real)" eval '! agree'
  fi
  check "$name: diff exits 2 naming it" diff_names "$words"
  if in_sync; then check "$name: in sync implies agreement" agree; fi
  check "$name: activate repairs it" activate
  check "$name: in sync after the repair" in_sync
  check "$name: connections agree with explain after the repair" agree
}

# The table made dormant: its hooks unregister, every rule stays as it was.
rtr_run nft add table inet op25b '{ flags dormant; }'
check "dormant: connections no longer agree with explain (the tampering is real)" eval '! agree'
check "dormant: diff exits 2 naming the flag" diff_names "flags dormant"
check "dormant: status warns" status_warns "dormant"
check "dormant: status --format json lists it" status_json_names "dormant"
check "dormant: activate repairs it" activate
check "dormant: status has no warning after the repair" eval '! status_warns ""'
check "dormant: in sync after the repair" in_sync
check "dormant: connections agree with explain after the repair" agree

# The base chain's policy, hook and priority (a chain recreated elsewhere).
tamper "chain policy drop" "chain forward" "add chain inet op25b forward { policy drop; }" yes
tamper "chain moved to the input hook" "chain forward" "
flush chain inet op25b forward
delete chain inet op25b forward
add chain inet op25b forward { type filter hook input priority 0; policy accept; }" yes
tamper "chain priority" "chain forward" "
flush chain inet op25b forward
delete chain inet op25b forward
add chain inet op25b forward { type filter hook forward priority 10; policy accept; }" yes

finish
