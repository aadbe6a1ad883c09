#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The iptables backend against the real kernel (iptables-legacy, ip6tables-
# legacy and ipset inside network namespaces this test creates):
#   1. packets: two routers side by side, one on nftables and one on
#      iptables; through both example rollouts, at every timeline instant,
#      every connection (v4 and v6, ports 25, 587, 465) has the same result
#      through both, and the result op25bc explain gives;
#   2. the hand-loaded output of compile --backend iptables (script and -o
#      DIR) leaves the same chains and sets as apply --backend iptables;
#   3. foreign chains, rules and sets, with counters, stay byte-identical
#      through a first apply, a boundary, a one-prefix change (in place: one
#      ipset add), a re-apply (nothing), a refused and an adopted same-named
#      chain, and failed applies;
#   4. a restore refused in the middle leaves the previous ruleset in force;
#      SIGKILL at several points, then one run converges;
#   5. atomicity: while a phase boundary is applied back and forth, a stream
#      of connections never meets a ruleset that is neither the old nor the new.
# Only documentation and benchmark addresses, all inside the namespaces.
# A third argument runs one half: "packets" (1 and 5) or "state" (2 to 4).
set -euo pipefail
op25bc=$1
root=$2
part=${3:-all}

source "$root/tests/kernel/lib.sh"
start_kernel_test
for tool in iptables-legacy-save iptables-legacy-restore ip6tables-legacy-save \
  ip6tables-legacy-restore ipset; do
  if ! command -v "$tool" >/dev/null; then
    [ "${CI:-}" = "true" ] && { echo "FAIL: $tool is missing"; exit 1; }
    echo "SKIP: $tool is missing (install iptables and ipset)"
    exit 77
  fi
done

spinnet=$root/examples/spinnet.json
netlaputa=$root/examples/netlaputa.json

# xt NS COMMAND ARGS...: op25bc on the iptables backend inside NS, its own state.
xt() {
  local ns=$1
  shift
  ip netns exec "$ns" "$op25bc" "$@" --backend iptables --state "$work/$ns.state" \
    --lock "$work/$ns.lock"
}
quiet() { "$@" >/dev/null 2>&1; }
# json_field FIELD: reads a field of op25bc's JSON on stdin.
json_field() { "$python" -c 'import json,sys; print(json.dumps(json.load(sys.stdin)[sys.argv[1]]))' "$1"; }

# What op25bc owns in NS, normalised: no counters, no comments, no random
# hash seeds (a set made twice differs in its initval).
ours() {
  local ns=$1
  for save in iptables-legacy-save ip6tables-legacy-save; do
    ip netns exec "$ns" "$save" | grep -v '^#' | grep -E 'OP25B|^\*|^COMMIT'
  done
  ip netns exec "$ns" ipset save | grep ' op25b-' | sed -E 's/ bucketsize [0-9]+ initval 0x[0-9a-f]+//' | sort
}
# Everything in NS that is not op25bc's, byte for byte with counters.
foreign() {
  local ns=$1
  for save in iptables-legacy-save ip6tables-legacy-save; do
    ip netns exec "$ns" "$save" -c | grep -v '^#' | grep -v 'OP25B'
  done
  ip netns exec "$ns" ipset save foreign4
  ip netns exec "$ns" ipset save foreign6
}
# Every rule and set of NS (counters left out): "the ruleset in force".
everything() {
  local ns=$1
  for save in iptables-legacy-save ip6tables-legacy-save; do
    ip netns exec "$ns" "$save" | grep -v '^#'
  done
  ip netns exec "$ns" ipset list -t | grep -E '^(Name|Number of entries):'
}

add_foreign() {
  local ns=$1
  ip netns exec "$ns" bash -euo pipefail -c '
    ipset create foreign4 hash:net
    ipset add foreign4 192.0.2.128/28
    ipset create foreign6 hash:net family inet6
    ipset add foreign6 2001:db8:77::/48
    for t in iptables-legacy ip6tables-legacy; do
      $t -N FOREIGN
      $t -A FORWARD -j FOREIGN -c 3 300
      $t -A INPUT -p tcp --dport 22 -j ACCEPT -c 5 500
    done
    iptables-legacy -A FOREIGN -m set --match-set foreign4 src -j ACCEPT -c 7 700
    ip6tables-legacy -A FOREIGN -m set --match-set foreign6 src -j ACCEPT -c 9 900
    iptables-legacy -A FOREIGN -p udp -j RETURN -c 11 1100'
}

