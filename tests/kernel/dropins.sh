#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Drop-in exemptions (exemptions_dir), with real packets through the veth
# topology (lib.sh), on both backends. SpinNet on 2006-10-02 (every direct
# port-25 connection from its pools is blocked), with a drop-in exempting
# 198.18.1.5 and a bad one (an address in no pool):
# (1) validate exits 1 naming the bad file; apply --strict refuses and changes
#     nothing; apply leaves the bad file out, says so, and enforces every other
#     exemption (the drop-in's and the inline one); metrics count it.
# (2) An edit of the policy, applied; (3) a grant (a new file) and the
#     withdrawal of the bad one reach the kernel with the next activate,
#     which then changes nothing more; (4) a rollback to the policy applied
#     before the grant keeps the grant (the live folder's drop-ins); (5) while
#     it is pinned, activate takes a new grant from the folder too, and so do
#     exempt add --apply and remove --apply, at once; (6) exempt
#     add --apply and remove --apply change the verdict at once, and the next
#     activate leaves it so.
set -euo pipefail
op25bc=$1
root=$2
source "$root/tests/kernel/lib.sh"
start_kernel_test

topology_up "op25bc-dropin-$$"
serve_in "$net" "$work/serve.out" 25
rtr_op25bc() { ip netns exec "$rtr" "$op25bc" "$@"; }

spinnet_with_dropins
# The shipped example drop-in is a SpinNet customer's and valid beside it.
cp "$root/examples/exemptions.d/cust-5678.json" "$dropins/"
echo '{"id": "acme", "prefixes": ["198.18.1.5/32"], "reason": "own MTA", "ticket": "T-1"}' \
  > "$dropins/acme.json"
echo '{"id": "far", "prefixes": ["203.0.113.9/32"], "reason": "a typo"}' > "$dropins/bad.json"

"$python" - "$work/cases.json" <<'PY'
import json, sys
cases = [("198.18.1.5", "acme"), ("198.18.1.42", "nobody"), ("198.18.3.4", "inline cust-1234"),
         ("198.18.17.5", "granted while a rollback is pinned")]
json.dump([{"src": s, "dst": "198.51.100.7", "port": 25} for s, _ in cases], open(sys.argv[1], "w"))
PY
# outcomes: "src=outcome ..." of the cases, in order.
outcomes() {
  ip netns exec "$sub" "$python" "$probe" probe "$work/cases.json" |
    "$python" -c 'import json,sys; print(" ".join(r["src"] + "=" + r["outcome"] for r in json.load(sys.stdin)))'
}
opts=(--state "$work/state" --lock "$work/lock")
# same_fingerprint [--backend B]: the history's newest entry names the
# policy (and drop-ins) a fresh read of the folder gives, as diff reads it.
same_fingerprint() {
  local kept read
  kept=$(rtr_op25bc history "$@" --state "$work/state" --format json |
    "$python" -c 'import json,sys; print(json.load(sys.stdin)["entries"][0]["fingerprint"])')
  read=$(rtr_op25bc diff "$policy" --at 2006-10-02 "$@" "${opts[@]}" --format json |
    "$python" -c 'import json,sys; print(json.load(sys.stdin)["fingerprint"])')
  [ -n "$kept" ] && [ "$kept" = "$read" ]
}

