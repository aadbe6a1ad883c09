# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the kernel test scripts (sourced, not run).

# Kernel tests need root and network namespaces. Without them they skip (77),
# except under CI=true, where a skip is a failure.
require_root_or_skip() {
  if [ "$(id -u)" -eq 0 ] && unshare -n true 2>/dev/null; then return 0; fi
  if [ "${CI:-}" = "true" ]; then
    echo "FAIL: kernel tests need root and network namespaces, and CI must run them"
    exit 1
  fi
  echo "SKIP: kernel tests need root (network namespaces)"
  exit 77
}

# Debian's interpreter (the tests use only its standard library), and the TCP helper.
python=/usr/bin/python3
[ -x "$python" ] || python=python3
probe=$(dirname "${BASH_SOURCE[0]}")/tcp_probe.py

# Every kernel test starts here: skip unless root, a private work folder, and a
# cleanup that also takes down the namespace topology if one was built.
start_kernel_test() {
  require_root_or_skip
  work=$(mktemp -d)
  trap cleanup_kernel_test EXIT
}
cleanup_kernel_test() {
  if [ -n "${sub:-}" ]; then topology_down; fi
  rm -rf "$work"
}

passed=0
failed=0
# check WHAT COMMAND...: counts the result, names a failure.
check() {
  local what=$1
  shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}

# cut_into_blocks POLICY: writes $work/<name>-sharded.json, the policy with
# max_set_intervals 1, so every source set of more than one interval is cut
# into blocks behind the dispatch maps.
cut_into_blocks() {
  "$python" - "$1" "$work/$(basename "$1" .json)-sharded.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc.setdefault("enforcement", {})["max_set_intervals"] = 1
json.dump(doc, open(sys.argv[2], "w"))
PY
}

# spinnet_with_dropins [KEY=JSON...]: $policy, SpinNet under $work/policy with
# an empty drop-in folder $dropins (exemptions_dir); each KEY=JSON replaces a
# top-level key (exemptions=[] leaves out the inline exemption).
spinnet_with_dropins() {
  mkdir -p "$work/policy/exemptions.d"
  policy=$work/policy/spinnet.json
  dropins=$work/policy/exemptions.d
  "$python" - "$root/examples/spinnet.json" "$policy" "$@" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc.pop("$schema", None)
doc["exemptions_dir"] = "exemptions.d"
for change in sys.argv[3:]:
    key, value = change.split("=", 1)
    doc[key] = json.loads(value)
json.dump(doc, open(sys.argv[2], "w"))
PY
}

# delegating POOL LENGTH: the pool POOL of $policy delegates IPv6 prefixes
# of LENGTH (delegated_length).
delegating() {
  "$python" - "$policy" "$1" "$2" <<'PY'
import json, sys
path, pool_id, length = sys.argv[1], sys.argv[2], int(sys.argv[3])
doc = json.load(open(path))
for pool in doc["pools"]:
    if pool["id"] == pool_id:
        pool["delegated_length"] = length
json.dump(doc, open(path, "w"))
PY
}

# udhcpc_script: $work/udhcpc.sh, a busybox udhcpc script that configures
# the interface from the lease (its address and default route), nothing else.
udhcpc_script() {
  cat > "$work/udhcpc.sh" <<'EOF'
#!/bin/sh
case $1 in
  deconfig) ip addr flush dev "$interface" scope global ;;
  bound | renew)
    ip addr flush dev "$interface" scope global
    ip addr add "$ip/${mask:-24}" dev "$interface"
    ip route replace default via "${router%% *}" dev "$interface" ;;
esac
EOF
  chmod +x "$work/udhcpc.sh"
}

# require_tools TOOL...: skips (77) unless each is installed; under CI=true a
# missing tool fails.
require_tools() {
  local tool
  for tool in "$@"; do
    if ! command -v "$tool" > /dev/null; then
      echo "SKIP: $tool is not installed (scripts/install-deps.sh installs it)"
      [ "${CI:-}" = "true" ] && exit 1
      exit 77
    fi
  done
}

