#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The units `op25bc schedule --emit systemd` writes work under their own
# confinement (issue 22, item 4). For each backend, `activate` runs in a fresh
# network namespace with exactly the unit's CapabilityBoundingSet (setpriv),
# and succeeds: the kernel holds op25bc's ruleset afterwards. strace lists
# every socket it (and the tools it runs) opened: each address family is one
# the unit's RestrictAddressFamilies allows. And the nftables unit's bounding
# set is not enough for the iptables backend, whose refusal names the
# capability actually missing (CAP_NET_RAW).
set -euo pipefail
op25bc=$1
root=$2
source "$root/tests/kernel/lib.sh"
start_kernel_test
for tool in strace setpriv; do
  command -v $tool >/dev/null || { echo "FAIL: $tool is required"; exit 1; }
done
policy=$root/examples/netlaputa.json
# A sanitizer build's LeakSanitizer stops the world with ptrace, which strace
# (itself a tracer) and the units' sandbox do not allow: leaks are checked by
# every other test of that build, not here.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

# unit_value BACKEND KEY: the value of KEY in that backend's generated service.
unit_value() {
  sed -n "s/^$2=//p" "$work/$1/op25bc.service"
}
# bounding CAPS: setpriv's --bounding-set for a unit's capability list.
bounding() {
  local out="-all"
  for cap in $1; do out+=",+$(tr 'A-Z' 'a-z' <<<"${cap#CAP_}")"; done
  echo "$out"
}

for backend in nftables iptables; do
  "$op25bc" schedule "$policy" --emit systemd --backend "$backend" --bin "$op25bc" \
    -o "$work/$backend" 2>/dev/null
  caps=$(unit_value "$backend" CapabilityBoundingSet)
  families=$(unit_value "$backend" RestrictAddressFamilies)
  check "$backend: the unit names its capabilities and address families" \
    test -n "$caps" -a -n "$families"
  set +e
  unshare -n bash -c "
    strace -f -qq -e trace=socket -o '$work/$backend.trace' \
      setpriv --bounding-set='$(bounding "$caps")' \
      '$op25bc' activate '$policy' --at 2006-07-01 --backend $backend --no-syslog \
        --state '$work/$backend.state' --lock '$work/$backend.lock' 2>'$work/$backend.err' || exit 1
    if [ $backend = nftables ]; then nft list table inet op25b; else iptables-legacy-save; fi
  " >"$work/$backend.held"
  rc=$?
  set -e
  check "$backend: activate succeeds under the unit's bounding set ($caps)" test "$rc" -eq 0
  [ "$rc" -eq 0 ] || cat "$work/$backend.err"
  check "$backend: the kernel holds op25bc's ruleset afterwards" grep -qE 'phase_tokyo|OP25B-P-tokyo' "$work/$backend.held"
  used=$(grep -o 'socket(AF_[A-Z0-9]*' "$work/$backend.trace" | sed 's/socket(//' | sort -u | tr '\n' ' ')
  outside=""
  for family in $used; do
    [[ " $families " == *" $family "* ]] || outside+="$family "
  done
  check "$backend: every socket it opened ($used) is of a family the unit allows ($families)" \
    test -z "$outside" -a -n "$used"
done

# And for real: each generated op25bc.service started by a systemd manager
# (systemd's user manager as root, in private PID, mount and network
# namespaces, as tests/package/deb_test.sh does), with every line of its
# sandbox (syscall filter, read-only system, its own state and lock folders).
for backend in nftables iptables; do
  cat >"$work/manager-$backend.sh" <<SH
set -euo pipefail
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /var/lib
mkdir -p /run/systemd/system /run/systemd/user /run/op25bc-test
# The unit's PrivateTmp and ProtectHome hide /tmp and /root, where a checkout
# (and this test's folder) may lie: op25bc and the policy go to /run, and the
# unit is written for them there, as schedule writes it.
cp '$op25bc' /run/op25bc-test/op25bc
cp '$policy' /run/op25bc-test/policy.json
/run/op25bc-test/op25bc schedule /run/op25bc-test/policy.json --emit systemd --backend $backend \
  --bin /run/op25bc-test/op25bc -o /run/systemd/user 2>/dev/null
export XDG_RUNTIME_DIR=/run XDG_CONFIG_HOME=/var/lib
/lib/systemd/systemd --user >'$work/manager-$backend.log' 2>&1 &
for _ in \$(seq 100); do [ -S /run/systemd/private ] && break; sleep 0.1; done
systemctl --user set-environment ASAN_OPTIONS=detect_leaks=0
systemctl --user start op25bc.service || true
systemctl --user show op25bc.service -p Result -p ExecMainStatus >'$work/$backend.show'
journalctl --user -u op25bc.service --no-pager >'$work/$backend.journal' 2>&1 || true
if [ $backend = nftables ]; then nft list table inet op25b; else iptables-legacy-save; fi \
  >'$work/$backend.unit-held' 2>&1 || true
systemctl --user exit || kill %1
wait || true
SH
  unshare -m -p -n -f --mount-proc bash "$work/manager-$backend.sh"
  check "$backend: the generated op25bc.service runs activate to success under systemd" \
    grep -qx "Result=success" "$work/$backend.show"
  grep -qx "Result=success" "$work/$backend.show" || cat "$work/$backend.show" "$work/manager-$backend.log"
  check "$backend: and the kernel holds op25bc's ruleset" \
    grep -qE 'phase_tokyo|OP25B-P-tokyo' "$work/$backend.unit-held"
done

# The nftables unit's bounding set does not carry the iptables backend.
set +e
unshare -n setpriv --bounding-set="$(bounding "$(unit_value nftables CapabilityBoundingSet)")" \
  "$op25bc" activate "$policy" --at 2006-07-01 --backend iptables --no-syslog \
  --state "$work/x.state" --lock "$work/x.lock" 2>"$work/x.err"
rc=$?
set -e
check "iptables under the nftables unit's bounding set: refused" test "$rc" -ne 0
check "and the hint names the missing capability, CAP_NET_RAW" \
  grep -q "lacks CAP_NET_RAW" "$work/x.err"
check "and CAP_NET_ADMIN, which it has, is not named missing" \
  bash -c "! grep -q 'lacks CAP_NET_ADMIN' '$work/x.err'"
finish
