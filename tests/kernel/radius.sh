#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# RADIUS accounting as a session source, for real, on both backends: a real
# FreeRADIUS with op25bc's shipped detail module (hooks/freeradius/op25bc),
# fed by radclient as a BNG would send accounting, and op25bc session follow
# reading the detail file it writes.
#
# Topology: a router namespace running FreeRADIUS on 127.0.0.1 and op25bc's
# table (SpinNet at now, its eADSL pool with delegated_length 56); a
# subscriber namespace on 198.18.1.100 behind it; a server namespace
# (198.51.100.7, port 25). ann@spinnet has a subscriber exemption; bob does not.
# (1) Start (with an IPv4 address and a delegated IPv6 prefix): both are in
#     the kernel's session sets, and ann's TCP/25 connects. Interim-Update
#     changes nothing; Stop takes both out, and her connection is reset.
# (2) Accounting-On from her NAS takes every session of that NAS out, not
#     another NAS's; bob's Start of her address takes it from her.
# (3) Records that must never exempt: an address outside the pools, a
#     delegated prefix wider than /56, a forged subscriber for a record with
#     no User-Name; each is said, and the kernel is unchanged.
# (4) --once reads what is there and exits; a restarted follower goes on
#     where it stopped.
# (5) kill -9 of the follower and rotation of the detail file, in random
#     interleavings with records: after every step the kernel holds exactly
#     what the records say, each applied once, none lost. (6) The same with
#     300 records and kills mid-batch. (7) The metrics and status count each
#     once. (8) After a reboot (no session table), session sync rebuilds the
#     table and the kernel from the detail files; a file others may write is
#     refused.
set -euo pipefail
op25bc=$(realpath "$1")
root=$2
source "$root/tests/kernel/lib.sh"
start_kernel_test
require_tools freeradius radclient

pfx=op25bc-rad-$$
rtr=$pfx-rtr subscriber=$pfx-sub srv=$pfx-srv
own_namespaces "$rtr" "$subscriber" "$srv"
ip link add s0 netns "$subscriber" type veth peer name r0 netns "$rtr"
ip link add n0 netns "$srv" type veth peer name r1 netns "$rtr"
ip -n "$rtr" addr add 198.18.1.1/24 dev r0
ip -n "$rtr" addr add 198.51.100.1/24 dev r1
ip -n "$subscriber" addr add 198.18.1.100/24 dev s0
ip -n "$srv" addr add 198.51.100.7/24 dev n0
for link in "$rtr r0" "$rtr r1" "$subscriber s0" "$srv n0"; do
  set -- $link
  ip -n "$1" link set "$2" up
done
ip -n "$subscriber" route add default via 198.18.1.1
ip -n "$srv" route add 198.18.0.0/15 via 198.51.100.1
ip netns exec "$rtr" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$srv" "$python" "$probe" serve 25 > "$work/serve.out" &
for _ in $(seq 50); do grep -q ready "$work/serve.out" 2> /dev/null && break; sleep 0.1; done

# SpinNet with ann's subscriber exemption, its eADSL pool delegating /56s.
spinnet_with_dropins
delegating eadsl-dynamic 56
echo '{"id": "radius-ann", "subscriber": "ann@spinnet", "reason": "own MTA"}' \
  > "$dropins/radius-ann.json"