# own_namespaces NAME...: the script's own namespaces, each with lo up, and a
# cleanup at exit that kills what runs in them, deletes them and the work
# folder (instead of lib.sh's $sub topology).
own_namespaces() {
  namespaces="$*"
  trap own_namespaces_down EXIT
  local ns
  for ns in $namespaces; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
  done
}
own_namespaces_down() {
  local ns
  for ns in $namespaces; do ip netns pids "$ns" 2> /dev/null | xargs -r kill -9 2> /dev/null || true; done
  sleep 0.2
  for ns in $namespaces; do ip netns del "$ns" 2> /dev/null || true; done
  rm -rf "$work"
}

# until_true SECONDS COMMAND...: polls (every 50 ms) until the command succeeds.
until_true() {
  local tries=$(($1 * 20))
  shift
  for _ in $(seq "$tries"); do "$@" && return 0; sleep 0.05; done
  return 1
}

# port25_outcome NS SRC: what a TCP connection from SRC in NS to 198.51.100.7
# port 25 meets: connected, reset or timeout (tcp_probe.py).
port25_outcome() {
  echo "[{\"src\": \"$2\", \"dst\": \"198.51.100.7\", \"port\": 25}]" > "$work/case.json"
  ip netns exec "$1" "$python" "$probe" probe "$work/case.json" |
    "$python" -c 'import json,sys; print(json.load(sys.stdin)[0]["outcome"])'
}

# Runs a script in a fresh network namespace; it vanishes when the script ends.
in_netns() { unshare -n bash -euo pipefail -c "$1"; }

# The closing line ctest and CI read; the exit status follows it.
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

# Three namespaces joined by veth pairs, documentation and benchmark addresses
# only, no default route on the router: $sub holds subscribers in the example
# policies' pools, $rtr forwards, $net holds the servers (198.51.100.7 is the
# remote MTA; 192.0.2.25-26 smarthosts; 203.0.113.9 a mobile carrier's MX).
SUBSCRIBERS4="198.18.17.5 198.18.3.4 198.18.3.5 198.18.64.10 198.18.1.5 198.18.1.42 198.18.33.1 198.18.65.1 198.18.81.1 198.18.96.5"
SUBSCRIBERS6="2001:db8:200::5 2001:db8:400::5 2001:db8:1000::5 2001:db8:1000:42::1 2001:db8:2000::5"
SERVERS4="192.0.2.25 192.0.2.26 203.0.113.9"
SERVERS6="2001:db8:25::25 2001:db8:ffff:1::25 2001:db8:ffff:ffff::7"
topology_up() {
  sub=$1-sub rtr=$1-rtr net=$1-net
  for ns in "$sub" "$rtr" "$net"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    # No duplicate address detection: link-local addresses usable at once.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  done
  ip link add s0 netns "$sub" type veth peer name r0 netns "$rtr"
  ip link add n0 netns "$net" type veth peer name r1 netns "$rtr"
  ip netns exec "$rtr" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

  # Subscribers: a link net, then addresses inside the example's pools.
  ip -n "$sub" addr add 198.18.254.2/30 dev s0
  ip -n "$sub" addr add 2001:db8:fffe::2/64 dev s0 nodad
  for a in $SUBSCRIBERS4; do ip -n "$sub" addr add $a/32 dev s0; done
  for a in $SUBSCRIBERS6; do ip -n "$sub" addr add $a/128 dev s0 nodad; done
  ip -n "$rtr" addr add 198.18.254.1/30 dev r0
  ip -n "$rtr" addr add 2001:db8:fffe::1/64 dev r0 nodad
  # The internet: a link net, then the servers.
  ip -n "$net" addr add 198.51.100.7/24 dev n0
  ip -n "$net" addr add 2001:db8:fffd::2/64 dev n0 nodad
  for a in $SERVERS4; do ip -n "$net" addr add $a/32 dev n0; done
  for a in $SERVERS6; do ip -n "$net" addr add $a/128 dev n0 nodad; done
  ip -n "$rtr" addr add 198.51.100.1/24 dev r1
  ip -n "$rtr" addr add 2001:db8:fffd::1/64 dev r1 nodad
  for dev in "$sub:s0" "$rtr:r0" "$rtr:r1" "$net:n0"; do ip -n "${dev%%:*}" link set "${dev#*:}" up; done
  # Routes: explicit, nothing default on the router.
  ip -n "$sub" route add default via 198.18.254.1
  ip -n "$sub" -6 route add default via 2001:db8:fffe::1
  ip -n "$net" route add 198.18.0.0/15 via 198.51.100.1
  ip -n "$net" -6 route add 2001:db8::/32 via 2001:db8:fffd::1
  for a in $SERVERS4; do ip -n "$rtr" route add $a/32 via 198.51.100.7; done
  for a in $SERVERS6; do ip -n "$rtr" -6 route add $a/128 via 2001:db8:fffd::2; done
  for a in $SUBSCRIBERS4; do ip -n "$rtr" route add $a/32 via 198.18.254.2; done
  for a in $SUBSCRIBERS6; do ip -n "$rtr" -6 route add $a/128 via 2001:db8:fffe::2; done
}

