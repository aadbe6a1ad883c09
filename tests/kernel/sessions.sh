#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Subscriber exemptions that follow the session, for real, on both backends.
#
# Topology: a router namespace with a bridge (198.18.1.1/24, in SpinNet's
# eADSL pool) where dnsmasq serves DHCP with op25bc's shipped lease hook, and
# exactly one address to lease (198.18.1.100); two subscriber namespaces
# running busybox udhcpc on veth ports of that bridge: "exempt", whose client
# id 01:52:54:00:12:90:12 has a drop-in subscriber exemption, and "other",
# who has none; a server namespace (198.51.100.7, port 25). SpinNet at now:
# every direct port-25 connection from the pools is blocked.
# (1) The exempt subscriber's lease connects to port 25; session sync
#     --dnsmasq-leases drops a kept session without a lease, and after a
#     reboot rebuilds it only for a trusted client id; (2) released, the
#     address goes to the other subscriber, whose connection is reset; the
#     next activate changes nothing (no flapping, no drift).
# (3) The hooks as their callers run them: dnsmasq's with a relay agent's
#     remote id; pppd's ip-up and ip-down with pppd's arguments and Debian's
#     PPP_* variables; a lease handed on without its release is taken back.
# (4) A withdrawn exemption (its drop-in removed) takes its live session's
#     address out of the kernel with the next activate.
# (5) 50 session events in parallel with two activates leave the kernel as
#     the live sessions and the exemptions say.
# (6) A session set someone else changed is repaired by the next event.
set -euo pipefail
op25bc=$(realpath "$1")  # the hooks run it from dnsmasq
root=$2
source "$root/tests/kernel/lib.sh"
start_kernel_test
require_tools dnsmasq busybox

pfx=op25bc-sess-$$
exempt=$pfx-a other=$pfx-b rtr=$pfx-rtr srv=$pfx-net
own_namespaces "$exempt" "$other" "$rtr" "$srv"
ip -n "$rtr" link add br0 type bridge
ip -n "$rtr" addr add 198.18.1.1/24 dev br0
ip link add s0 netns "$exempt" address 52:54:00:12:90:12 type veth peer name ra netns "$rtr"
ip link add s0 netns "$other" address 52:54:00:00:00:0b type veth peer name rb netns "$rtr"
ip link add n0 netns "$srv" type veth peer name r1 netns "$rtr"
for port in ra rb; do ip -n "$rtr" link set "$port" master br0 up; done
ip -n "$rtr" link set br0 up
ip -n "$rtr" link set r1 up
ip -n "$rtr" addr add 198.51.100.1/24 dev r1
ip netns exec "$rtr" sysctl -qw net.ipv4.ip_forward=1
for ns in "$exempt" "$other"; do ip -n "$ns" link set s0 up; done
ip -n "$srv" addr add 198.51.100.7/24 dev n0
ip -n "$srv" link set n0 up
ip -n "$srv" route add 198.18.0.0/15 via 198.51.100.1
ip netns exec "$srv" "$python" "$probe" serve 25 > "$work/serve.out" &
for _ in $(seq 50); do grep -q ready "$work/serve.out" 2> /dev/null && break; sleep 0.1; done

# The policy: SpinNet with a drop-in folder holding the shipped example
# subscriber exemption, in force now (its example dates are 2006's).
mkdir -p "$work/policy/exemptions.d"
policy=$work/policy/spinnet.json
"$python" - "$root" "$policy" <<'PY'
import json, sys
root, out = sys.argv[1:]
doc = json.load(open(root + "/examples/spinnet.json"))
doc.pop("$schema", None)
doc["exemptions_dir"] = "exemptions.d"
json.dump(doc, open(out, "w"))
x = json.load(open(root + "/examples/exemptions.d/cust-9012.json"))
x.pop("until")
json.dump(x, open(out.rsplit("/", 1)[0] + "/exemptions.d/cust-9012.json", "w"))
PY
exempt_id=01:52:54:00:12:90:12
opts=(--state "$work/state" --lock "$work/lock" --sessions "$work/sessions")
# A generous lock wait: 50 events and two activates contend for the lock in (5).
session_opts="--state $work/state --lock $work/lock --lock-wait 60"
# This network has no relay agent: the operator opts in to the client id.
echo "OP25BC_SESSION_ARGS=\"$session_opts\"" > "$work/untrusting"
{ cat "$work/untrusting"; echo OP25BC_TRUST_CLIENT_ID=yes; } > "$work/defaults"

udhcpc_script