# ---- 1. packets: an nftables router and an iptables router, side by side
if [ "$part" != state ]; then
topology_up "op25xa-$$"
nft_sub=$sub nft_rtr=$rtr nft_net=$net
topology_up "op25xb-$$"
trap 'sub=$nft_sub rtr=$nft_rtr net=$nft_net topology_down; cleanup_kernel_test' EXIT
for n in "$nft_net" "$net"; do
  ip netns exec "$n" "$python" "$probe" serve 25 587 465 >"$work/serve-$n.out" &
done
for n in "$nft_net" "$net"; do
  for _ in $(seq 50); do grep -q ready "$work/serve-$n.out" 2>/dev/null && break; sleep 0.1; done
done

# cases FILE "V4 SOURCES" "V4 DESTINATIONS" "V6 SOURCES" "V6 DESTINATIONS"
cases() {
  "$python" - "$@" <<'PY'
import json, sys
out, v4s, v4d, v6s, v6d = sys.argv[1], *[a.split() for a in sys.argv[2:]]
json.dump([{"src": s, "dst": d, "port": p} for srcs, dsts in ((v4s, v4d), (v6s, v6d))
           for s in srcs for d in dsts for p in (25, 587, 465)], open(out, "w"))
PY
}
# explain_all POLICY AT CASES: one line per case, "blocked" or "allowed".
explain_all() {
  "$python" - "$op25bc" "$1" "$2" "$3" <<'PY'
import json, subprocess, sys
op25bc, policy, at, cases = sys.argv[1:]
for c in json.load(open(cases)):
    out = subprocess.run([op25bc, "explain", policy, "--src", c["src"], "--dst", c["dst"],
                          "--port", str(c["port"]), "--at", at, "--format", "json"],
                         capture_output=True, text=True, check=True).stdout
    print(json.loads(out)["verdict"])
PY
}
outcomes() { "$python" -c 'import json,sys; [print(r["outcome"]) for r in json.load(open(sys.argv[1]))]' "$1"; }

blocked_seen=0
rollout() {
  local policy=$1 cases_file=$2
  local instants
  instants="2006-05-01 $("$op25bc" timeline "$policy" --format json |
    "$python" -c 'import json,sys; print(" ".join(e["at"] for e in json.load(sys.stdin)["events"]))')"
  # The routers go from one policy to the next as they are (same table, same records).
  for at in $instants; do
    ip netns exec "$nft_rtr" "$op25bc" apply "$policy" --at "$at" --state "$work/nft.state" \
      --lock "$work/nft.lock" >/dev/null
    xt "$rtr" apply "$policy" --at "$at" >/dev/null 2>&1 ||
      { failed=$((failed + 1)); echo "FAIL: iptables apply at $at"; continue; }
    ip netns exec "$nft_sub" "$python" "$probe" probe "$cases_file" >"$work/nft.json" &
    ip netns exec "$sub" "$python" "$probe" probe "$cases_file" >"$work/xt.json"
    wait $!
    explain_all "$policy" "$at" "$cases_file" >"$work/explain.txt" 2>/dev/null
    paste <(outcomes "$work/nft.json") <(outcomes "$work/xt.json") "$work/explain.txt" \
      >"$work/compare.txt"
    local n=0
    while IFS=$'\t' read -r nft xt_outcome verdict; do
      n=$((n + 1))
      expected=$([ "$verdict" = blocked ] && echo reset || echo connected)
      [ "$verdict" = blocked ] && blocked_seen=$((blocked_seen + 1))
      if [ "$nft" = "$expected" ] && [ "$xt_outcome" = "$expected" ]; then
        passed=$((passed + 1))
      else
        failed=$((failed + 1))
        echo "FAIL $(basename "$policy") at $at, case $n: nft $nft, iptables $xt_outcome, explain $verdict"
      fi
    done <"$work/compare.txt"
  done
}
cases "$work/spinnet-cases.json" "198.18.17.5 198.18.3.4 198.18.3.5 198.18.64.10" \
  "192.0.2.25 203.0.113.9 198.51.100.7" "2001:db8:200::5 2001:db8:400::5" \
  "2001:db8:25::25 2001:db8:ffff:1::25 2001:db8:ffff:ffff::7"
