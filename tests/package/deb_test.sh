#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian package, for real: build it (scripts/build-deb.sh, lintian
# included) unless OP25BC_DEB names one, install it with dpkg -i, check what
# an operator meets (version, man pages, completion, units that systemd
# verifies and scores <= 2.0 exposure, the examples validate), run the
# packaged op25bc.service unmodified under a real systemd manager in private
# namespaces and see it apply the policy, then purge and check that nothing
# is left behind but dpkg's own records.
#
# The service manager: this machine has no systemd as PID 1, so the test
# starts systemd's user manager as root (systemd --user) inside private PID,
# mount and network namespaces, with XDG_CONFIG_HOME=/var/lib (systemd 252 puts a
# user unit's StateDirectory= there) and
# XDG_RUNTIME_DIR=/run so that the unit's StateDirectory= and
# RuntimeDirectory= mean the same folders as under the system manager. That
# manager enforces the unit's sandbox (capabilities, read-only file system,
# address families, system call filter) as the system manager would.
set -euo pipefail
root=$2

source "$root/tests/kernel/lib.sh"
start_kernel_test
if dpkg-query -W -f='${Status}' op25bc 2>/dev/null | grep -q "installed"; then
  echo "SKIP: op25bc is installed on this machine; the test would replace and purge it"
  [ "${CI:-}" = "true" ] && exit 1
  exit 77
fi

if [ -e /var/lib/op25bc ]; then
  echo "SKIP: /var/lib/op25bc exists (op25bc run from a build?); purging the package would delete it"
  [ "${CI:-}" = "true" ] && exit 1
  exit 77
fi

deb=${OP25BC_DEB:-}
if [ -z "$deb" ]; then
  "$root/scripts/build-deb.sh" "$work/dist" > "$work/build-deb.out" 2>&1 ||
    { cat "$work/build-deb.out"; echo "FAIL: scripts/build-deb.sh"; exit 1; }
  check "lintian passed inside build-deb.sh" grep -q "^built " "$work/build-deb.out"
  deb=$(ls "$work"/dist/op25bc_*.deb)
fi

# What the file system holds outside dpkg's own database, before and after.
snapshot() {
  find /etc /usr /lib /var/lib /opt -xdev \
    \( -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/lib/ucf \) -prune -o -print 2>/dev/null |
    LC_ALL=C sort
}
snapshot > "$work/before"

dpkg -i "$deb" > "$work/dpkg-i.out" 2>&1 || { cat "$work/dpkg-i.out"; echo "FAIL: dpkg -i"; exit 1; }
trap 'dpkg --purge op25bc >/dev/null 2>&1 || true; cleanup_kernel_test' EXIT

version=$(dpkg-deb -f "$deb" Version)
check "op25bc --version says the package's version ($version)" \
  test "$(/usr/sbin/op25bc --version)" = "op25bc $version"
check "man -w op25bc finds op25bc(8)" test "$(man -w op25bc)" = /usr/share/man/man8/op25bc.8.gz
check "man -w 5 op25bc-policy finds op25bc-policy(5)" \
  test "$(man -w 5 op25bc-policy)" = /usr/share/man/man5/op25bc-policy.5.gz
check "op25bc(8) renders with its exit statuses" bash -c 'MANWIDTH=80 man op25bc 2>/dev/null | grep -q "^EXIT STATUS"'
check "bash completion is installed and registers op25bc" bash -c '
  source /usr/share/bash-completion/bash_completion
  source /usr/share/bash-completion/completions/op25bc
  complete -p op25bc | grep -q _op25bc'
check "systemd-analyze verify of the installed units (man pages included)" \
  systemd-analyze verify /lib/systemd/system/op25bc.service /lib/systemd/system/op25bc.timer \
  /lib/systemd/system/op25bc.path /lib/systemd/system/op25bc-radius.service
for unit in op25bc.service op25bc-radius.service; do
  score=$(systemd-analyze security --offline=true --no-pager /lib/systemd/system/$unit 2>&1 |
    sed -n "s/.*Overall exposure level for $unit: \\([0-9.]*\\) \\([A-Z]*\\).*/\\1 \\2/p")
  check "the installed $unit's exposure is <= 2.0 OK (got $score)" \
    awk -v s="$score" 'BEGIN { split(s, a, " "); exit !(a[1] <= 2.0 && a[2] == "OK") }'
done
check "the RADIUS follower is shipped, not enabled (FreeRADIUS needs op25bc's module first)" \
  test ! -e /etc/systemd/system/multi-user.target.wants/op25bc-radius.service
check "FreeRADIUS's op25bc module is shipped beside the examples" \
  grep -q "^detail op25bc {" /usr/share/doc/op25bc/freeradius/op25bc