rtr_op25bc() { ip netns exec "$rtr" "$op25bc" "$@"; }
# outcome NS: what a port-25 connection from the namespace's lease meets.
outcome() { port25_outcome "$1" 198.18.1.100; }
leased() { ip -n "$1" -4 addr show s0 | grep -q "198.18.1.100/"; }
# The session addresses the kernel holds, as its own tools list them (the oracle).
held4() { session_held "$rtr" "$backend_name" 4; }
held_is() { test "$(held4)" = "$1"; }
start_client() {
  ip netns exec "$1" busybox udhcpc -f -R -i s0 -s "$work/udhcpc.sh" -t 20 -T 1 -A 1 \
    > "$work/$1.udhcpc" 2>&1 &
  echo $! > "$work/$1.pid"
}
release_client() {
  kill -USR2 "$(cat "$work/$1.pid")"  # DHCPRELEASE
  until_true 5 bash -c "! ip -n '$1' -4 addr show s0 | grep -q 198.18.1.100/"
  kill "$(cat "$work/$1.pid")" 2> /dev/null || true
  wait "$(cat "$work/$1.pid")" 2> /dev/null || true
}
start_dnsmasq() {
  rm -f "$work/leases"
  ip netns exec "$rtr" env OP25BC="$op25bc" OP25BC_DEFAULTS="$work/defaults" \
    dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --port=0 \
    --interface=br0 --bind-interfaces --dhcp-authoritative \
    --dhcp-range=198.18.1.100,198.18.1.100,255.255.255.0,2m --dhcp-option=3,198.18.1.1 \
    --dhcp-leasefile="$work/leases" --dhcp-script="$root/hooks/dnsmasq-lease" \
    --user=root --group=root --log-facility="$work/dnsmasq.log" --log-dhcp &
  echo $! > "$work/dnsmasq.pid"
  until_true 5 grep -qs "DHCP, IP range" "$work/dnsmasq.log"
}
stop_dnsmasq() {
  kill "$(cat "$work/dnsmasq.pid")" 2> /dev/null || true
  wait "$(cat "$work/dnsmasq.pid")" 2> /dev/null || true
}

