#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Nothing the helpdesk or an access server says opens the block for anyone
# else, with real packets through the veth topology (lib.sh) on both
# backends. SpinNet on 2006-12-01 (every direct port-25 connection from its
# pools blocked) with a drop-in folder:
# (1) exempt add of a prefix wider than its pool prefix (the whole address
#     space, a /8, a prefix across two pools, a list with one good and one
#     wide prefix) is refused, writes nothing, and nobody connects; a wide
#     drop-in written by hand is left out by apply.
# (2) session up with a prefix for an address (0.0.0.0/0, ::/0, a /24, an
#     address in no pool, a delegated prefix wider than the pool's bound)
#     is refused with exit 1 and changes nothing; a host address works.
# (3) exempt remove of an id two files hold (the admitted one and a left-out
#     duplicate) is refused and names both: the duplicate never comes into force.
# (8) A corrupt session table: session up and apply refuse, the kernel unchanged.
# (10) apply --sessions naming a file that is not a session table is refused.
# (18) session list and exempt list refuse another backend's state.
# (5) A subscriber exemption withdrawn, its address handed to someone else
#     while none is applied, and granted again: the new holder stays blocked
#     until the subscriber's next session event.
set -euo pipefail
op25bc=$1
root=$2
source "$root/tests/kernel/lib.sh"
start_kernel_test

topology_up "op25bc-widen-$$"
serve_in "$net" "$work/serve.out" 25
rtr_op25bc() { ip netns exec "$rtr" "$op25bc" "$@"; }

spinnet_with_dropins 'exemptions=[]'
# Probed sources: two eADSL subscribers, one FLET'S east, one IPv6 FLET'S east.
"$python" - "$work/cases.json" <<'PY'
import json, sys
srcs = [("198.18.1.5", "198.51.100.7"), ("198.18.1.42", "198.51.100.7"),
        ("198.18.17.5", "198.51.100.7"), ("2001:db8:200::5", "2001:db8:ffff:ffff::7")]
json.dump([{"src": s, "dst": d, "port": 25} for s, d in srcs], open(sys.argv[1], "w"))
PY
outcomes() {
  ip netns exec "$sub" "$python" "$probe" probe "$work/cases.json" |
    "$python" -c 'import json,sys; print(" ".join(r["src"] + "=" + r["outcome"] for r in json.load(sys.stdin)))'
}
nobody="198.18.1.5=reset 198.18.1.42=reset 198.18.17.5=reset 2001:db8:200::5=reset"
at=(--at 2006-12-01)
opts=(--state "$work/state" --lock "$work/lock" --sessions "$work/sessions")
session_opts=(--state "$work/state" --lock "$work/lock")

