#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Kernel-timed mode, on both backends. (1) `op25bc apply --kernel-timed` lists exactly as `nft -f`
# of `op25bc compile --kernel-timed`. (2) A boundary a few seconds ahead flips
# packet behaviour without running op25bc again: installed ahead of time behind
# "meta time" guards on the absolute instant, the block starts at that second.
set -euo pipefail
op25bc=$1
root=$2
source "$root/tests/kernel/lib.sh"
start_kernel_test

spinnet=$root/examples/spinnet.json
for at in 2006-05-31T23:59:50+09:00 2006-09-30T23:59:50+09:00 2007-03-30T23:59:50+09:00; do
  check "apply --kernel-timed at $at lists as nft -f of compile --kernel-timed" in_netns "
    '$op25bc' compile '$spinnet' --at '$at' --kernel-timed 2>/dev/null > '$work/expected.nft'
    '$op25bc' apply '$spinnet' --at '$at' --kernel-timed --state '$work/state' --lock '$work/lock' >/dev/null 2>&1
    nft list ruleset > '$work/have'
    unshare -n bash -c \"nft -f '$work/expected.nft' && nft list ruleset\" | cmp -s - '$work/have'"
  rm -f "$work/state"
done

# soon: a policy whose blocking phase starts 12 seconds from now (UTC
# timestamps), written right before the activate that installs it, so that a
# slow machine (the sanitizer build beside other tests) still probes before it.
soon() {
  boundary=$(date -u -d '+12 seconds' +%Y-%m-%dT%H:%M:%SZ)
  cat > "$work/soon.json" <<JSON
{ "version": 1, "timezone": "UTC",
  "services": [ { "id": "ftth" } ],
  "pools": [ { "id": "subscribers", "service": "ftth", "prefixes": ["198.18.0.0/16"] } ],
  "smarthosts": [ { "id": "smtp", "addresses": ["192.0.2.25"] } ],
  "phases": [ { "id": "soon", "effective": "$boundary", "block": "all" } ] }
JSON
}
topology_up "op25bc-kt-$$"
serve_in "$net" "$work/serve.out" 25
echo '[{"src": "198.18.17.5", "dst": "198.51.100.7", "port": 25}]' > "$work/case.json"
outcome() { ip netns exec "$sub" "$python" "$probe" probe "$work/case.json" | "$python" -c 'import json,sys; print(json.load(sys.stdin)[0]["outcome"])'; }

soon
ip netns exec "$rtr" "$op25bc" activate "$work/soon.json" --kernel-timed --no-syslog \
  --state "$work/kt.state" --lock "$work/kt.lock" 2>/dev/null
check "before the boundary the connection goes through" test "$(outcome)" = connected
until [ "$(date -u +%s)" -gt "$(date -u -d "$boundary" +%s)" ]; do sleep 0.2; done
check "after the boundary the kernel blocks it by itself" test "$(outcome)" = reset
verdict=$("$op25bc" explain "$work/soon.json" --src 198.18.17.5 --dst 198.51.100.7 --format json 2>/dev/null |
  "$python" -c 'import json,sys; print(json.load(sys.stdin)["verdict"])')
check "explain agrees for now" test "$verdict" = blocked
check "the next activate drops the guard and changes nothing else" bash -c "
  ip netns exec '$rtr' '$op25bc' activate '$work/soon.json' --kernel-timed --no-syslog \
    --state '$work/kt.state' --lock '$work/kt.lock' 2>&1 | grep -q 'phases soon active'
  ! ip netns exec '$rtr' nft list chain inet op25b check | grep -q 'meta time'"

# (3) The same on the iptables backend: -m time --datestart, in UTC, flips it.
topology_down
topology_up "op25bc-kx-$$"
serve_in "$net" "$work/serve2.out" 25
soon
ip netns exec "$rtr" "$op25bc" activate "$work/soon.json" --kernel-timed --no-syslog --backend iptables \
  --state "$work/kx.state" --lock "$work/kx.lock" 2>/dev/null
check "iptables: the guard is -m time in UTC" bash -c \
  "ip netns exec '$rtr' iptables-legacy-save | grep -q -- '--datestart ${boundary%Z}'"
check "iptables: before the boundary the connection goes through" test "$(outcome)" = connected
until [ "$(date -u +%s)" -gt "$(date -u -d "$boundary" +%s)" ]; do sleep 0.2; done
check "iptables: after the boundary the kernel blocks it by itself" test "$(outcome)" = reset
finish
