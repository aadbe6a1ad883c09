#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# DHCP leases as a session source through Kea, for real, on both backends:
# Kea's DHCPv4 and DHCPv6 servers with the run_script hook library calling
# op25bc's shipped hook (hooks/kea-lease), ISC's relay agent (dhcrelay)
# adding what the network asserts, and real clients (busybox udhcpc,
# dhclient -6 with prefix delegation).
#
# Topology: a router namespace (the BNG: op25bc's table, SpinNet at now, its
# eADSL pool delegating /56s) relaying DHCP from two subscriber ports,
# port-ann (198.18.1.0/25, 2001:db8:100:1::/64) and port-bob
# (198.18.1.128/25), to a server namespace holding Kea (198.51.100.2,
# 2001:db8:ff::2) and the remote MTA (198.51.100.7, port 25). dhcrelay -a -m
# replace puts the port's name in option 82's circuit id; the DHCPv6 relay
# adds a subscriber id (option 38). ann has subscriber exemptions (for
# port-ann and ann-v6); bob has none.
# (1) ann's DHCPv4 lease puts her address in the session set, and her TCP/25
#     connects; bob's lease is not exempt, his is reset. (2) A renewal
#     changes nothing in the kernel (nft monitor sees no element). (3) A
#     release takes her address out: TCP/25 from it is reset. (4) A client's
#     own option 82 naming port-ann is replaced by the relay: bob stays
#     blocked. (5) An expired lease (the client gone without a release)
#     leaves when Kea reclaims it. (6) DHCPv6: her IA_NA address and her
#     delegated /56 follow the lease (relay ids from Kea's lease file), and
#     leave together on release. (7) After a reboot (no session table),
#     session sync --kea-leases rebuilds the table and the kernel from Kea's
#     lease files; a lease file others may write is refused. (8) op25bc run
#     without a PATH, as Kea runs its scripts, still reaches the kernel.
set -euo pipefail
op25bc=$(realpath "$1")
root=$2
source "$root/tests/kernel/lib.sh"
start_kernel_test
require_tools kea-dhcp4 kea-dhcp6 dhcrelay dhclient busybox