scenario() {
  local name=$1
  shift
  local backend=("$@")
  reset_router
  rm -rf "$work/sessions" "${dropins:?}"/*
  rtr_op25bc apply "$policy" "${at[@]}" "${backend[@]}" "${opts[@]}" > /dev/null 2>&1 || true
  check "$name: before anything, nobody connects" test "$(outcomes)" = "$nobody"

  # (1) Wide exemptions, by the helpdesk's door and by hand.
  local wide
  for wide in 0.0.0.0/0 ::/0 128.0.0.0/1 198.0.0.0/8 198.18.0.0/15 198.18.0.0/19 \
    "198.18.1.5 0.0.0.0/0" "198.18.1.5 2001:db8::/32"; do
    local prefixes=()
    for p in $wide; do prefixes+=(--prefix "$p"); done
    check "$name: exempt add --prefix $wide is refused and writes nothing" bash -c "
      ! ip netns exec '$rtr' '$op25bc' exempt add '$policy' --id wide ${prefixes[*]} --reason r \
        --apply ${at[*]} ${backend[*]} ${opts[*]} > '$work/add.out' 2> '$work/add.err'
      grep -q 'error: exemption .* \(is wider than the pool prefix it lies in\|lies outside every pool\)' '$work/add.err'
      grep -q 'refused; nothing was written' '$work/add.err'
      test -z \"\$(ls -A '$dropins')\""
    check "$name: after exempt add --prefix $wide nobody connects" test "$(outcomes)" = "$nobody"
  done
  echo '{"id": "by-hand", "prefixes": ["198.18.0.0/15"], "reason": "a typo"}' > "$dropins/by-hand.json"
  check "$name: a wide drop-in written by hand is left out by apply, with a warning" bash -c "
    ip netns exec '$rtr' '$op25bc' apply '$policy' ${at[*]} ${backend[*]} ${opts[*]} > /dev/null 2> '$work/apply.err'
    grep -q 'by-hand.json: warning: drop-in exemption skipped: /prefixes/0: exemption 198.18.0.0/15 is wider' '$work/apply.err'"
  check "$name: with the wide drop-in beside the policy nobody connects" test "$(outcomes)" = "$nobody"
  rm -f "$dropins/by-hand.json"

  # (2) Session addresses that are not one subscriber's.
  rtr_op25bc exempt add "$policy" --id ann-x --subscriber ann@isp --reason "own MTA" --apply \
    "${at[@]}" "${backend[@]}" "${opts[@]}" > /dev/null 2>&1 || true
  local address
  for address in 0.0.0.0/0 ::/0 198.18.0.0/16 198.18.1.0/24 203.0.113.9 2001:db8:200::/48 \
    "198.18.1.42 0.0.0.0/0"; do
    local addresses=()
    for a in $address; do addresses+=(--address "$a"); done
    check "$name: session up --address $address is refused with exit 1" bash -c "
      ip netns exec '$rtr' '$op25bc' session up --subscriber ann@isp ${addresses[*]} \
        ${session_opts[*]} > '$work/up.out' 2> '$work/up.err'
      test \$? = 1
      test \"\$(wc -l < '$work/up.err')\" = 1
      grep -q 'nothing changed, the session is not exempt' '$work/up.err'"
    check "$name: after session up --address $address nobody connects" test "$(outcomes)" = "$nobody"
  done
  check "$name: session up with a host address exempts that address alone" bash -c "
    ip netns exec '$rtr' '$op25bc' session up --subscriber ann@isp --address 198.18.1.42 \
      ${session_opts[*]} > /dev/null"
  check "$name: ann's address connects, nobody else's" \
    test "$(outcomes)" = "198.18.1.5=reset 198.18.1.42=connected 198.18.17.5=reset 2001:db8:200::5=reset"
  rtr_op25bc session down --subscriber ann@isp "${session_opts[@]}" > /dev/null 2>&1 || true
  rtr_op25bc exempt remove "$policy" ann-x --apply "${at[@]}" "${backend[@]}" "${opts[@]}" > /dev/null 2>&1 || true

  # (3) An id held by two files: a remove must not put the other in force.
  echo '{"id": "dup", "prefixes": ["198.18.1.5/32"]}' > "$dropins/a.json"
  echo '{"id": "dup", "prefixes": ["198.18.17.5/32"]}' > "$dropins/b.json"
  rtr_op25bc apply "$policy" "${at[@]}" "${backend[@]}" "${opts[@]}" > /dev/null 2>&1 || true
  check "$name: the first file of the id is in force, its duplicate is not" \
    test "$(outcomes)" = "198.18.1.5=connected 198.18.1.42=reset 198.18.17.5=reset 2001:db8:200::5=reset"
  check "$name: exempt remove of an id two files hold is refused and names both" bash -c "
    ! ip netns exec '$rtr' '$op25bc' exempt remove '$policy' dup --apply ${at[*]} ${backend[*]} ${opts[*]} \
      > /dev/null 2> '$work/remove.err'
    grep -q 'is held by 2 files, .*a.json.*b.json; nothing was removed' '$work/remove.err'
    test -e '$dropins/a.json' && test -e '$dropins/b.json'"
  check "$name: after the refused remove the duplicate is still not in force" \
    test "$(outcomes)" = "198.18.1.5=connected 198.18.1.42=reset 198.18.17.5=reset 2001:db8:200::5=reset"
  rm -f "$dropins/a.json" "$dropins/b.json"

  # (5) A re-grant never exempts the address's next holder.
  rtr_op25bc exempt add "$policy" --id ann-x --subscriber ann@isp --reason "own MTA" --apply \
    "${at[@]}" "${backend[@]}" "${opts[@]}" > /dev/null 2>&1 || true
  rtr_op25bc session up --subscriber ann@isp --address 198.18.1.42 "${session_opts[@]}" > /dev/null 2>&1 || true
  check "$name: ann's session is exempt" \
    test "$(outcomes)" = "198.18.1.5=reset 198.18.1.42=connected 198.18.17.5=reset 2001:db8:200::5=reset"
  rtr_op25bc exempt remove "$policy" ann-x --apply "${at[@]}" "${backend[@]}" "${opts[@]}" > /dev/null 2>&1 || true
  # No subscriber exemption now: ann's logout and bob's lease are not recorded.
  check "$name: with no subscriber exemption applied a session event fails, recording nothing" bash -c "
    ! ip netns exec '$rtr' '$op25bc' session down --subscriber ann@isp ${session_opts[*]} 2> '$work/down.err'
    grep -q 'no subscriber exemption is applied' '$work/down.err'
    ! ip netns exec '$rtr' '$op25bc' session up --subscriber bob@isp --address 198.18.1.42 ${session_opts[*]} 2> /dev/null"
  rtr_op25bc exempt add "$policy" --id ann-x --subscriber ann@isp --reason "again" --apply \
    "${at[@]}" "${backend[@]}" "${opts[@]}" > /dev/null 2>&1 || true
  check "$name: granted again, ann's old address (bob's now) stays blocked" \
    test "$(outcomes)" = "$nobody"
  check "$name: the session table holds nobody until ann's next event" bash -c "
    ip netns exec '$rtr' '$op25bc' session list ${backend[*]} --state '$work/state' --format json |
      '$python' -c 'import json,sys; sys.exit(json.load(sys.stdin)[\"sessions\"] != [])'"
  rtr_op25bc session up --subscriber ann@isp --address 198.18.1.5 "${session_opts[@]}" > /dev/null 2>&1 || true
  check "$name: ann's next session is exempt at its own address" \
    test "$(outcomes)" = "198.18.1.5=connected 198.18.1.42=reset 198.18.17.5=reset 2001:db8:200::5=reset"
  check "$name: the next activate changes nothing" bash -c "
    ip netns exec '$rtr' '$op25bc' activate '$policy' ${at[*]} --no-syslog ${backend[*]} ${opts[*]} 2>&1 | grep -q 'no change'"
  # (8) A corrupt session table: an event refuses and changes nothing; so
  # does apply. Nobody's exemption is dropped, nobody else's is added.
  cp "$work/sessions" "$work/sessions.good"
  printf 'op25bc-sessions 1\nann@isp 0.0.0.0/0\nbroken' > "$work/sessions"
  check "$name: a corrupt session table: session up refuses with exit 1" bash -c "
    ip netns exec '$rtr' '$op25bc' session up --subscriber ann@isp --address 198.18.1.42 \
      ${session_opts[*]} > /dev/null 2> '$work/corrupt.err'
    test \$? = 1 && grep -q 'nothing changed (whose sessions are live is unknown)' '$work/corrupt.err'"
  check "$name: a corrupt session table: apply refuses too" bash -c "
    ! ip netns exec '$rtr' '$op25bc' apply '$policy' ${at[*]} ${backend[*]} ${opts[*]} > /dev/null 2>&1"
  check "$name: a corrupt session table: the kernel is as it was" \
    test "$(outcomes)" = "198.18.1.5=connected 198.18.1.42=reset 198.18.17.5=reset 2001:db8:200::5=reset"
  mv "$work/sessions.good" "$work/sessions"

  # (10) --sessions naming a file that is not a session table: refused,
  # never overwritten.
  printf 'precious: not a session table\n' > "$work/precious"
  check "$name: apply --sessions FILE that is not a session table is refused, FILE untouched" bash -c "
    ! ip netns exec '$rtr' '$op25bc' apply '$policy' ${at[*]} ${backend[*]} --state '$work/state' \
      --lock '$work/lock' --sessions '$work/precious' > /dev/null 2> '$work/precious.err'
    grep -q 'is not op25bc.s session table' '$work/precious.err'
    test \"\$(cat '$work/precious')\" = 'precious: not a session table'"
  # (18) The lists refuse another backend's state, as every other command does.
  local other=iptables
  [ "${backend[*]}" = "--backend iptables" ] && other=nftables
  check "$name: session list --backend $other refuses this backend's state" bash -c "
    ! '$op25bc' session list --backend $other --state '$work/state' > /dev/null 2> '$work/list.err'
    grep -q 'backend.s record, not the $other backend.s\|was applied with --backend' '$work/list.err'"
  check "$name: exempt list --backend $other refuses this backend's state" bash -c "
    ! '$op25bc' exempt list '$policy' --backend $other --state '$work/state' > /dev/null 2> '$work/list.err'
    grep -q 'backend.s record, not the $other backend.s' '$work/list.err'"
  rm -f "$dropins"/*
}

scenario nftables
scenario iptables --backend iptables
finish
