#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# op25bc activate against a real kernel, time-travelling with --at through the
# SpinNet rollout. After every run the table must equal `nft -f` of
# `op25bc compile` for the instant activate says it applied. Also: a missed
# boundary is caught up and reported late (a first run is a catch-up, not late), a clock gone backwards keeps the
# applied state (and --allow-rollback follows it), an edited policy moving a
# phase later is applied with a warning, concurrent runs serialise.
set -euo pipefail
op25bc=$1
root=$2
source "$root/tests/kernel/lib.sh"
start_kernel_test

policy=$root/examples/spinnet.json
opts="--state $work/state --lock $work/lock --no-syslog"

# activate at $1, then the table must equal the compiled ruleset at $2.
step() {
  "$op25bc" activate "$3" --at "$1" $opts 2>"$work/log" >/dev/null || { cat "$work/log"; return 1; }
  "$op25bc" compile "$3" --at "$2" 2>/dev/null >"$work/expected.nft"
  nft list table inet op25b >"$work/have"
  unshare -n bash -c "nft -f '$work/expected.nft' && nft list table inet op25b" | cmp -s - "$work/have"
}
log_has() { grep -q -- "$1" "$work/log" || { echo "log lacks: $1"; cat "$work/log"; return 1; }; }
export -f step log_has
export op25bc work opts

check "time travel through the rollout, late catch-up, no silent rollback" in_netns "
  step 2006-05-31 2006-05-31 '$policy' && log_has 'no phase active'
  step 2006-06-01T00:00:20+09:00 2006-06-01T00:00:20+09:00 '$policy' && log_has 'phases mobile active'
  ! grep -q 'late' '$work/log'
  step 2006-06-01T00:10:00+09:00 2006-06-01T00:10:00+09:00 '$policy' && log_has 'no change'
  step 2006-10-03T06:00:00+09:00 2006-10-03T06:00:00+09:00 '$policy'
  log_has 'the boundary of 2006-10-01T00:00:00+09:00 was applied late by 2 d 6 h'
  log_has 'next change 2007-03-31T00:00:00+09:00'
  step 2006-09-01 2006-10-03T06:00:00+09:00 '$policy'
  log_has 'keeping the applied state (use --allow-rollback to undo)'
  '$op25bc' activate '$policy' --at 2006-09-01 --allow-rollback $opts 2>'$work/log' >/dev/null
  log_has 'rolling back (--allow-rollback)'
  '$op25bc' compile '$policy' --at 2006-09-01 2>/dev/null > '$work/expected.nft'
  nft list table inet op25b > '$work/have'
  unshare -n bash -c \"nft -f '$work/expected.nft' && nft list table inet op25b\" | cmp -s - '$work/have'"

check "a first run long after a boundary catches up; the log and the metric say it is not late" in_netns "
  rm -rf '$work/state' '$work/state.history'
  '$op25bc' activate '$policy' --at 2026-12-07 $opts --metrics '$work/first.prom' 2>'$work/log' >/dev/null
  log_has 'first run: caught up with the boundary of 2007-03-31T00:00:00+09:00'
  ! grep -q 'applied late' '$work/log'
  grep -qx 'op25bc_activate_lateness_seconds 0' '$work/first.prom'
  '$op25bc' metrics --state '$work/state' > '$work/metrics.prom'  # not piped to grep -q: SIGPIPE
  grep -qx 'op25bc_activate_lateness_seconds 0' '$work/metrics.prom'
  rm -rf '$work/state' '$work/state.history'"

"$python" - "$policy" "$work/edited.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["phases"][1]["effective"] = "2006-12-01"
json.dump(p, open(sys.argv[2], "w"))
PY
rm -f "$work/state"
check "an edited policy moving a phase later is applied, naming the phase" in_netns "
  step 2006-10-15 2006-10-15 '$policy'
  step 2006-10-16 2006-10-16 '$work/edited.json'
  log_has 'phase \"all\" was active and the edited policy moves it to 2006-12-01T00:00:00+09:00'"

rm -f "$work/state"
check "concurrent runs serialise on the lock and converge" in_netns "
  '$op25bc' activate '$policy' --at 2006-10-15 $opts 2>/dev/null >/dev/null &
  '$op25bc' activate '$policy' --at 2006-10-15 $opts 2>/dev/null >/dev/null &
  wait
  '$op25bc' compile '$policy' --at 2006-10-15 2>/dev/null > '$work/expected.nft'
  nft list table inet op25b > '$work/have'
  unshare -n bash -c \"nft -f '$work/expected.nft' && nft list table inet op25b\" | cmp -s - '$work/have'"