scenario() {
  local name=$1
  shift
  local backend=("$@")
  reset_router
  rm -rf "$work"/state* "$dropins/late.json"
  cp "$work/bad.json.keep" "$dropins/bad.json" 2>/dev/null || cp "$dropins/bad.json" "$work/bad.json.keep"
  cp "$work/spinnet.json.keep" "$policy" 2>/dev/null || cp "$policy" "$work/spinnet.json.keep"

  # (1)
  check "$name: validate exits 1 and names the bad file and the place in it" bash -c "
    ! '$op25bc' validate '$policy' 2> '$work/validate.err'
    grep -q 'exemptions.d/bad.json: /prefixes/0: error: exemption 203.0.113.9 lies outside every pool' '$work/validate.err'"
  check "$name: apply --strict refuses and leaves the kernel alone" bash -c "
    ! ip netns exec '$rtr' '$op25bc' apply '$policy' --at 2006-10-02 --strict ${backend[*]} ${opts[*]} 2>/dev/null
    ! ip netns exec '$rtr' nft list table inet op25b >/dev/null 2>&1
    ! ip netns exec '$rtr' iptables-legacy -n -L OP25B-CHECK >/dev/null 2>&1"
  check "$name: apply leaves the bad file out with a warning naming it" bash -c "
    ip netns exec '$rtr' '$op25bc' apply '$policy' --at 2006-10-02 ${backend[*]} ${opts[*]} >/dev/null 2> '$work/apply.err'
    grep -q 'exemptions.d/bad.json: warning: drop-in exemption skipped: /prefixes/0:' '$work/apply.err'"
  check "$name: the drop-in and the inline exemption are enforced, nobody else is" \
    test "$(outcomes)" = "198.18.1.5=connected 198.18.1.42=reset 198.18.3.4=connected 198.18.17.5=reset"
  check "$name: metrics count the drop-ins and the file left out" bash -c "
    ip netns exec '$rtr' '$op25bc' metrics ${backend[*]} --state '$work/state' > '$work/metrics.prom' 2>/dev/null
    grep -qx 'op25bc_exemption_dropins_skipped 1' '$work/metrics.prom'
    grep -qx 'op25bc_exemptions{source=\"dropin\"} 2' '$work/metrics.prom'
    grep -qx 'op25bc_exemptions{source=\"inline\"} 1' '$work/metrics.prom'
    promtool check metrics < '$work/metrics.prom'"

  # (2) An edit of the policy itself, applied.
  "$python" - "$policy" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["operator"] = "SpinNet, edited"
json.dump(doc, open(sys.argv[1], "w"))
PY
  rtr_op25bc apply "$policy" --at 2006-10-02 "${backend[@]}" "${opts[@]}" > /dev/null 2>&1
  # (3) The helpdesk grants 198.18.1.42 and withdraws the bad file.
  echo '{"id": "late", "prefixes": ["198.18.1.42/32"], "reason": "granted later"}' > "$dropins/late.json"
  rm "$dropins/bad.json"
  rtr_op25bc activate "$policy" --at 2006-10-02 --no-syslog "${backend[@]}" "${opts[@]}" \
    > /dev/null 2>&1
  check "$name: activate applies the grant" \
    test "$(outcomes)" = "198.18.1.5=connected 198.18.1.42=connected 198.18.3.4=connected 198.18.17.5=reset"
  check "$name: the next activate changes nothing" bash -c "
    ip netns exec '$rtr' '$op25bc' activate '$policy' --at 2006-10-02 --no-syslog ${backend[*]} ${opts[*]} 2>&1 | grep -q 'no change'"
  # (4) A rollback to the policy before the grant keeps the grant.
  check "$name: rollback to the policy applied before the grant" bash -c "
    ip netns exec '$rtr' '$op25bc' rollback --at 2006-10-02 ${backend[*]} ${opts[*]} > '$work/rollback.out' 2>&1
    grep -q 'rolling back to policy' '$work/rollback.out'"
  check "$name: after the rollback the grant made since still holds" \
    test "$(outcomes)" = "198.18.1.5=connected 198.18.1.42=connected 198.18.3.4=connected 198.18.17.5=reset"
  # (5) While the rollback is pinned, activate applies the pinned policy with
  # the drop-ins of the folder beside its POLICY: a new grant takes effect.
  echo '{"id": "pinned", "prefixes": ["198.18.17.5/32"]}' > "$dropins/pinned.json"
  rtr_op25bc activate "$policy" --at 2006-10-02 --no-syslog "${backend[@]}" "${opts[@]}" \
    > "$work/pinned.out" 2>&1
  check "$name: pinned: activate applies the pinned policy and the new grant" bash -c "
    grep -q 'a rollback pinned policy' '$work/pinned.out'
    test \"\$($(declare -f outcomes); sub='$sub' python='$python' probe='$probe' work='$work' outcomes)\" = '198.18.1.5=connected 198.18.1.42=connected 198.18.3.4=connected 198.18.17.5=connected'"
  # ... and exempt remove --apply / add --apply follow as activate would:
  # the pinned policy with the folder's drop-ins, at once; the pin holds.
  check "$name: pinned: exempt remove --apply withdraws the grant at once" bash -c "
    ip netns exec '$rtr' '$op25bc' exempt remove '$policy' pinned --apply --at 2006-10-02 \
      ${backend[*]} ${opts[*]} > /dev/null 2> '$work/pinned-remove.err'
    grep -q 'a rollback pinned policy .* as activate does' '$work/pinned-remove.err'
    test \"\$($(declare -f outcomes); sub='$sub' python='$python' probe='$probe' work='$work' outcomes)\" = '198.18.1.5=connected 198.18.1.42=connected 198.18.3.4=connected 198.18.17.5=reset'"
  check "$name: pinned: exempt add --apply grants at once" bash -c "
    ip netns exec '$rtr' '$op25bc' exempt add '$policy' --id pinned-again --prefix 198.18.17.5 \
      --reason 'while pinned' --apply --at 2006-10-02 ${backend[*]} ${opts[*]} > /dev/null 2>&1
    test \"\$($(declare -f outcomes); sub='$sub' python='$python' probe='$probe' work='$work' outcomes)\" = '198.18.1.5=connected 198.18.1.42=connected 198.18.3.4=connected 198.18.17.5=connected'"
  check "$name: pinned: the pin still holds" bash -c "
    ip netns exec '$rtr' '$op25bc' history ${backend[*]} --state '$work/state' --format json |
      '$python' -c 'import json,sys; sys.exit(json.load(sys.stdin)[\"pinned\"] is None)'"
  rm "$dropins/pinned-again.json"
  rtr_op25bc rollback --release "${backend[@]}" --state "$work/state" > /dev/null 2>&1

  # (6) The helpdesk's door: exempt add --apply and remove --apply change the
  # verdict at once, and the next activate leaves it so.
  rtr_op25bc activate "$policy" --at 2006-10-02 --no-syslog "${backend[@]}" "${opts[@]}" \
    > /dev/null 2>&1
  check "$name: exempt add --apply exempts at once" bash -c "
    ip netns exec '$rtr' '$op25bc' exempt add '$policy' --id walk-in --prefix 198.18.17.5 \
      --reason 'asked at the counter' --ticket T-77 --apply --at 2006-10-02 ${backend[*]} ${opts[*]} > /dev/null
    test \"\$(stat -c %a '$dropins/walk-in.json')\" = 644
    test \"\$($(declare -f outcomes); sub='$sub' python='$python' probe='$probe' work='$work' outcomes)\" = '198.18.1.5=connected 198.18.1.42=connected 198.18.3.4=connected 198.18.17.5=connected'"
  check "$name: exempt add --apply recorded the fingerprint the folder now gives" \
    same_fingerprint "${backend[@]}"
  check "$name: after exempt add the next activate changes nothing" bash -c "
    ip netns exec '$rtr' '$op25bc' activate '$policy' --at 2006-10-02 --no-syslog ${backend[*]} ${opts[*]} 2>&1 | grep -q 'no change'"
  check "$name: exempt list shows it as a drop-in with its ticket" bash -c "
    '$op25bc' exempt list '$policy' --at 2006-10-02 --format json |
      '$python' -c 'import json,sys; x={e[\"id\"]: e for e in json.load(sys.stdin)[\"exemptions\"]}[\"walk-in\"]; sys.exit(not (x[\"source\"] == \"dropin\" and x[\"ticket\"] == \"T-77\" and x[\"active\"]))'"
  check "$name: exempt remove --apply withdraws it at once" bash -c "
    ip netns exec '$rtr' '$op25bc' exempt remove '$policy' walk-in --apply --at 2006-10-02 ${backend[*]} ${opts[*]} > /dev/null
    test ! -e '$dropins/walk-in.json'
    test \"\$($(declare -f outcomes); sub='$sub' python='$python' probe='$probe' work='$work' outcomes)\" = '198.18.1.5=connected 198.18.1.42=connected 198.18.3.4=connected 198.18.17.5=reset'"
  check "$name: exempt remove --apply recorded the fingerprint the folder now gives" \
    same_fingerprint "${backend[@]}"
  check "$name: after exempt remove the next activate changes nothing" bash -c "
    ip netns exec '$rtr' '$op25bc' activate '$policy' --at 2006-10-02 --no-syslog ${backend[*]} ${opts[*]} 2>&1 | grep -q 'no change'"
}

scenario nftables
scenario iptables --backend iptables
finish