rollout "$spinnet" "$work/spinnet-cases.json"
cases "$work/netlaputa-cases.json" \
  "198.18.1.5 198.18.1.42 198.18.33.1 198.18.65.1 198.18.81.1 198.18.96.5" \
  "192.0.2.25 192.0.2.26 198.51.100.7" "2001:db8:1000::5 2001:db8:1000:42::1 2001:db8:2000::5" \
  "2001:db8:25::25 2001:db8:ffff:ffff::7"
rollout "$netlaputa" "$work/netlaputa-cases.json"
if [ "$blocked_seen" -eq 0 ] || [ "$blocked_seen" -eq "$passed" ]; then
  echo "FAIL: expected both blocked and allowed connections (blocked: $blocked_seen)"
  failed=$((failed + 1))
fi
echo "packets: $passed connections agreed"
blocked=$(ip netns exec "$rtr" "$op25bc" status --backend iptables --state "$work/$rtr.state" \
  --format json | "$python" -c 'import json,sys; print(sum(c["packets"] for c in json.load(sys.stdin)["counters"]))')
check "status: the phase counters counted blocked connections ($blocked packets)" [ "$blocked" -gt 0 ]

# ---- 5. atomicity: a boundary applied back and forth under a stream of connections
# Cases whose verdict is the same on both sides of the boundary must never change.
"$python" - "$work/netlaputa-cases.json" "$work/stable.json" \
  <(explain_all "$netlaputa" 2006-06-01 "$work/netlaputa-cases.json") \
  <(explain_all "$netlaputa" 2006-06-15 "$work/netlaputa-cases.json") <<'PY'
import json, sys
cases = json.load(open(sys.argv[1]))
before, after = (open(f).read().split() for f in sys.argv[3:5])
stable = [dict(c, expect="reset" if b == "blocked" else "connected")
          for c, b, a in zip(cases, before, after) if a == b]
