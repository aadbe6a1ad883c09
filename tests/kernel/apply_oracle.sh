#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nft as the independent oracle for what `op25bc apply` sends over netlink.
# For both examples at every instant of the rollout:
#  - `op25bc apply` in one namespace and `nft -f` of `op25bc compile` in another
#    leave `nft list ruleset` byte-identical;
#  - applying again is a no-op ("in sync", zero changes);
#  - moving between instants in place converges to the same text again;
#  - a foreign table beside op25bc's is byte-identical after every operation.
# Also: a same-named table op25bc did not create is refused unless --adopt, and
# without CAP_NET_ADMIN op25bc says so. Every namespace is private to one step.
set -euo pipefail
op25bc=$1
root=$2

source "$root/tests/kernel/lib.sh"
start_kernel_test

cp "$root/tests/kernel/foreign.nft" "$work/foreign.nft"
opts="--state $work/state --lock $work/lock"

instants_of() {
  "$op25bc" timeline "$1" --format json 2>/dev/null | "$python" -c '
import json, sys
print("2000-01-01T00:00:00Z")
for e in json.load(sys.stdin)["events"]: print(e["utc"])'
}

cat > "$work/name_order.py" <<'PY'
import re, sys
# `nft list table` text with its objects (set, map, chain, counter) in name order.
outside, objects, current = [], [], None
for line in sys.stdin.read().splitlines():
    if current is None and re.match(r"\t(set|map|chain|counter) ", line):
        current = [line]
    elif current is not None:
        current.append(line)
        if line == "\t}":
            objects.append("\n".join(current))
            current = None
    elif line.strip():
        outside.append(line)
print("\n".join(outside[:-1] + sorted(objects) + outside[-1:]))
PY

# Each example also with every source set cut into blocks behind verdict maps.
for example in "$root"/examples/*.json; do cut_into_blocks "$example"; done

for policy in "$root"/examples/*.json "$work"/*-sharded.json; do
  name=$(basename "$policy" .json)
  mapfile -t instants < <(instants_of "$policy")
  for at in "${instants[@]}"; do
    rm -f "$work/state"
    "$op25bc" compile "$policy" --at "$at" -o "$work/expected.nft" 2>/dev/null
    in_netns "nft -f '$work/expected.nft'; nft list ruleset > '$work/expected.list'"
    check "$name at $at: op25bc apply lists exactly as nft -f of the compiled script" in_netns "
      '$op25bc' apply '$policy' --at '$at' $opts >/dev/null 2>&1
      nft list ruleset > '$work/applied.list'
      cmp '$work/expected.list' '$work/applied.list'
      '$op25bc' apply '$policy' --at '$at' $opts --format json 2>/dev/null |
        '$python' -c 'import json,sys; j=json.load(sys.stdin); sys.exit(0 if j[\"in_sync\"] and not j[\"committed\"] else 1)'
      '$op25bc' diff '$policy' --at '$at' $opts >/dev/null 2>&1"
  done

  # In place through the whole rollout and back, next to a foreign table.
  # nft lists objects in the order they were made: a block made at a later
  # instant lists after older ones, so with blocks each object (set, map,
  # chain) is compared byte for byte in name order; without, the whole text.
  order=cat
  [[ $name == *-sharded ]] && order="'$python' '$work/name_order.py'"
  rm -f "$work/state"
  steps=("${instants[@]}" "${instants[0]}")
  script="nft -f '$work/foreign.nft'; nft list table inet filter > '$work/foreign.before'"
  for at in "${steps[@]}"; do
    script+="
      '$op25bc' apply '$policy' --at '$at' $opts >/dev/null 2>&1
      nft list table inet filter | cmp -s - '$work/foreign.before'
      '$op25bc' compile '$policy' --at '$at' 2>/dev/null > '$work/step.nft'
      nft list table inet op25b | $order > '$work/step.applied'
      unshare -n bash -c \"nft -f '$work/step.nft' && nft list table inet op25b\" | $order |
        cmp -s - '$work/step.applied'"
  done
  check "$name: in place through every instant and back, foreign table untouched" in_netns "$script"
done

spinnet=$root/examples/spinnet.json
rm -f "$work/state"
check "a same-named table op25bc did not create is refused and left alone" in_netns "
  nft add table inet op25b
  nft add chain inet op25b mine
  nft list ruleset > '$work/collision.before'
  if '$op25bc' apply '$spinnet' --at 2006-10-01 $opts 2> '$work/collision.err'; then exit 1; fi
  grep -q 'was not created by op25bc; refusing' '$work/collision.err'
  nft list ruleset | cmp -s - '$work/collision.before'
  '$op25bc' apply '$spinnet' --at 2006-10-01 --adopt $opts >/dev/null 2>&1
  nft list table inet op25b > '$work/adopted.list'
  grep -q 'managed by op25bc' '$work/adopted.list'
  ! grep -q 'chain mine' '$work/adopted.list'"

check "without CAP_NET_ADMIN op25bc says what it needs" in_netns "
  out=\$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
    '$op25bc' diff '$spinnet' --at 2006-10-01 --state /nonexistent/state --lock /tmp/op25bc-test-$$.lock 2>&1 || true)
  echo \"\$out\" | grep -q 'needs root or CAP_NET_ADMIN'"

check "a second run waits for the lock, then says another run holds it" in_netns "
  exec 9> '$work/held.lock'
  flock 9
  if '$op25bc' apply '$spinnet' --at 2006-10-01 --state '$work/lockstate' --lock '$work/held.lock' \
      --lock-wait 0.3 2> '$work/lock.err'; then exit 1; fi
  grep -q 'another op25bc run holds the lock' '$work/lock.err'
  [ -z \"\$(nft list ruleset)\" ]"

check "an invalid policy sends nothing to the kernel" in_netns "
  echo '{\"version\": 1}' > '$work/bad.json'
  if '$op25bc' apply '$work/bad.json' $opts 2>/dev/null; then exit 1; fi
  [ -z \"\$(nft list ruleset)\" ]"

finish