scenario() {
  backend_name=$1
  local name=$1 backend=(--backend "$1")
  reset_router
  rm -rf "$work/sessions" "$work/lock"
  rtr_op25bc activate "$policy" --no-syslog "${backend[@]}" "${opts[@]}" > /dev/null 2>&1
  check "$name: activate leaves the index of subscriber exemptions beside the state" \
    grep -q "^exemption $exempt_id cust-9012 " "$work/state.subscribers"
  start_dnsmasq

  # (1)
  start_client "$exempt"
  check "$name: the exempt subscriber gets the lease" until_true 20 leased "$exempt"
  check "$name: dnsmasq's hook puts its address in the session set" until_true 10 held_is 198.18.1.100
  check "$name: the exempt subscriber's lease connects to port 25" \
    test "$(outcome "$exempt")" = connected
  check "$name: session list names it, exempt by cust-9012" bash -c "
    '$op25bc' session list ${backend[*]} --state '$work/state' | grep -q '\"$exempt_id\"  198.18.1.100  exempt by cust-9012'"
  # session sync from dnsmasq's own lease file: a kept session whose lease is
  # gone is dropped; after a reboot (an empty table) only a trusted client
  # id names the lease's subscriber.
  local sync=(session sync --dnsmasq-leases "$work/leases" --state "$work/state" --lock "$work/lock")
  rtr_op25bc session up --subscriber "$exempt_id" --address 198.18.1.55 "${backend[@]}" \
    --state "$work/state" --lock "$work/lock" > /dev/null
  check "$name: a session without a lease is held before the sync" held_is "198.18.1.100 198.18.1.55"
  rtr_op25bc "${sync[@]}" > "$work/sync.out"
  check "$name: sync --dnsmasq-leases keeps the leased address and drops the other" \
    held_is 198.18.1.100
  rm -f "$work/sessions"
  rtr_op25bc activate "$policy" --no-syslog "${backend[@]}" "${opts[@]}" > /dev/null 2>&1
  check "$name: after a reboot the session set is empty" held_is ""
  rtr_op25bc "${sync[@]}" > /dev/null 2> "$work/sync.err"
  check "$name: ... sync without trusted client ids names no one: dnsmasq kept no relay ids" \
    grep -q "1 lease no kept session holds: dnsmasq keeps no relay ids" "$work/sync.err"
  check "$name: ... and exempts nothing" held_is ""
  rtr_op25bc "${sync[@]}" --trust-client-id > /dev/null
  check "$name: with trusted client ids it rebuilds the exempt subscriber's session" \
    held_is 198.18.1.100

  # (2)
  release_client "$exempt"
  check "$name: released, the address leaves the session set" until_true 10 held_is ""
  start_client "$other"
  check "$name: the same address is leased to the other subscriber" until_true 20 leased "$other"
  sleep 0.5  # its hook: a lookup, nothing to change
  check "$name: the other subscriber's connection from it is reset" \
    test "$(outcome "$other")" = reset
  check "$name: the session set stays empty" held_is ""
  check "$name: the next activate changes nothing" bash -c "
    ip netns exec '$rtr' '$op25bc' activate '$policy' --no-syslog ${backend[*]} ${opts[*]} 2>&1 | grep -q 'no change'"
  release_client "$other"
  stop_dnsmasq

  # (3) The hooks, called exactly as their callers call them.
  check "$name: dnsmasq's hook takes the relay agent's remote id as the subscriber" bash -c "
    DNSMASQ_REMOTE_ID=$exempt_id DNSMASQ_CLIENT_ID=01:aa:bb:cc:dd:ee:ff OP25BC='$op25bc' \
      OP25BC_DEFAULTS='$work/defaults' ip netns exec '$rtr' '$root/hooks/dnsmasq-lease' \
      add aa:bb:cc:dd:ee:ff 198.18.1.77 > /dev/null"
  check "$name: ... and its address is exempt" held_is 198.18.1.77
  check "$name: without the operator's opt-in, an exempt customer's client id is not trusted" bash -c "
    DNSMASQ_CLIENT_ID=$exempt_id OP25BC='$op25bc' OP25BC_DEFAULTS='$work/untrusting' \
      ip netns exec '$rtr' '$root/hooks/dnsmasq-lease' add 52:54:00:12:90:12 198.18.1.78 \
      > /dev/null 2> '$work/forged.err'
    grep -q 'no relay agent remote id or circuit id; not recorded' '$work/forged.err'"
  check "$name: ... and the forged lease's address is not exempt" held_is 198.18.1.77
  check "$name: dnsmasq's hook takes the circuit id when there is no remote id" bash -c "
    DNSMASQ_CIRCUIT_ID=$exempt_id DNSMASQ_CLIENT_ID=01:aa:bb:cc:dd:ee:ff OP25BC='$op25bc' \
      OP25BC_DEFAULTS='$work/untrusting' ip netns exec '$rtr' '$root/hooks/dnsmasq-lease' \
      old aa:bb:cc:dd:ee:ff 198.18.1.77 > /dev/null"
  check "$name: a lease handed on without its release is taken back" bash -c "
    DNSMASQ_CLIENT_ID=01:52:54:00:00:00:0b OP25BC='$op25bc' OP25BC_DEFAULTS='$work/defaults' \
      ip netns exec '$rtr' '$root/hooks/dnsmasq-lease' old 52:54:00:00:00:0b 198.18.1.77 \
      > /dev/null 2> '$work/handover.err'
    grep -q 'was still held by that subscriber; taken back' '$work/handover.err'"
  check "$name: ... and is no longer exempt" held_is ""
  # pppd runs /etc/ppp/ip-up IFACE TTY SPEED LOCAL REMOTE IPPARAM with PEERNAME set.
  echo '{"id": "ppp-ann", "subscriber": "ann@spinnet", "reason": "own MTA"}' \
    > "$work/policy/exemptions.d/ppp-ann.json"
  rtr_op25bc activate "$policy" --no-syslog "${backend[@]}" "${opts[@]}" > /dev/null 2>&1
  check "$name: pppd's ip-up hook (pppd's arguments) exempts the peer's remote address" bash -c "
    PEERNAME=ann@spinnet OP25BC='$op25bc' OP25BC_DEFAULTS='$work/defaults' ip netns exec '$rtr' \
      '$root/hooks/ppp-ip-up' ppp0 /dev/ttyS0 115200 198.18.0.1 198.18.2.7 '' > /dev/null"
  check "$name: ... 198.18.2.7 is in the session set" held_is 198.18.2.7
  check "$name: pppd's ip-down hook (Debian's PPP_* variables) withdraws it" bash -c "
    PEERNAME=ann@spinnet PPP_IFACE=ppp0 PPP_TTY=/dev/ttyS0 PPP_SPEED=115200 PPP_LOCAL=198.18.0.1 \
      PPP_REMOTE=198.18.2.7 PPP_IPPARAM= OP25BC='$op25bc' OP25BC_DEFAULTS='$work/defaults' \
      ip netns exec '$rtr' '$root/hooks/ppp-ip-down' > /dev/null
    test -z \"\$($(declare -f held4 session_held); backend_name=$backend_name rtr=$rtr python=$python held4)\""

  # (4) A withdrawn exemption takes its live session's address with it.
  rtr_op25bc session up --subscriber ann@spinnet --address 198.18.2.8 $session_opts > /dev/null
  check "$name: a session of ann is exempt" held_is 198.18.2.8
  rm "$work/policy/exemptions.d/ppp-ann.json"
  rtr_op25bc activate "$policy" --no-syslog "${backend[@]}" "${opts[@]}" > /dev/null 2>&1
  check "$name: her exemption withdrawn, activate takes her address out" held_is ""
  check "$name: ... and the session table forgets her" bash -c "
    ! grep -q ann '$work/sessions'"

  # (5) 50 events in parallel with two activates: 25 exempt subscribers come
  # up (10 of them go down again), 25 without an exemption come up.
  "$python" - "$work/policy/exemptions.d" <<'PY'
import json, sys
for i in range(25):
    json.dump({"id": f"load-{i}", "subscriber": f"load-{i}", "reason": "parallel"},
              open(f"{sys.argv[1]}/load-{i}.json", "w"))
PY
  rtr_op25bc activate "$policy" --no-syslog "${backend[@]}" "${opts[@]}" > /dev/null 2>&1
  local pids=() i
  for i in $(seq 0 49); do
    (
      if [ "$i" -lt 25 ]; then
        ip netns exec "$rtr" "$op25bc" session up --subscriber "load-$i" \
          --address "198.18.2.$((100 + i))" $session_opts > /dev/null
        if [ "$i" -lt 10 ]; then
          ip netns exec "$rtr" "$op25bc" session down --subscriber "load-$i" $session_opts > /dev/null
        fi
      else
        ip netns exec "$rtr" "$op25bc" session up --subscriber "walk-$i" \
          --address "198.18.2.$((100 + i))" $session_opts > /dev/null
      fi
    ) > "$work/event-$i.out" 2>&1 &
    pids+=($!)
    if [ "$i" -eq 10 ] || [ "$i" -eq 30 ]; then
      rtr_op25bc activate "$policy" --no-syslog "${backend[@]}" "${opts[@]}" \
        > "$work/activate-$i.out" 2>&1 &
      pids+=($!)
    fi
  done
  local failures=0
  for p in "${pids[@]}"; do wait "$p" || failures=$((failures + 1)); done
  check "$name: 50 parallel events and two activates all succeed" test "$failures" -eq 0
  local want
  want=$(for i in $(seq 10 24); do echo "198.18.2.$((100 + i))"; done | sort | tr '\n' ' ')
  check "$name: the kernel holds exactly the live exempt sessions' addresses" \
    test "$(held4) " = "$want"
  check "$name: diff agrees: in sync" bash -c "
    ip netns exec '$rtr' '$op25bc' diff '$policy' ${backend[*]} ${opts[*]} > /dev/null 2>&1"
  check "$name: metrics count the live sessions" bash -c "
    ip netns exec '$rtr' '$op25bc' metrics ${backend[*]} --state '$work/state' > '$work/metrics.prom' 2>/dev/null
    grep -qx 'op25bc_live_sessions{exempt=\"true\"} 15' '$work/metrics.prom'
    grep -qx 'op25bc_live_session_addresses 15' '$work/metrics.prom'
    promtool check metrics < '$work/metrics.prom' > /dev/null"

  # (6) Someone else changes the session set (emptied, a foreign address
  # added): the next event's read-back sees it and makes the set what the
  # live sessions say, on both backends.
  if [ "$backend_name" = nftables ]; then
    ip netns exec "$rtr" nft flush set inet op25b session4
    ip netns exec "$rtr" nft add element inet op25b session4 '{ 198.18.2.99 }'
  else
    local set4
    set4=$(ip netns exec "$rtr" ipset list -n | grep '^op25b-session4\.')
    ip netns exec "$rtr" ipset flush "$set4"
    ip netns exec "$rtr" ipset add "$set4" 198.18.2.99
  fi
  check "$name: a session event after someone changed the set succeeds" bash -c "
    ip netns exec '$rtr' '$op25bc' session up --subscriber load-3 --address 198.18.2.103 \
      $session_opts > /dev/null"
  want=$(for i in 3 $(seq 10 24); do echo "198.18.2.$((100 + i))"; done | sort | tr '\n' ' ')
  check "$name: ... and the set holds exactly the live exempt sessions' addresses again" \
    test "$(held4) " = "$want"
  check "$name: ... which diff confirms" bash -c "
    ip netns exec '$rtr' '$op25bc' diff '$policy' ${backend[*]} ${opts[*]} > /dev/null 2>&1"
  rm -f "$work"/policy/exemptions.d/load-*.json
}

scenario nftables
scenario iptables
finish