assert any(c["expect"] == "reset" for c in stable) and any(c["expect"] == "connected" for c in stable)
json.dump(stable, open(sys.argv[2], "w"))
PY
xt "$rtr" apply "$netlaputa" --at 2006-06-01 >/dev/null 2>&1
touch "$work/toggling"
(
  toggles=0
  while [ -e "$work/toggling" ]; do
    for at in 2006-06-15 2006-06-01; do
      xt "$rtr" apply "$netlaputa" --at "$at" >/dev/null 2>&1 && toggles=$((toggles + 1))
    done
  done
  echo "$toggles" >"$work/toggles"
) &
toggler=$!
rounds=0 wrong=0
end=$((SECONDS + 8))
while [ "$SECONDS" -lt "$end" ]; do
  ip netns exec "$sub" "$python" "$probe" probe "$work/stable.json" >"$work/stream.json"
  wrong=$((wrong + $("$python" -c '
import json, sys
cases = json.load(open(sys.argv[1])); results = json.load(open(sys.argv[2]))
print(sum(1 for c, r in zip(cases, results) if r["outcome"] != c["expect"]))' \
    "$work/stable.json" "$work/stream.json")))
  rounds=$((rounds + 1))
done
rm -f "$work/toggling"
wait "$toggler"
toggles=$(cat "$work/toggles")
echo "atomicity: $rounds rounds of $("$python" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$work/stable.json") connections during $toggles boundary switches"
check "no connection met a ruleset that was neither the old nor the new ($wrong did)" [ "$wrong" -eq 0 ]
check "the boundary was switched while connections ran ($toggles switches, $rounds rounds)" \
  [ "$toggles" -ge 4 -a "$rounds" -ge 4 ]
sub=$nft_sub rtr=$nft_rtr net=$nft_net topology_down
topology_down
unset sub
trap cleanup_kernel_test EXIT
fi
[ "$part" = packets ] && finish && exit

# ---- 2. the hand-loaded compile output equals what apply leaves
for case in "$netlaputa 2006-07-01" "$spinnet 2006-10-01"; do
  set -- $case
  name=$(basename "$1" .json)
  "$op25bc" compile "$1" --at "$2" --backend iptables >"$work/load.sh"
  "$op25bc" compile "$1" --at "$2" --backend iptables -o "$work/files-$name"
  for how in script files apply; do
    ns=op25x-$how-$$
    ip netns add "$ns"
    case $how in
      script) ip netns exec "$ns" sh "$work/load.sh" ;;
      files)
        ip netns exec "$ns" ipset restore <"$work/files-$name/ipset.restore"
        ip netns exec "$ns" iptables-legacy-restore -w --noflush <"$work/files-$name/iptables.restore"
        ip netns exec "$ns" ip6tables-legacy-restore -w --noflush <"$work/files-$name/ip6tables.restore" ;;
      apply)
        rm -f "$work/$ns.state"  # a new router: no record
        xt "$ns" apply "$1" --at "$2" >/dev/null 2>&1 ;;
    esac
    ours "$ns" >"$work/$how.txt"
    ip netns del "$ns"
  done
  check "$name: the loaded script holds op25bc's chains and sets" grep -q 'OP25B-CHECK' "$work/script.txt"
  check "$name: the script loads what apply leaves" diff -u "$work/script.txt" "$work/apply.txt"
  check "$name: the -o files load what apply leaves" diff -u "$work/files.txt" "$work/apply.txt"
done

# ---- 3. and 4. foreign objects, minimal changes, failures, SIGKILL
ns=op25x-f-$$
ip netns add "$ns"
trap 'ip netns del "$ns" 2>/dev/null || true; cleanup_kernel_test' EXIT
add_foreign "$ns"
foreign "$ns" >"$work/foreign.txt"
untouched() { foreign "$ns" | diff -u "$work/foreign.txt" - >/dev/null; }

xt "$ns" apply "$netlaputa" --at 2006-06-01 >/dev/null 2>&1
check "first apply: foreign chains, rules and sets untouched" untouched
check "first apply: op25bc's jump is the first rule of FORWARD" \
  bash -c "ip netns exec $ns iptables-legacy-save | grep -m1 '^-A FORWARD' | grep -q OP25B-CHECK"
out=$(xt "$ns" apply "$netlaputa" --at 2006-06-01 --format json 2>/dev/null)
check "re-apply changes nothing" [ "$(json_field committed <<<"$out")" = false ]
check "diff after apply exits 0" quiet xt "$ns" diff "$netlaputa" --at 2006-06-01
everything "$ns" >"$work/before-dry.txt"
xt "$ns" apply "$netlaputa" --at 2006-07-01 --dry-run >"$work/dry.out" 2>&1 && dry=0 || dry=$?
everything "$ns" >"$work/after-dry.txt"
check "dry run: exit 2, changes pending" [ "$dry" -eq 2 ]
check "dry run: lists the restore and says what the kernel checked" bash -c \
  "grep -q 'one restore rewrites' '$work/dry.out' && grep -q 'throwaway network namespace' '$work/dry.out' && grep -q 'not verified' '$work/dry.out'"
check "dry run: nothing changed" diff -q "$work/before-dry.txt" "$work/after-dry.txt"
xt "$ns" apply "$netlaputa" --at 2006-07-01 >/dev/null 2>&1
check "boundary: foreign untouched" untouched
counted=$(ip netns exec "$ns" iptables-legacy-save -c | grep -c '^\[0:0\] -A OP25B-P-tokyo' || true)
check "boundary: the tokyo phase chain survived (one rule)" [ "$counted" -eq 1 ]