# FreeRADIUS as Debian installs it, with only op25bc's module and one virtual
# server that sends accounting to it; it runs as freerad, as in production.
chmod 0711 "$work"
raddb=$work/raddb acct=$work/radacct
cp -a /etc/freeradius/3.0 "$raddb"
rm -f "$raddb"/mods-enabled/* "$raddb"/sites-enabled/* "$raddb"/policy.d/*
cp "$root/hooks/freeradius/op25bc" "$raddb/mods-enabled/op25bc"
cat > "$raddb/sites-enabled/op25bc-test" <<'CONF'
server op25bc_test {
	listen {
		type = acct
		ipaddr = 127.0.0.1
		port = 18121
	}
	accounting {
		op25bc
	}
}
CONF
mkdir -p "$acct" "$work/run"
chown freerad:freerad "$acct" "$work/run"
sed -i -e "s|^radacctdir = .*|radacctdir = $acct|" -e "s|^run_dir = .*|run_dir = $work/run|" \
  -e "s|^logdir = .*|logdir = $work/run|" "$raddb/radiusd.conf"
ip netns exec "$rtr" freeradius -f -d "$raddb" -l stdout > "$work/radius.log" 2>&1 &
detail=$acct/op25bc/detail
position=$work/state.radius-position

# send ATTRIBUTE=VALUE...: one accounting request, as a BNG sends it.
send() {
  printf '%s\n' "$@" | ip netns exec "$rtr" radclient -q -r 3 -t 2 127.0.0.1:18121 acct testing123
}
start_of() {  # start_of USER NAS [STATUS] ADDRESS-ATTRIBUTES...
  local user=$1 nas=$2 status=${3:-Start}
  shift 3
  send "User-Name = \"$user\"" "Acct-Status-Type = $status" "Acct-Session-Id = \"$user-$nas\"" \
    "NAS-IP-Address = $nas" "$@"
}
for _ in $(seq 50); do
  send 'Acct-Status-Type = Accounting-On' 'NAS-IP-Address = 192.0.2.99' 2> /dev/null && break
  sleep 0.2
done

rtr_op25bc() { ip netns exec "$rtr" "$op25bc" "$@"; }
outcome() { port25_outcome "$subscriber" 198.18.1.100; }
held() { session_held "$rtr" "$backend_name" 4; }
held6() { session_held "$rtr" "$backend_name" 6; }
held_is() { test "$(held)" = "$1"; }
held6_is() { test "$(held6)" = "$1"; }
# The follower has read every record written: its position is the end of the
# file it names (found by inode, wherever a rotation moved it), and that file
# is the one at the path, or there is none there yet.
caught_up() {
  [ -f "$position" ] || return 1
  "$python" - "$position" "$detail" <<'PY'
import os, sys
position, detail = sys.argv[1:]
_, device, inode, offset = open(position).read().split("\n")[1].split()
folder = os.path.dirname(detail)
held = [os.stat(os.path.join(folder, n)) for n in os.listdir(folder)]
held = [s for s in held if (s.st_dev, s.st_ino) == (int(device), int(inode))]
if not held or held[0].st_size != int(offset):
    sys.exit(1)
if os.path.exists(detail):
    now = os.stat(detail)
    sys.exit(0 if (now.st_dev, now.st_ino) == (held[0].st_dev, held[0].st_ino) or now.st_size == 0 else 1)
PY
}
follow_opts=(--radius-detail "$detail" --state "$work/state" --lock "$work/lock")
start_follower() {
  # ip netns exec execs op25bc: $! is the follower itself, for kill -9.
  ip netns exec "$rtr" "$op25bc" session follow "${follow_opts[@]}" \
    >> "$work/follow.out" 2>> "$work/follow.err" &
  echo $! > "$work/follow.pid"
}
stop_follower() {
  kill -9 "$(cat "$work/follow.pid")" 2> /dev/null || true
  wait "$(cat "$work/follow.pid")" 2> /dev/null || true
}
opts=(--state "$work/state" --lock "$work/lock" --sessions "$work/sessions")
# model.py FOLDER "INODE SIZE": the addresses the session sets must hold after
# the records written since that point of that file (its rotated successors
# in step order, then the file at the path), as session follow applies them.
cat > "$work/model.py" <<'PY'
import os, re, sys
folder, (inode, size) = sys.argv[1], map(int, sys.argv[2].split())
def step(name):
    return int(name.rsplit(".", 1)[1]) if "." in name else 1 << 30
files = sorted((n for n in os.listdir(folder) if n.startswith("detail")), key=step)
held, started = {}, False
for name in files:
    path = os.path.join(folder, name)
    data = open(path, "rb").read()
    if os.stat(path).st_ino == inode:
        data, started = data[size:], True
    elif not started:
        continue
    for record in data.decode().split("\n\n"):
        a = dict(re.findall(r"^\t([\w-]+) = \"?([^\"\n]*)\"?$", record, re.M))
        if "Acct-Status-Type" not in a:
            continue
        who, address = a["User-Name"], a.get("Framed-IP-Address")
        if a["Acct-Status-Type"] == "Stop":
            held.pop(who, None)
            continue
        for other in held:
            if other != who:
                held[other].discard(address)
        if who != "dan@spinnet":
            held.setdefault(who, set()).add(address)
print(" ".join(sorted(a for v in held.values() for a in v)))
PY


scenario() {
  backend_name=$1
  local name=$1
  reset_router
  rm -rf "$work/sessions" "$work/follow."* "$detail"* "$work/history"
  rtr_op25bc activate "$policy" --no-syslog --backend "$name" "${opts[@]}" > "$work/activate.out" 2>&1
  start_follower

  # (1)
  start_of ann@spinnet 192.0.2.1 Start "Framed-IP-Address = 198.18.1.100" \
    "Delegated-IPv6-Prefix = 2001:db8:100:4200::/56"
  check "$name: Start puts ann's address in the session set" until_true 5 held_is 198.18.1.100
  check "$name: ... and her delegated prefix in the IPv6 one" held6_is 2001:db8:100:4200::/56
  check "$name: ann's TCP/25 connects while her session lives" test "$(outcome)" = connected
  start_of ann@spinnet 192.0.2.1 Interim-Update "Framed-IP-Address = 198.18.1.100" \
    "Delegated-IPv6-Prefix = 2001:db8:100:4200::/56"
  check "$name: Interim-Update is read" until_true 5 caught_up
  check "$name: ... and changes nothing in the kernel" bash -c "tail -1 '$work/follow.out' | grep -q '1 session event; .*: no change; at byte'"
  start_of ann@spinnet 192.0.2.1 Stop "Framed-IP-Address = 198.18.1.100"
  check "$name: Stop takes her address out" until_true 5 held_is ""
  check "$name: ... and her delegated prefix with it" held6_is ""
  check "$name: ann's TCP/25 is reset after her session" test "$(outcome)" = reset

  # (2)
  start_of ann@spinnet 192.0.2.1 Start "Framed-IP-Address = 198.18.1.100"
  start_of ann2@spinnet 192.0.2.2 Start "Framed-IP-Address = 198.18.1.101"
  check "$name: ann is up again" until_true 5 held_is 198.18.1.100
  send 'Acct-Status-Type = Accounting-On' 'NAS-IP-Address = 192.0.2.2'
  check "$name: Accounting-On of another NAS leaves her session" until_true 5 caught_up
  check "$name: ... in the kernel" held_is 198.18.1.100
  send 'Acct-Status-Type = Accounting-On' 'NAS-IP-Address = 192.0.2.1'
  check "$name: Accounting-On of her NAS takes her session out" until_true 5 held_is ""
  start_of ann@spinnet 192.0.2.1 Start "Framed-IP-Address = 198.18.1.100"
  check "$name: ann is up once more" until_true 5 held_is 198.18.1.100
  start_of bob@spinnet 192.0.2.1 Start "Framed-IP-Address = 198.18.1.100"
  check "$name: bob's Start of her address takes it from her" until_true 5 held_is ""
  check "$name: ... and bob's TCP/25 from it is reset" test "$(outcome)" = reset

  # (3) Never wider than a session may be.
  start_of ann@spinnet 192.0.2.1 Start "Framed-IP-Address = 203.0.113.9"
  start_of ann@spinnet 192.0.2.1 Start "Framed-IP-Address = 198.18.1.102" \
    "Delegated-IPv6-Prefix = 2001:db8:100::/48"
  send "Acct-Status-Type = Start" "NAS-IP-Address = 192.0.2.1" "Framed-IP-Address = 198.18.1.103" \
    "Calling-Station-Id = \"ann@spinnet\""
  check "$name: the three are read" until_true 5 caught_up
  check "$name: ... an address outside the pools is refused, said" \
    grep -q "203.0.113.9 lies in no pool" "$work/follow.err"
  check "$name: ... a prefix wider than the pool's /56 is refused, said" \
    grep -q "2001:db8:100::/48 is wider than its pool's delegated_length /56" "$work/follow.err"
  check "$name: ... a record without User-Name is skipped, said" \
    grep -q "it has no User-Name" "$work/follow.err"
  check "$name: ... and none of them is in the kernel" held_is ""
  check "$name: ... nor in IPv6" held6_is ""

  # (4)
  stop_follower
  start_of ann@spinnet 192.0.2.1 Start "Framed-IP-Address = 198.18.1.100"
  check "$name: --once reads what is there and exits" \
    timeout 20 ip netns exec "$rtr" "$op25bc" session follow --once "${follow_opts[@]}" \
    >> "$work/follow.out"
  check "$name: ... and ann is exempt" held_is 198.18.1.100
  check "$name: ... its position is the file's end" caught_up
  start_of ann@spinnet 192.0.2.1 Stop
  start_follower
  check "$name: a restarted follower goes on from its position" until_true 5 held_is ""
  # A long run holds op25bc's lock: the batch waits for it (60 s by default), never fails.
  flock "$work/lock" sleep 4 &
  local holder=$!
  sleep 0.3
  start_of ann@spinnet 192.0.2.1 Start "Framed-IP-Address = 198.18.1.100"
  sleep 1
  check "$name: while another run holds the lock, the record waits" held_is ""
  check "$name: ... and is in the kernel once the lock is free" until_true 10 held_is 198.18.1.100
  check "$name: ... the follower never gave up" kill -0 "$(cat "$work/follow.pid")"
  wait "$holder"
  start_of ann@spinnet 192.0.2.1 Stop
  check "$name: ann's Stop after it" until_true 5 held_is ""

  # (5) Random interleavings: records, kill -9 and rotation. The model reads
  # the records FreeRADIUS wrote since (5) began, in the order it wrote them
  # (rotated files by their step, then the file at the path), and says what
  # the session sets must hold: ann's and cid's sessions (they are exempt),
  # never dan's (he is not), each address with its last holder.
  echo '{"id": "radius-cid", "subscriber": "cid@spinnet", "reason": "own MTA"}' \
    > "$dropins/radius-cid.json"
  stop_follower
  rtr_op25bc activate "$policy" --no-syslog --backend "$name" "${opts[@]}" > /dev/null 2>&1
  local before
  before=$(stat -c '%i %s' "$detail")
  start_follower
  local step ok=1 op who host status want
  RANDOM=7
  for step in $(seq 40); do
    op=$((RANDOM % 6))
    case $op in
      0) stop_follower; start_follower ;;
      1) stop_follower
         mv "$detail" "$detail.$step" 2> /dev/null || true
         start_follower ;;
      2) mv "$detail" "$detail.$step" 2> /dev/null || true ;;
      *) who=$(echo ann cid dan | cut -d' ' -f$((RANDOM % 3 + 1)))
         host=$((100 + RANDOM % 4))
         status=$([ $((RANDOM % 3)) = 0 ] && echo Stop || echo Start)
         start_of "$who@spinnet" 192.0.2.1 "$status" "Framed-IP-Address = 198.18.1.$host" ;;
    esac
    want=$("$python" "$work/model.py" "$acct/op25bc" "$before")
    if ! until_true 10 caught_up || ! held_is "$want"; then
      echo "step $step ($op): kernel holds '$(held)', the records say '$want'"
      ok=0
      break
    fi
  done
  check "$name: 40 random steps of records, kill -9 and rotation: the kernel holds what the records say after each" test "$ok" = 1

  # (6) kill -9 mid-batch: 300 records written at once, read 7 to a batch,
  # the follower killed three times while it works. Nothing is lost, and
  # only a batch the kill cut short is read again.
  stop_follower
  : > "$work/follow.out"
  local from
  from=$(stat -c '%s' "$detail" 2> /dev/null || echo 0)
  "$python" - "$work/bulk" <<'PY'
import random, sys
random.seed(25)
with open(sys.argv[1], "w") as out:
    for i in range(300):
        who = random.choice(["ann", "cid", "dan"])
        status = "Stop" if random.random() < 0.3 else "Start"
        host = 100 + random.randrange(4)
        out.write(f'User-Name = "{who}@spinnet"\nAcct-Status-Type = {status}\n'
                  f'Acct-Session-Id = "{i}"\nNAS-IP-Address = 192.0.2.1\n'
                  f'Framed-IP-Address = 198.18.1.{host}\n\n')
PY
  ip netns exec "$rtr" radclient -q -p 1 -r 3 -t 2 -f "$work/bulk" 127.0.0.1:18121 acct testing123
  local written kills=3
  written=$("$python" -c '
import sys
print(open(sys.argv[1], "rb").read()[int(sys.argv[2]):].count(b"\tAcct-Status-Type = "))' "$detail" "$from")
  follow_opts+=(--batch 7)
  for _ in $(seq "$kills"); do
    start_follower
    sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
    stop_follower
  done
  start_follower
  check "$name: 300 records, three kills mid-batch: the follower catches up" until_true 30 caught_up
  want=$("$python" "$work/model.py" "$acct/op25bc" "$before")
  check "$name: ... and the kernel holds what the records say" held_is "$want"
  local read
  read=$("$python" -c '
import re, sys
print(sum(int(m) for m in re.findall(r"^session follow: (\d+) records?,", open(sys.argv[1]).read(), re.M)))' "$work/follow.out")
  check "$name: ... every record read ($written written), none but a cut batch twice ($read read)" \
    test "$read" -ge "$written" -a "$read" -le $((written + kills * 7))
  unset 'follow_opts[-1]' 'follow_opts[-1]'

  # (7) Visibility: the metrics count each record once, kills or not.
  rtr_op25bc metrics --backend "$name" --state "$work/state" -o "$work/metrics.prom"
  local all
  all=$(cat "$acct"/op25bc/detail* | grep -c $'^\tAcct-Status-Type = ')
  check "$name: op25bc_radius_records_total is every record written, once ($all)" \
    grep -qx "op25bc_radius_records_total $all" "$work/metrics.prom"
  check "$name: ... nothing is behind, no lag" \
    grep -qx "op25bc_radius_behind_bytes 0" "$work/metrics.prom"
  check "$name: ... the skipped records and refused events are counted (4 in (3))" \
    grep -qx "op25bc_radius_skipped_total 3" "$work/metrics.prom"
  rtr_op25bc status --backend "$name" --state "$work/state" > "$work/status.txt"
  check "$name: status shows the follower's position" \
    grep -q "^radius follower: $detail at byte [0-9]*, 0 bytes behind; $all records read, 3 skipped; last record 20" "$work/status.txt"
  rtr_op25bc status --backend "$name" --state "$work/state" --format json > "$work/status.json"
  check "$name: ... and status --format json, valid against its schema" "$python" -c '
import json, jsonschema, sys
doc = json.load(open(sys.argv[1]))
jsonschema.validate(doc, json.load(open(sys.argv[2])))
f = doc["radius_follower"]
sys.exit(not (f["records"] == int(sys.argv[3]) and f["behind_bytes"] == 0 and f["skipped"] == 3))' \
    "$work/status.json" "$root/schemas/op25bc-status.schema.json" "$all"
  if command -v promtool > /dev/null; then
    check "$name: ... and pass promtool check metrics" \
      bash -c "promtool check metrics < '$work/metrics.prom'"
  fi

  # (8) A reboot: /run is empty (no session table) and the kernel's session
  # sets empty after the boot's activate. session sync rebuilds both from the
  # detail files, the oldest first, in one transaction.
  stop_follower
  want=$("$python" "$work/model.py" "$acct/op25bc" "$before")
  rm -f "$work/sessions"
  rtr_op25bc activate "$policy" --no-syslog --backend "$name" "${opts[@]}" > /dev/null 2>&1
  check "$name: after the reboot no session is exempt" held_is ""
  local files
  files=$(cd "$acct/op25bc" && ls detail.* | sort -t. -k2 -n | sed "s|^|--radius-detail $acct/op25bc/|")
  rtr_op25bc session sync $files --radius-detail "$detail" --state "$work/state" \
    --lock "$work/lock" > "$work/sync.out" 2> "$work/sync.err"
  check "$name: session sync replays every file and says so" \
    grep -q "^session sync: $all records from [0-9]* files, .*: +[0-9]* " "$work/sync.out"
  check "$name: ... and the kernel holds what the records say ($want)" held_is "$want"
  check "$name: ... the session table too" bash -c "
    test \"\$(cut -d' ' -f2- '$work/sessions' | tail -n +2 | tr ' ' '\\n' | sort | xargs)\" = '$want'"
  rtr_op25bc session sync $files --radius-detail "$detail" --state "$work/state" \
    --lock "$work/lock" > "$work/sync.out" 2> "$work/sync.err"
  check "$name: a second sync changes nothing" grep -q ": no change$" "$work/sync.out"
  chmod g+w "$detail"
  local status=0
  rtr_op25bc session sync --radius-detail "$detail" --state "$work/state" --lock "$work/lock" \
    > /dev/null 2> "$work/sync.err" || status=$?
  check "$name: a detail file others may write is refused (exit 1, said)" bash -c "
    test $status = 1 && grep -q 'group or others may write it (mode 0620); nothing changed' '$work/sync.err'"
  check "$name: ... and nothing changed" held_is "$want"
  chmod g-w "$detail"
  stop_follower
  rm -f "$dropins/radius-cid.json"
}

scenario nftables
scenario iptables
finish
