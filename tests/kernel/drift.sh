#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The state record is trusted only for the kernel it describes (issue 8, items
# 3-5 and 11). Each case drifts the kernel behind op25bc's back, then the next
# `diff` must report the drift and the next apply/activate must converge to
# exactly what `nft -f` of `op25bc compile` lists:
#  - a namespace deleted and recreated (the kernel may reuse its inode), loaded
#    by nft with another instant's ruleset: same set handles, other elements;
#  - an element deleted by nft while op25bc's record still holds it;
#  - a flipped byte in the record's element area;
#  - a set flushed by nft;
#  - the policy's table renamed: the old table op25bc made is removed.
set -euo pipefail
op25bc=$1
root=$2

source "$root/tests/kernel/lib.sh"
start_kernel_test
policy=$root/examples/spinnet.json
opts="--state $work/state --lock $work/lock"
ns=op25bc-drift-$$
cleanup_drift() { ip netns del "$ns" 2>/dev/null || true; cleanup_kernel_test; }
trap cleanup_drift EXIT

# expected AT: what nft -f of op25bc's compile output lists, in a fresh namespace.
expected() {
  "$op25bc" compile "$policy" --at "$1" -o "$work/expected.nft" 2>/dev/null
  in_netns "nft -f '$work/expected.nft'; nft list ruleset" > "$work/expected.list"
}
# in_ns SCRIPT: runs in the named namespace $ns.
in_ns() { ip netns exec "$ns" bash -euo pipefail -c "$1"; }
converged() { in_ns "nft list ruleset" | cmp - "$work/expected.list"; }
diff_pending() {
  set +e
  in_ns "'$op25bc' diff '$policy' --at '$1' $opts" > "$work/diff.out" 2>&1
  local rc=$?
  set -e
  [ "$rc" -eq 2 ] && grep -q "$2" "$work/diff.out"
}

# 3: the namespace recreated, another instant loaded by nft, the old record kept.
expected 2006-10-01
ip netns add "$ns"
check "apply in the first namespace" in_ns "'$op25bc' apply '$policy' --at 2006-10-01 $opts >/dev/null"
ip netns del "$ns"
ip netns add "$ns"
"$op25bc" compile "$policy" --at 2007-04-01 -o "$work/other.nft" 2>/dev/null
in_ns "nft -f '$work/other.nft'"
check "recreated namespace: diff sees the missing exemption" diff_pending 2006-10-01 "198.18.3.4"
check "recreated namespace: apply converges" in_ns "'$op25bc' apply '$policy' --at 2006-10-01 $opts >/dev/null"
check "recreated namespace: lists as nft -f" converged

# 4: an element deleted behind op25bc's back, then a boundary that deletes it too.
in_ns "'$op25bc' activate '$policy' --at 2006-10-01 $opts --no-syslog 2>/dev/null"
in_ns "nft delete element inet op25b exempt4 { 198.18.3.4 }"
expected 2007-04-01
check "deleted element: activate across the boundary converges" \
  in_ns "'$op25bc' activate '$policy' --at 2007-04-01 $opts --no-syslog 2>'$work/activate.err'"
check "deleted element: lists as nft -f" converged

# 4: a flipped byte in the record's element area: the record is not trusted.
expected 2006-10-01
in_ns "'$op25bc' apply '$policy' --at 2006-10-01 $opts >/dev/null"
size=$(stat -c %s "$work/state")
printf '\xff' | dd of="$work/state" bs=1 seek=$((size - 20)) conv=notrunc status=none
check "flipped record byte: the elements are read back, and op25bc says why" \
  in_ns "'$op25bc' apply '$policy' --at 2006-10-01 $opts 2>'$work/unusable.err' | grep -q 'in sync' &&
    grep -q 'note: the state record .* is unusable (truncated, corrupted or of another version); the kernel.s sets were read back instead' '$work/unusable.err'"
in_ns "nft delete element inet op25b exempt4 { 198.18.3.4 }"
printf '\x00' | dd of="$work/state" bs=1 seek=$((size - 20)) conv=notrunc status=none
check "flipped record byte after drift: diff reports it" diff_pending 2006-10-01 "198.18.3.4"
check "flipped record byte after drift: apply converges" \
  in_ns "'$op25bc' apply '$policy' --at 2006-10-01 $opts >/dev/null"
check "flipped record byte after drift: lists as nft -f" converged

# 5: a set flushed by nft.
in_ns "nft flush set inet op25b phase_mobile_src4"
check "flushed set: diff reports it" diff_pending 2006-10-01 "phase_mobile_src4"
check "flushed set: apply converges" in_ns "'$op25bc' apply '$policy' --at 2006-10-01 $opts >/dev/null"
check "flushed set: lists as nft -f" converged
check "after repair: in sync from the record" \
  in_ns "'$op25bc' apply '$policy' --at 2006-10-01 $opts | grep -q 'in sync'"

# 10: files: the state record is root's alone; a lock path planted as a link is refused.
check "the state file is mode 600" test "$(stat -c %a "$work/state")" = 600
echo keep > "$work/victim"
ln -s "$work/victim" "$work/lock.link"
check "a lock path that is a symlink is refused" \
  in_ns "! '$op25bc' apply '$policy' --at 2006-10-01 --state '$work/state' --lock '$work/lock.link' 2>/dev/null"
check "the link's target is untouched" grep -qx keep "$work/victim"

# 11: the table renamed in the policy: the old one (op25bc's mark) goes, atomically.
"$python" - "$policy" "$work/renamed.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["table"] = "op25b_v2"
json.dump(p, open(sys.argv[2], "w"))
PY
"$op25bc" compile "$work/renamed.json" --at 2006-10-01 -o "$work/renamed.nft" 2>/dev/null
in_ns "nft add table inet bystander '{ comment \"someone else\"; }'"
in_netns "nft add table inet bystander '{ comment \"someone else\"; }'; nft -f '$work/renamed.nft'; nft list ruleset" > "$work/expected.list"
check "renamed table: activate succeeds" \
  in_ns "'$op25bc' activate '$work/renamed.json' --at 2006-10-01 $opts --no-syslog 2>/dev/null"
check "renamed table: only the new table and the bystander remain, as nft -f lists" converged

# low: dumps interrupted by someone else's commits (NLM_F_DUMP_INTR) are read again.
# The storm runs while $work/storm exists: removing it (or the cleanup removing
# $work) ends it, so no loop outlives the test (one once held ctest's output
# pipe open, and a CPU, for minutes after the test had finished).
touch "$work/storm"
in_ns "while [ -e '$work/storm' ]; do nft add table ip busy; nft delete table ip busy; done" &
busy=$!
failures=0
for i in $(seq 30); do
  set +e
  in_ns "'$op25bc' diff '$work/renamed.json' --at 2006-10-01 $opts" >/dev/null 2>"$work/busy.err"
  rc=$?
  set -e
  [ "$rc" -eq 0 ] || { failures=$((failures + 1)); cat "$work/busy.err"; }
done
rm "$work/storm"
wait "$busy" || true
check "30 diffs during a storm of foreign commits all succeed, in sync" test "$failures" -eq 0

finish