# One prefix added to a pool: in place, one ipset add, no restore, no new set.
"$python" - "$netlaputa" "$work/plus.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["pools"][0]["prefixes"].append("198.18.200.0/24")
json.dump(doc, open(sys.argv[2], "w"))
PY
out=$(xt "$ns" apply "$work/plus.json" --at 2006-07-01 --format json 2>/dev/null)
# The pool's phase set and the covered pools' set (adoption counters) each hold it.
check "one-prefix add: one member added to each of the two sets holding the pool" \
  [ "$(json_field members_added <<<"$out")" = 2 ]
check "one-prefix add: none deleted" [ "$(json_field members_deleted <<<"$out")" = 0 ]
check "one-prefix add: no restore" [ "$(json_field restores <<<"$out")" = 0 ]
check "one-prefix add: no set built" [ "$(json_field sets_created <<<"$out")" = "[]" ]
check "one-prefix add: the kernel holds it" \
  bash -c "ip netns exec $ns ipset save | grep -q '198.18.200.0/24'"
out=$(xt "$ns" apply "$netlaputa" --at 2006-07-01 --format json 2>/dev/null)
check "one-prefix removal: one member deleted from each of the two sets, in place" \
  [ "$(json_field members_deleted <<<"$out")/$(json_field restores <<<"$out")" = "2/0" ]
check "one-prefix changes: foreign untouched" untouched

# A member swapped behind op25bc's back, the count unchanged: the cheap check
# (counts, chains) cannot see it; --verify reads every set back and repairs it.
tokyo=$(ip netns exec "$ns" ipset list -n | grep '^op25b-phase_tokyo_src4\.')
ip netns exec "$ns" ipset add "$tokyo" 203.0.113.64/26
ip netns exec "$ns" ipset del "$tokyo" 198.18.0.0/19
check "a swapped member: diff --verify sees it (exit 2)" bash -c \
  "$(declare -f xt); op25bc='$op25bc' work='$work' xt '$ns' diff '$netlaputa' --at 2006-07-01 --verify >/dev/null 2>&1; [ \$? -eq 2 ]"
check "a swapped member: apply --verify repairs it" quiet xt "$ns" apply "$netlaputa" --at 2006-07-01 --verify
check "a swapped member: the kernel holds the pool again" \
  bash -c "ip netns exec $ns ipset save $tokyo | grep -q '198.18.0.0/19' && ! ip netns exec $ns ipset save $tokyo | grep -q 203.0.113.64"

# A restore refused in the middle: the previous ruleset stays in force.
mkdir -p "$work/shim"
for tool in ipset iptables-legacy-restore ip6tables-legacy-restore; do
  cat >"$work/shim/$tool" <<EOF
#!/bin/sh
# Test shim: fails or kills op25bc around the first change the real $tool
# makes (SHIM_TOOL, SHIM_ACTION); once (SHIM_ONCE names a file that says so).
real=\$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v $tool)
case " \$* " in *" --test "* | *" save "* | *" list "*) exec "\$real" "\$@" ;; esac
[ -e "\$SHIM_ONCE" ] && exec "\$real" "\$@"
if [ "\${SHIM_TOOL:-}" = "$tool" ]; then
  touch "\$SHIM_ONCE"
  case \$SHIM_ACTION in
    fail) echo "injected failure" >&2; exit 1 ;;
    kill-before) kill -9 \$PPID; exit 1 ;;
  esac
fi
"\$real" "\$@"; rc=\$?
[ "\${SHIM_TOOL:-}" = "$tool" ] && [ "\${SHIM_ACTION:-}" = kill-after ] && kill -9 \$PPID
exit \$rc
EOF
  chmod +x "$work/shim/$tool"
done
# shimmed TOOL ACTION POLICY AT
shimmed() {
  rm -f "$work/shim.once"
  PATH="$work/shim:$PATH" SHIM_TOOL=$1 SHIM_ACTION=$2 SHIM_ONCE=$work/shim.once \
    xt "$ns" apply "$3" --at "$4"
}

