#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# activate logs each event once (issue 23, item 9). Outside systemd: one line
# on stderr and one syslog message. Under systemd, where stderr is the journal
# (JOURNAL_STREAM names it): one line on stderr with the journal's "<N>"
# priority prefix, and no syslog message. A real datagram socket stands in
# for /dev/log in a private mount namespace, counting what syslog() sends.
set -euo pipefail
op25bc=$1
root=$2
source "$root/tests/kernel/lib.sh"
start_kernel_test

cat > "$work/syslog.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(0.2)
open(sys.argv[2] + ".ready", "w").close()
with open(sys.argv[2], "w") as out:
    end = time.time() + 60
    while time.time() < end:
        try:
            out.write(s.recv(65536).decode(errors="replace") + "\n")
            out.flush()
        except socket.timeout:
            pass
PY
# run NAME JOURNAL: activate in a fresh network namespace and a mount namespace
# whose /dev/log is the counting socket; JOURNAL=yes sets JOURNAL_STREAM to stderr's file.
run() {
  local name=$1 journal=$2
  : > "$work/$name.err"
  local stream=""
  [ "$journal" = yes ] && stream=$(stat -c '%d:%i' "$work/$name.err")
  unshare -n -m --propagation private bash -euo pipefail -c '
    work=$1 name=$2 stream=$3 op25bc=$4 policy=$5 python=$6
    "$python" "$work/syslog.py" "$work/$name.sock" "$work/$name.syslog" & server=$!
    for _ in $(seq 100); do [ -e "$work/$name.syslog.ready" ] && break; sleep 0.05; done
    touch /dev/log 2>/dev/null || true
    mount --bind "$work/$name.sock" /dev/log
    JOURNAL_STREAM=$stream "$op25bc" activate "$policy" --at 2006-10-01 \
      --state "$work/$name.state" --lock "$work/$name.lock" 2>>"$work/$name.err"
    sleep 0.3
    kill $server
  ' _ "$work" "$name" "$stream" "$op25bc" "$root/examples/spinnet.json" "$python"
}
run plain no
run journal yes
activate_lines() { grep -c "op25bc activate .*phases mobile, all active" "$1" || true; }
check "outside systemd: the run's line once on stderr" test "$(activate_lines "$work/plain.err")" -eq 1
check "outside systemd: and once to syslog" test "$(activate_lines "$work/plain.syslog")" -eq 1
check "under systemd: the run's line once on stderr, with the journal's priority prefix" \
  grep -q "^<6>op25bc activate .*phases mobile, all active" "$work/journal.err"
check "under systemd: once in all" test "$(activate_lines "$work/journal.err")" -eq 1
check "under systemd: nothing sent to syslog" test "$(activate_lines "$work/journal.syslog")" -eq 0
finish