check "the timer is enabled by the package" test -L /etc/systemd/system/timers.target.wants/op25bc.timer
check "the path unit is enabled by the package" test -L /etc/systemd/system/paths.target.wants/op25bc.path
for example in /usr/share/doc/op25bc/examples/*.json; do
  check "op25bc validate $(basename "$example")" /usr/sbin/op25bc validate "$example" >/dev/null 2>&1
done
check "the schema is installed" "$python" -c 'import json; json.load(open("/usr/share/op25bc/op25bc-policy.schema.json"))'

# The packaged service, run for real by systemd, applies the policy.
example=/usr/share/doc/op25bc/examples/netlaputa.json
/usr/sbin/op25bc compile "$example" > "$work/expected.nft"
in_netns "nft -f '$work/expected.nft' && nft list table inet op25b" > "$work/expected"
cat > "$work/manager.sh" <<SH
set -euo pipefail
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /var/lib
mount -t tmpfs tmpfs /etc/op25bc
mkdir -p /run/systemd/system /run/systemd/user   # "booted with systemd"; the unit's place
cp /lib/systemd/system/op25bc.service /lib/systemd/system/op25bc.timer /lib/systemd/system/op25bc.path /run/systemd/user/
export XDG_RUNTIME_DIR=/run XDG_CONFIG_HOME=/var/lib
/lib/systemd/systemd --user > $work/manager.log 2>&1 &
for _ in \$(seq 100); do [ -S /run/systemd/private ] && break; sleep 0.1; done
# No policy yet: the timer does not start (no wake-ups); the path unit
# starts it once the policy is in place.
systemctl --user start op25bc.timer || true
systemctl --user is-active op25bc.timer > $work/timer-without-policy || true
systemctl --user start op25bc.path
cp $example /etc/op25bc/policy.json
for _ in \$(seq 50); do systemctl --user is-active --quiet op25bc.timer && break; sleep 0.1; done
systemctl --user is-active op25bc.timer > $work/timer-with-policy || true
systemctl --user start op25bc.service || true
systemctl --user show op25bc.service -p Result -p ExecMainStatus > $work/service.show
nft list table inet op25b > $work/service.nft 2>&1 || true
ls /var/lib/op25bc > $work/service.state 2>&1 || true
# The same sandbox, enforced on a probe: capabilities, file system, sockets.
props=()
while IFS= read -r line; do props+=(-p "\$line"); done < <(sed -n '/^CapabilityBoundingSet=/,/^UMask=/p' /run/systemd/user/op25bc.service)
systemd-run --user --pipe --wait --quiet "\${props[@]}" /usr/bin/python3 -c '
import socket
caps = [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapBnd")][0]
try:
    open("/usr/share/op25bc/probe", "w"); ro = "writable"
except OSError: ro = "read-only"
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM); inet = "allowed"
except OSError: inet = "refused"
print(caps, ro, inet)' > $work/probe.out 2>&1 || true
systemctl --user exit || kill %1
wait || true
SH
unshare -m -p -n -f --mount-proc bash "$work/manager.sh"
check "no policy: the packaged timer stays stopped ($(cat "$work/timer-without-policy"))" \
  grep -qx inactive "$work/timer-without-policy"
check "the policy in place: op25bc.path starts the timer ($(cat "$work/timer-with-policy"))" \
  grep -qx active "$work/timer-with-policy"
check "the packaged op25bc.service ran to success under systemd" \
  grep -qx "Result=success" "$work/service.show"
check "the service applied exactly what nft -f of the compiled policy holds" \
  cmp -s "$work/service.nft" "$work/expected"
check "the service wrote its state and history under StateDirectory" \
  grep -qx "op25b.state" "$work/service.state"
check "the sandbox holds: only CAP_NET_ADMIN, /usr read-only, no internet sockets ($(cat "$work/probe.out"))" \
  grep -qx "0000000000001000 read-only refused" "$work/probe.out"

# A run by hand (in a namespace of its own, default paths: the folders are
# made on the way) leaves state, history and lock
# folder where the package's op25bc keeps them; purging removes them.
in_netns "/usr/sbin/op25bc activate $example --no-syslog 2> /dev/null"
check "an activate by hand kept its state and history in /var/lib/op25bc" \
  test -s /var/lib/op25bc/op25b.state -a -s /var/lib/op25bc/op25b.history/index.json

dpkg --purge op25bc > "$work/purge.out" 2>&1 || { cat "$work/purge.out"; echo "FAIL: dpkg --purge"; exit 1; }
check "purged: dpkg no longer knows op25bc" bash -c '! dpkg-query -W -f="\${Status}" op25bc 2>/dev/null | grep -q installed'
snapshot > "$work/after"
check "purged: nothing is left behind ($(diff "$work/before" "$work/after" | grep -c '^[<>]') paths differ)" \
  diff "$work/before" "$work/after"
finish