# Each refused step on the way to another policy: new sets and both restores.
for step in ipset iptables-legacy-restore ip6tables-legacy-restore; do
  everything "$ns" >"$work/before.txt"
  if shimmed "$step" fail "$spinnet" 2006-10-01 >"$work/fail.out" 2>&1; then
    check "$step refused: apply fails" false
  else
    check "$step refused: apply fails" true
  fi
  check "$step refused: says the ruleset is unchanged" grep -q 'the ruleset is unchanged' "$work/fail.out"
  everything "$ns" >"$work/after.txt"
  check "$step refused: the previous ruleset is in force" diff -u "$work/before.txt" "$work/after.txt"
  check "$step refused: foreign untouched" untouched
done
xt "$ns" apply "$spinnet" --at 2006-10-01 >/dev/null 2>&1
check "after the refusals, the next run converges" quiet xt "$ns" diff "$spinnet" --at 2006-10-01

# SIGKILL at several points, alternating between two boundaries; one run then converges.
at=2006-06-15
for point in "ipset kill-after" "iptables-legacy-restore kill-before" \
  "iptables-legacy-restore kill-after" "ip6tables-legacy-restore kill-after"; do
  set -- $point
  shimmed "$1" "$2" "$netlaputa" "$at" >/dev/null 2>&1 || true
  xt "$ns" apply "$netlaputa" --at "$at" >"$work/converge.out" 2>&1 ||
    { echo "after killed at $1 $2:"; cat "$work/converge.out"; }
  if ! xt "$ns" diff "$netlaputa" --at "$at" >"$work/diff.out" 2>&1; then
    echo "after killed at $1 $2 and one run:"
    cat "$work/converge.out" "$work/diff.out"
    check "killed at $1 $2: one run converges" false
  fi
  check "killed at $1 $2: no set of op25bc's is left over" bash -c "
    sets=\$(ip netns exec $ns ipset list -n | grep -c '^op25b-')
    used=\$(ip netns exec $ns iptables-legacy-save | grep -o 'match-set op25b-[^ ]*' | sort -u | wc -l)
    used6=\$(ip netns exec $ns ip6tables-legacy-save | grep -o 'match-set op25b-[^ ]*' | sort -u | wc -l)
    [ \"\$sets\" -eq \$((used + used6)) ]"
  check "killed at $1 $2: foreign untouched" untouched
  at=$([ "$at" = 2006-06-15 ] && echo 2006-07-01 || echo 2006-06-15)
done

# A same-named chain op25bc did not create: refused, then adopted with --adopt.
ns2=op25x-adopt-$$
ip netns add "$ns2"
trap 'ip netns del "$ns" "$ns2" 2>/dev/null; ip netns del "$ns2" 2>/dev/null || true; cleanup_kernel_test' EXIT
add_foreign "$ns2"
ip netns exec "$ns2" iptables-legacy -N OP25B-CHECK
ip netns exec "$ns2" iptables-legacy -A OP25B-CHECK -j ACCEPT
foreign "$ns2" >"$work/foreign2.txt"
if xt "$ns2" apply "$netlaputa" --at 2006-07-01 >"$work/adopt.out" 2>&1; then
  check "a foreign OP25B-CHECK is refused" false
else
  check "a foreign OP25B-CHECK is refused" grep -q 'was not created by op25bc' "$work/adopt.out"
fi
check "refused: nothing changed" bash -c "ip netns exec $ns2 ipset list -n | grep -vq '^op25b-'"
xt "$ns2" apply "$netlaputa" --at 2006-07-01 --adopt >/dev/null 2>&1
check "--adopt takes the chain over" quiet xt "$ns2" diff "$netlaputa" --at 2006-07-01
foreign "$ns2" | grep -v OP25B >"$work/after2.txt"
check "--adopt: foreign sets and other chains untouched" diff -u <(grep -v OP25B "$work/foreign2.txt") "$work/after2.txt"
ip netns del "$ns2"
ip netns del "$ns"
trap cleanup_kernel_test EXIT

# A state file belongs to one backend (issues 22 and 23, item 4): two iptables
# applies, then a rollback that does not say --backend iptables is refused and
# touches nothing (no nftables table, the record as it was); with --backend
# iptables it restores exactly what the previous policy's apply left.
rb=op25x-rb-$$
ip netns add "$rb"
"$python" - "$netlaputa" "$work/rb-b.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["pools"][0]["prefixes"].append("198.18.201.0/24")
json.dump(doc, open(sys.argv[2], "w"))
PY
rbx() { ip netns exec "$rb" "$op25bc" "$@" --state "$work/rb.state" --lock "$work/rb.lock"; }
quiet rbx apply "$netlaputa" --at 2006-07-01 --backend iptables
ours "$rb" >"$work/rb-a.ours"
quiet rbx apply "$work/rb-b.json" --at 2006-07-01 --backend iptables
cp "$work/rb.state" "$work/rb.state.before"
set +e
rbx rollback --at 2006-07-01 >/dev/null 2>"$work/rb.err"
rc=$?
set -e
check "rollback without --backend iptables on an iptables state: exit 1" test "$rc" -eq 1
check "it says whose state file it is" grep -q "is the iptables backend's record, not the nftables backend's" "$work/rb.err"
check "it made no nftables table" test -z "$(ip netns exec "$rb" nft list tables)"
check "it left the iptables record as it was" cmp -s "$work/rb.state" "$work/rb.state.before"
for command in "status" "history" "metrics"; do
  check "$command refuses the other backend's state file" \
    bash -c "! ip netns exec '$rb' '$op25bc' $command --state '$work/rb.state' >/dev/null 2>&1"
done
check "activate --backend iptables goes on without --adopt" \
  quiet rbx activate "$work/rb-b.json" --at 2006-07-01 --backend iptables --no-syslog
check "history records the backend" \
  bash -c "ip netns exec '$rb' '$op25bc' history --state '$work/rb.state' --backend iptables --format json |
           '$python' -c 'import json, sys; sys.exit(0 if {e[\"backend\"] for e in json.load(sys.stdin)[\"entries\"]} == {\"iptables\"} else 1)'"
check "rollback --backend iptables succeeds" quiet rbx rollback --at 2006-07-01 --backend iptables
ours "$rb" >"$work/rb-rolled.ours"
check "rollback --backend iptables restores the previous policy's chains and sets exactly" \
  cmp -s "$work/rb-a.ours" "$work/rb-rolled.ours"
ip netns del "$rb"
# And the other way: an nftables state given to the iptables backend.
ip netns add "$rb"
quiet ip netns exec "$rb" "$op25bc" apply "$spinnet" --at 2006-10-01 --state "$work/rbn.state" --lock "$work/rb.lock"
check "apply --backend iptables refuses an nftables state file" \
  bash -c "! ip netns exec '$rb' '$op25bc' apply '$spinnet' --at 2006-10-01 --backend iptables --state '$work/rbn.state' --lock '$work/rb.lock' >/dev/null 2>&1"
check "and leaves iptables without op25bc's chains" \
  bash -c "! ip netns exec '$rb' iptables-legacy-save | grep -q OP25B"
ip netns del "$rb"

# The iptables-nft warning (issue 23, item 11): only where iptables-nft holds
# rules (this host's `iptables` is iptables-nft, as Debian's default is).
if [ "$(readlink /etc/alternatives/iptables)" = /usr/sbin/iptables-nft ]; then
  ip netns add "op25bc-nftwarn-$$"
  warn_ns="op25bc-nftwarn-$$"
  check "iptables-nft holding no rules: no warning" \
    eval "! { xt '$warn_ns' diff '$spinnet' --at 2006-10-01 2>&1 >/dev/null || true; } | grep -q 'iptables-nft'"
  ip netns exec "$warn_ns" iptables-nft -A FORWARD -s 192.0.2.99 -j ACCEPT
  check "iptables-nft holding a rule: the warning" \
    eval "{ xt '$warn_ns' diff '$spinnet' --at 2006-10-01 2>&1 >/dev/null || true; } | grep -q 'iptables-nft and holds rules'"
  ip netns del "$warn_ns"
fi
finish