# serve_in NS OUTPUT PORT...: TCP listeners on every PORT in NS (tcp_probe.py
# serve, its output in OUTPUT), returning once they are ready.
serve_in() {
  local ns=$1 out=$2
  shift 2
  ip netns exec "$ns" "$python" "$probe" serve "$@" > "$out" &
  for _ in $(seq 50); do grep -q ready "$out" 2>/dev/null && break; sleep 0.1; done
}

# reset_router: everything op25bc made in the router ($rtr), on either
# backend, and its state under $work, gone.
reset_router() {
  ip netns exec "$rtr" nft flush ruleset
  for tool in iptables-legacy ip6tables-legacy; do
    ip netns exec "$rtr" "$tool" -F
    ip netns exec "$rtr" "$tool" -X
  done
  ip netns exec "$rtr" ipset destroy 2>/dev/null || true
  rm -rf "$work/state" "$work"/state.*
}

topology_down() {
  for ns in "$sub" "$rtr" "$net"; do ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true; done
  for ns in "$sub" "$rtr" "$net"; do ip netns del "$ns" 2>/dev/null || true; done
}

# session_held NS BACKEND 4|6: the session addresses op25bc's table in NS
# holds, as the kernel's own tools list them (the oracle), sorted on one line:
# IPv4 as single addresses, IPv6 as prefixes ("2001:db8:100:100::/56").
session_held() {
  local ns=$1 backend=$2 family=$3
  if [ "$backend" = nftables ]; then
    ip netns exec "$ns" nft -j list set inet op25b "session$family"
  else
    ip netns exec "$ns" ipset list
  fi | "$python" -c '
import ipaddress, json, sys
backend, family = sys.argv[1], int(sys.argv[2])
spans = []
if backend == "nftables":
    for o in json.load(sys.stdin)["nftables"]:
        for e in o.get("set", {}).get("elem", []):
            if isinstance(e, str):
                spans.append((e, e))
            elif "range" in e:  # adjacent addresses merge into one interval
                spans.append(tuple(e["range"]))
            else:
                n = ipaddress.ip_network(e["prefix"]["addr"] + "/" + str(e["prefix"]["len"]))
                spans.append((n[0], n[-1]))
else:
    lines = sys.stdin.read().split("\n")
    name = [l for l in lines if l.startswith("Name: op25b-session%d." % family)]
    if not name: sys.exit(1)
    i = lines.index("Members:", lines.index(name[0]))
    for l in lines[i + 1:]:
        if not l: break
        n = ipaddress.ip_network(l.split()[0])
        spans.append((n[0], n[-1]))
out = []
for first, last in spans:
    first, last = ipaddress.ip_address(first), ipaddress.ip_address(last)
    if family == 4:
        out += [str(ipaddress.ip_address(a)) for a in range(int(first), int(last) + 1)]
    else:
        for n in ipaddress.summarize_address_range(first, last):
            out.append(str(n.network_address) if n.prefixlen == 128 else str(n))
print(" ".join(sorted(out)))' "$backend" "$family"
}