# activate and timeline agree on every instant: at each boundary and a second
# before it, the kernel holds exactly what compile says for that instant.
for example in "$root"/examples/*.json; do
  rm -f "$work/state"
  script=""
  for at in $("$python" -c '
import json, subprocess, sys, datetime
events = json.loads(subprocess.run([sys.argv[1], "timeline", sys.argv[2], "--format", "json"],
                                   capture_output=True, text=True).stdout)["events"]
for e in events:
    t = datetime.datetime.fromisoformat(e["utc"].replace("Z", "+00:00"))
    print((t - datetime.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ"), e["utc"])' "$op25bc" "$example"); do
    script+="
    step '$at' '$at' '$example'"
  done
  check "$(basename "$example"): activate at every timeline instant holds what compile says" in_netns "$script"
done

# DST, as documented (America/Santiago, 2026): a date whose midnight does not
# exist (September 6) starts at the end of the gap, 01:00 -03; an RFC 3339
# instant in the repeated hour (23:00-24:00 on April 4) means that very pass of it.
cat > "$work/dst.json" <<'JSON'
{ "version": 1, "timezone": "America/Santiago",
  "services": [ { "id": "s" } ],
  "pools": [ { "id": "p", "service": "s", "prefixes": ["198.18.0.0/16"] } ],
  "phases": [ { "id": "skipped-midnight", "effective": "2026-09-06", "block": "all" },
              { "id": "repeated-hour", "effective": "2026-04-04T23:30:00-04:00",
                "until": "2026-04-06", "scope": { "pools": ["p"] }, "block": "all" } ] }
JSON
rm -f "$work/state"
check "DST: skipped midnight and repeated hour behave as documented" in_netns "
  step 2026-04-04T22:30:00-03:00 2026-04-04T22:30:00-03:00 '$work/dst.json' && log_has 'no phase active'
  step 2026-04-04T23:30:00-03:00 2026-04-04T23:30:00-03:00 '$work/dst.json' && log_has 'no phase active'
  log_has 'next change 2026-04-04T23:30:00-04:00'
  step 2026-04-04T23:30:00-04:00 2026-04-04T23:30:00-04:00 '$work/dst.json' && log_has 'phases repeated-hour active'
  step 2026-09-05T23:59:59-04:00 2026-09-05T23:59:59-04:00 '$work/dst.json' && log_has 'no phase active'
  log_has 'next change 2026-09-06T01:00:00-03:00'
  step 2026-09-06T01:00:00-03:00 2026-09-06T01:00:00-03:00 '$work/dst.json' && log_has 'phases skipped-midnight active'"

# Killed at any point (SIGKILL at several delays, on a policy big enough to be
# caught mid-way), the next run converges: the kernel ends up equal to the policy.
"$python" "$root/bench/gen_policy.py" --v4 60000 --v6 6000 --pools 60 > "$work/big.json"
"$python" "$root/bench/gen_policy.py" --v4 60000 --v6 6000 --pools 60 --change > "$work/big2.json"
rm -f "$work/state"
script="'$op25bc' activate '$work/big.json' --at 2006-11-01 $opts 2>/dev/null >/dev/null"
for delay in 0.02 0.1 0.2 0.35 0.5 0.8; do
  script+="
  '$op25bc' activate '$work/big2.json' --at 2006-11-01 $opts 2>/dev/null >/dev/null & pid=\$!
  sleep $delay; kill -9 \$pid 2>/dev/null || true; wait \$pid 2>/dev/null || true
  '$op25bc' activate '$work/big.json' --at 2006-11-01 $opts 2>/dev/null >/dev/null & pid=\$!
  sleep $delay; kill -9 \$pid 2>/dev/null || true; wait \$pid 2>/dev/null || true"
done
script+="
  '$op25bc' activate '$work/big2.json' --at 2006-11-01 $opts 2>/dev/null >/dev/null
  '$op25bc' compile '$work/big2.json' --at 2006-11-01 2>/dev/null > '$work/expected.nft'
  nft list table inet op25b > '$work/have'
  unshare -n bash -c \"nft -f '$work/expected.nft' && nft list table inet op25b\" | cmp -s - '$work/have'
  '$op25bc' diff '$work/big2.json' --at 2006-11-01 --verify --state '$work/state' --lock '$work/lock' >/dev/null 2>&1"
check "runs killed (SIGKILL) at several points converge on the next run" in_netns "$script"

finish