hooklib=
for dir in /usr/lib/x86_64-linux-gnu/kea/hooks /usr/lib/*/kea/hooks /usr/lib/kea/hooks; do
  if [ -f "$dir/libdhcp_run_script.so" ]; then hooklib=$dir/libdhcp_run_script.so; break; fi
done
if [ -z "$hooklib" ]; then
  echo "SKIP: Kea's libdhcp_run_script.so is not installed"
  [ "${CI:-}" = "true" ] && exit 1
  exit 77
fi

pfx=op25bc-kea-$$
rtr=$pfx-rtr ann=$pfx-ann bob=$pfx-bob srv=$pfx-srv
own_namespaces "$rtr" "$ann" "$bob" "$srv"
for ns in "$rtr" "$ann" "$bob" "$srv"; do
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip link add s0 netns "$ann" type veth peer name port-ann netns "$rtr"
ip link add s0 netns "$bob" type veth peer name port-bob netns "$rtr"
ip link add n0 netns "$srv" type veth peer name up0 netns "$rtr"
ip -n "$rtr" addr add 198.18.1.1/25 dev port-ann
ip -n "$rtr" addr add 2001:db8:100:1::1/64 dev port-ann nodad
ip -n "$rtr" addr add 198.18.1.129/25 dev port-bob
ip -n "$rtr" addr add 198.51.100.1/24 dev up0
ip -n "$rtr" addr add 2001:db8:ff::1/64 dev up0 nodad
ip -n "$srv" addr add 198.51.100.2/24 dev n0
ip -n "$srv" addr add 198.51.100.7/24 dev n0
ip -n "$srv" addr add 2001:db8:ff::2/64 dev n0 nodad
for link in "$rtr port-ann" "$rtr port-bob" "$rtr up0" "$ann s0" "$bob s0" "$srv n0"; do
  set -- $link
  ip -n "$1" link set "$2" up
done
ip -n "$srv" route add 198.18.0.0/15 via 198.51.100.1
ip -n "$srv" -6 route add 2001:db8:100::/40 via 2001:db8:ff::1
ip netns exec "$rtr" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
ip netns exec "$srv" "$python" "$probe" serve 25 > "$work/serve.out" &
until_true 5 grep -qs ready "$work/serve.out"

# SpinNet with ann's subscriber exemptions, its eADSL pool delegating /56s.
spinnet_with_dropins
delegating eadsl-dynamic 56
echo '{"id": "kea-ann", "subscriber": "port-ann", "reason": "own MTA"}' > "$dropins/kea-ann.json"
echo '{"id": "kea-ann-v6", "subscriber": "ann-v6", "reason": "own MTA"}' > "$dropins/kea-ann-v6.json"
opts=(--state "$work/state" --lock "$work/lock" --sessions "$work/sessions")

# The hook as Kea runs it, with op25bc in the router's namespace (the BNG);
# its defaults name the state and Kea's DHCPv6 lease file.
kea=$work/kea
mkdir -p "$kea"
chmod 0711 "$work"
cat > "$work/op25bc-in-router" <<EOF
#!/bin/sh
echo "\$(date +%s.%N) \$*" >> "$work/hook.calls"
exec ip netns exec "$rtr" "$op25bc" "\$@" >> "$work/hook.out" 2>> "$work/hook.err"
EOF
chmod +x "$work/op25bc-in-router"
cat > "$work/defaults" <<EOF
OP25BC_SESSION_ARGS="--state $work/state --lock $work/lock --lock-wait 30"
OP25BC_KEA_ARGS="--lease-file $kea/leases6.csv"
EOF
cat > "$work/hook" <<EOF
#!/bin/sh
OP25BC="$work/op25bc-in-router" OP25BC_DEFAULTS="$work/defaults" exec "$root/hooks/kea-lease" "\$@"
EOF
chmod +x "$work/hook"

# Kea: short lifetimes, and expired leases reclaimed every second.
common='"valid-lifetime": 30, "renew-timer": 1000, "rebind-timer": 2000,
  "store-extended-info": true,
  "expired-leases-processing": {"reclaim-timer-wait-time": 1, "hold-reclaimed-time": 0,
    "flush-reclaimed-timer-wait-time": 0},
  "hooks-libraries": [{"library": "'$hooklib'", "parameters": {"name": "'$work/hook'", "sync": false}}],'
cat > "$kea/kea4.json" <<EOF
{"Dhcp4": { $common
  "interfaces-config": {"interfaces": ["n0/198.51.100.2"], "dhcp-socket-type": "udp"},
  "lease-database": {"type": "memfile", "name": "$kea/leases4.csv", "lfc-interval": 0},
  "subnet4": [
    {"id": 1, "subnet": "198.18.1.0/25", "pools": [{"pool": "198.18.1.100 - 198.18.1.110"}],
     "relay": {"ip-addresses": ["198.18.1.1"]}, "option-data": [{"name": "routers", "data": "198.18.1.1"}]},
    {"id": 2, "subnet": "198.18.1.128/25", "pools": [{"pool": "198.18.1.200 - 198.18.1.210"}],
     "relay": {"ip-addresses": ["198.18.1.129"]}, "option-data": [{"name": "routers", "data": "198.18.1.129"}]}],
  "loggers": [{"name": "kea-dhcp4", "output_options": [{"output": "$kea/kea4.log"}], "severity": "INFO"}]
}}
EOF
cat > "$kea/kea6.json" <<EOF
{"Dhcp6": { $common "preferred-lifetime": 20, "data-directory": "$kea",
  "interfaces-config": {"interfaces": ["n0/2001:db8:ff::2"]},
  "lease-database": {"type": "memfile", "name": "$kea/leases6.csv", "lfc-interval": 0},
  "subnet6": [
    {"id": 1, "subnet": "2001:db8:100:1::/64", "pools": [{"pool": "2001:db8:100:1::100 - 2001:db8:100:1::1ff"}],
     "pd-pools": [{"prefix": "2001:db8:101::", "prefix-len": 48, "delegated-len": 56}],
     "relay": {"ip-addresses": ["2001:db8:100:1::1"]}}],
  "loggers": [{"name": "kea-dhcp6", "output_options": [{"output": "$kea/kea6.log"}], "severity": "INFO"}]
}}
EOF
for v in 4 6; do
  KEA_PIDFILE_DIR=$kea KEA_LOCKFILE_DIR=$kea ip netns exec "$srv" "kea-dhcp$v" -c "$kea/kea$v.json" \
    > "$kea/kea$v.out" 2>&1 &
done
until_true 10 grep -qs DHCP4_STARTED "$kea/kea4.log"
until_true 10 grep -qs DHCP6_STARTED "$kea/kea6.log"
# The relay agents: the DHCPv4 one puts the port's name in option 82 (its
# circuit id) and replaces any option 82 a client sent; the DHCPv6 one on
# port-ann adds subscriber id ann-v6.
ip netns exec "$rtr" dhcrelay -4 -a -m replace -pf "$work/relay4.pid" -id port-ann -id port-bob \
  -iu up0 198.51.100.2 > "$work/relay4.out" 2>&1
ip netns exec "$rtr" dhcrelay -6 -I -s ann-v6 -pf "$work/relay6.pid" -l port-ann \
  -u 2001:db8:ff::2%up0 > "$work/relay6.out" 2>&1

udhcpc_script
# start_client NS [UDHCPC-OPTIONS...]: a DHCPv4 client that releases on exit.
start_client() {
  local ns=$1
  shift
  ip netns exec "$ns" busybox udhcpc -f -R -i s0 -t 10 -T 1 -s "$work/udhcpc.sh" "$@" \
    > "$work/$ns.udhcpc" 2>&1 &
  echo $! > "$work/$ns.pid"
}
address_of() { ip -n "$1" -4 -o addr show s0 scope global | awk '{print $4}' | cut -d/ -f1; }
has_address() { [ -n "$(address_of "$1")" ]; }
stop_client() {  # stop_client NS [SIGNAL]: TERM releases, KILL leaves the lease behind
  kill -"${2:-TERM}" "$(cat "$work/$1.pid")" 2> /dev/null || true
  wait "$(cat "$work/$1.pid")" 2> /dev/null || true
}

rtr_op25bc() { ip netns exec "$rtr" "$op25bc" "$@"; }
held() { session_held "$rtr" "$backend_name" 4; }
held6() { session_held "$rtr" "$backend_name" 6; }
held_is() { test "$(held)" = "$1"; }
held6_is() { test "$(held6)" = "$1"; }
held6_count_is() { test "$(held6 | wc -w)" = "$1"; }
outcome() { port25_outcome "$1" "$2"; }
hook_said() { grep -q -- "$1" "$work/hook.out" "$work/hook.err" 2> /dev/null; }

scenario() {
  backend_name=$1
  local name=$1
  reset_router
  rm -rf "$work/sessions" "$work/hook."*
  rtr_op25bc activate "$policy" --no-syslog --backend "$name" "${opts[@]}" > "$work/activate.out" 2>&1

  # (1)
  start_client "$ann"
  check "$name: ann gets a DHCPv4 lease through the relay" until_true 10 has_address "$ann"
  local a
  a=$(address_of "$ann")
  check "$name: ... and her address is in the session set" until_true 5 held_is "$a"
  check "$name: ann's TCP/25 connects while her lease lives" test "$(outcome "$ann" "$a")" = connected
  start_client "$bob"
  check "$name: bob gets a lease" until_true 10 has_address "$bob"
  local b
  b=$(address_of "$bob")
  check "$name: ... which is not exempt" until_true 5 hook_said "up .port-bob. $b: not exempt"
  check "$name: ... the session set holds ann's only" held_is "$a"
  check "$name: bob's TCP/25 is reset" test "$(outcome "$bob" "$b")" = reset

  # (2)
  if [ "$name" = nftables ]; then
    ip netns exec "$rtr" nft monitor > "$work/monitor.out" 2>&1 &
    local monitor=$!
    sleep 0.3
  fi
  kill -USR1 "$(cat "$work/$ann.pid")"  # renew
  check "$name: the renewal reaches the hook" until_true 10 \
    bash -c "[ \$(grep -c leases4_committed '$work/hook.calls') -gt $(grep -c leases4_committed "$work/hook.calls") ]"
  # A renewal goes straight to the server, through no relay agent: it names
  # no subscriber, and the session stays as it is.
  check "$name: ... which leaves her session as it is" until_true 5 \
    hook_said "leases4_committed: 1 lease, 0 session events"
  if [ "$name" = nftables ]; then
    sleep 0.5
    kill "$monitor"
    wait "$monitor" 2> /dev/null || true
    check "$name: ... and nft monitor saw no element change" bash -c "! grep -q element '$work/monitor.out'"
  fi
  check "$name: ... her address still exempt" held_is "$a"

  # (3)
  stop_client "$ann"
  check "$name: a release takes her address out" until_true 5 held_is ""
  ip -n "$ann" addr add "$a/25" dev s0
  ip -n "$ann" route replace default via 198.18.1.1
  check "$name: ... and TCP/25 from it is reset" test "$(outcome "$ann" "$a")" = reset
  ip -n "$ann" addr flush dev s0 scope global

  # (4)
  stop_client "$bob"
  # option 82 naming port-ann (circuit id, sub-option 1), sent by bob himself
  start_client "$bob" -x 0x52:0108706f72742d616e6e
  check "$name: bob with his own option 82 gets a lease" until_true 10 has_address "$bob"
  b=$(address_of "$bob")
  check "$name: ... the relay replaced it: the hook names port-bob" until_true 5 \
    hook_said "up .port-bob. $b: not exempt"
  check "$name: ... his address is not exempt" held_is ""
  check "$name: ... his TCP/25 is reset" test "$(outcome "$bob" "$b")" = reset
  stop_client "$bob"

  # (5)
  start_client "$ann"
  check "$name: ann's lease again" until_true 10 has_address "$ann"
  a=$(address_of "$ann")
  check "$name: ... exempt again" until_true 5 held_is "$a"
  stop_client "$ann" KILL  # gone without a release
  check "$name: her lease expires and Kea's reclamation takes it out" until_true 45 held_is ""
  ip -n "$ann" addr flush dev s0 scope global

  # (6)
  local dh=(-6 -N -P -sf /bin/true -lf "$work/dhclient6.leases" -pf "$work/dhclient6.pid")
  ip netns exec "$ann" dhclient "${dh[@]}" -1 s0 > "$work/dhclient6.out" 2>&1
  local na pd
  na=$(awk -F, '$7 == 0 && $3 > 0 {a = $1} END {print a}' "$kea/leases6.csv")
  pd=$(awk -F, '$7 == 2 && $3 > 0 {a = $1 "/" $9} END {print a}' "$kea/leases6.csv")
  check "$name: dhclient -6 gets an address and a delegated prefix" test -n "$na" -a -n "$pd"
  check "$name: ... both in the IPv6 session set (ann-v6 from the lease file's relay ids)" \
    until_true 5 held6_is "$(printf '%s\n' "$na" "$pd" | sort | tr '\n' ' ' | sed 's/ $//')"
  # The hook as sudo runs it (the variables as arguments), on a lease file
  # where the lease's line is followed by 400 KiB of others' leases: its
  # last line is still found; a commit that names another DUID is not ann's.
  local duid padded=$kea/padded/leases6.csv
  duid=$(awk -F, -v a="$na" '$1 == a {d = $2} END {print d}' "$kea/leases6.csv")
  mkdir -p "$kea/padded"
  "$python" - "$kea/leases6.csv" "$padded" <<'PY'
import sys
lines = open(sys.argv[1]).read()
pad = "".join("2001:db8:100:2::%x,00:03:%02x,30,9999999999,1,20,0,%d,128,0,0,,,0,,1,2\n" % (i, i % 256, i)
              for i in range(6000))
open(sys.argv[2], "w").write(lines + pad)
PY
  local kea_args=(session kea leases6_committed --lease-file "$padded" --state "$work/state"
    --lock "$work/lock" -- LEASES6_SIZE=1 "LEASES6_AT0_ADDRESS=$na" LEASES6_AT0_PREFIX_LEN=128)
  rtr_op25bc "${kea_args[@]}" "LEASES6_AT0_DUID=$duid" > "$work/kea-args.out" 2>&1
  check "$name: session kea with NAME=VALUE arguments finds the lease 400 KiB from the end" \
    grep -q "up \"ann-v6\" $na: exempt by exemption kea-ann-v6" "$work/kea-args.out"
  rtr_op25bc "${kea_args[@]}" LEASES6_AT0_DUID=00:03:00 > "$work/kea-forged.out" 2>&1
  check "$name: ... and a commit for another DUID is not ann's" \
    grep -q "is another client's, or a deleted lease; not recorded" "$work/kea-forged.out"
  check "$name: ... nor anyone's" grep -q "leases6_committed: 1 lease, 0 session events" \
    "$work/kea-forged.out"
  ip netns exec "$ann" dhclient "${dh[@]}" -r s0 > /dev/null 2>&1
  check "$name: a DHCPv6 release takes both out together" until_true 5 held6_is ""

  # (7)
  start_client "$ann"
  check "$name: ann's lease once more" until_true 10 has_address "$ann"
  a=$(address_of "$ann")
  ip netns exec "$ann" dhclient "${dh[@]}" -1 s0 > /dev/null 2>&1
  check "$name: ... exempt in both families" until_true 5 held_is "$a"
  check "$name: ... (IPv6)" until_true 5 held6_count_is 2
  rm -f "$work/sessions"  # the reboot: /run is empty
  rtr_op25bc activate "$policy" --no-syslog --backend "$name" "${opts[@]}" > /dev/null 2>&1
  check "$name: after the reboot the session sets are empty" held_is ""
  rtr_op25bc session sync --kea-leases "$kea/leases4.csv" --kea-leases "$kea/leases6.csv" \
    --state "$work/state" --lock "$work/lock" > "$work/sync.out" 2> "$work/sync.err"
  check "$name: session sync --kea-leases rebuilds her IPv4 session" held_is "$a"
  check "$name: ... and her IPv6 ones" held6_count_is 2
  check "$name: ... and says what it read" grep -q "^session sync: [0-9]* leases, 2 session events; " "$work/sync.out"
  chmod g+w "$kea/leases4.csv"
  if rtr_op25bc session sync --kea-leases "$kea/leases4.csv" --state "$work/state" \
    --lock "$work/lock" > /dev/null 2> "$work/sync.err"; then
    check "$name: a lease file others may write is refused" false
  else
    check "$name: a lease file others may write is refused" grep -q "leases4.csv: .*; nothing changed" "$work/sync.err"
  fi
  chmod g-w "$kea/leases4.csv"
  check "$name: ... and nothing changed" held_is "$a"
  ip netns exec "$ann" dhclient "${dh[@]}" -r s0 > /dev/null 2>&1
  stop_client "$ann"
  check "$name: all released, nothing is held" until_true 5 held_is ""

  # (8) Kea runs its scripts with no PATH; op25bc finds nft, iptables and
  # ipset itself.
  local ip_tool
  ip_tool=$(command -v ip)
  env -i "$ip_tool" netns exec "$rtr" "$op25bc" session up --subscriber port-ann \
    --address 198.18.1.99 --state "$work/state" --lock "$work/lock" > /dev/null
  check "$name: op25bc run without a PATH changes the kernel" held_is 198.18.1.99
  env -i "$ip_tool" netns exec "$rtr" "$op25bc" session down --subscriber port-ann \
    --state "$work/state" --lock "$work/lock" > /dev/null
  check "$name: ... both ways" held_is ""
}

scenario nftables
scenario iptables
finish
