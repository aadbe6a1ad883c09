#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Ansible collection against a real fleet: six NetLaputa routers, each its
# own network namespace, driven by ansible-playbook with the collection's
# example rollout playbook and role. Every host uses ansible_connection=local
# and an interpreter wrapper that runs Debian's python3 inside that host's
# namespace (ip netns exec), with its own policy folder, state and lock files.
# Two routers (bng-tokyo-1, bng-yokohama) sit in veth topologies so that real
# connections through them can be held against `op25bc explain --router`.
# Only documentation and benchmark addresses, all inside the namespaces.
set -euo pipefail
op25bc=$(realpath "$1")
root=$2

source "$root/tests/kernel/lib.sh"
require_root_or_skip
if ! command -v ansible-playbook >/dev/null; then
  [ "${CI:-}" = true ] && { echo "FAIL: ansible-playbook (ansible-core) is missing"; exit 1; }
  echo "SKIP: ansible-playbook (Debian ansible-core) is not installed"
  exit 77
fi

work=$(mktemp -d)
tag=oa$$
namespaces=()
cleanup() {
  for ns in "${namespaces[@]}"; do ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true; done
  for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  [ -n "${OP25BC_KEEP_WORK:-}" ] && echo "work folder kept: $work" || rm -rf "$work"
}
trap cleanup EXIT

routers=(bng-tokyo-1 bng-tokyo-2 bng-yokohama bng-kawasaki bng-matsudo bng-isdn)
declare -A ns_of
# Two routers in sub -- rtr -- net topologies (lib.sh), the others on their own.
topology_up "$tag-a"
ns_of[bng-tokyo-1]=$rtr sub_a=$sub net_a=$net
namespaces+=("$sub" "$rtr" "$net")
topology_up "$tag-b"
ns_of[bng-yokohama]=$rtr sub_b=$sub net_b=$net
namespaces+=("$sub" "$rtr" "$net")
sub= # lib.sh's own cleanup is not used
for r in bng-tokyo-2 bng-kawasaki bng-matsudo bng-isdn; do
  ns_of[$r]=$tag-$r
  ip netns add "${ns_of[$r]}"
  namespaces+=("${ns_of[$r]}")
done

# The controller's policy: NetLaputa with Tokyo B FLET'S's prefixes in a file.
mkdir -p "$work/ctl/pools" "$work/py" "$work/tmp"
"$python" - "$root/examples/netlaputa.json" "$work/ctl" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
pool = doc["pools"][0]
assert pool["id"] == "tokyo-flets-b"
# 5,000 more /30s, 8 addresses apart, in 198.19.0.0/16 (benchmark addresses,
# no packet goes there): --diff must summarise them, not list them.
more = [f"198.19.{i // 32}.{(i % 32) * 8}/30" for i in range(5000)]
with open(sys.argv[2] + "/pools/tokyo-flets-b.txt", "w") as f:
    f.write("# Tokyo B FLET'S, exported from the IPAM\n" + "\n".join(pool.pop("prefixes") + more) + "\n")
pool["prefixes_file"] = "pools/tokyo-flets-b.txt"
json.dump(doc, open(sys.argv[2] + "/policy.json", "w"), indent=1)
PY

# Inventory: JSON is YAML.
"$python" - "$work" "$op25bc" "${routers[@]}" <<PY
import json, os, sys
work, op25bc, routers = sys.argv[1], sys.argv[2], sys.argv[3:]
ns = {$(for r in "${routers[@]}"; do printf '"%s": "%s", ' "$r" "${ns_of[$r]}"; done)}
hosts = {}
for r in routers:
    wrapper = f"{work}/py/{r}"
    with open(wrapper, "w") as f:
        # Each module run starts the interpreter once: count them.
        f.write(f"#!/bin/sh\necho >>{work}/runs-{r}\nexec ip netns exec {ns[r]} /usr/bin/python3 \"\$@\"\n")
    os.chmod(wrapper, 0o755)
    home = f"{work}/hosts/{r}"
    hosts[r] = {"ansible_python_interpreter": wrapper, "op25bc_policy_dir": f"{home}/etc",
                "op25bc_state": f"{home}/op25b.state", "op25bc_lock": f"{home}/op25bc.lock",
                "op25bc_units_dir": f"{home}/root/etc/systemd/system",
                # Units on one router are enough to test them; a module run
                # costs a second of CPU, and CI has two cores. They are
                # enabled for real, by systemctl, in a root of their own.
                "op25bc_units": r == "bng-matsudo",
                "op25bc_units_enable": r == "bng-matsudo",
                "op25bc_systemd_root": f"{home}/root",
                # One router without nftables: the iptables backend (issue 22).
                "op25bc_backend": "iptables" if r == "bng-tokyo-2" else "nftables"}
    if r == "bng-isdn":  # op25bc_apply installs a built binary, sent only when it differs
        hosts[r].update(op25bc_install="binary", op25bc_binary_src=op25bc, op25bc_binary=f"{home}/bin/op25bc")
    os.makedirs(f"{home}/root/etc/systemd/system")
inventory = {"all": {"children": {
    "op25bc_canary": {"hosts": {"bng-tokyo-1": None}},
    "op25bc_routers": {"hosts": hosts, "vars": {
        "ansible_connection": "local", "ansible_become": False,
        "op25bc_install": "none", "op25bc_binary": op25bc,
        "op25bc_policy_src": f"{work}/ctl/policy.json",
        "op25bc_prefix_files": ["pools/tokyo-flets-b.txt"]}}}}}
json.dump(inventory, open(f"{work}/inventory.yml", "w"), indent=1)
PY

export ANSIBLE_COLLECTIONS_PATH=$root/ansible
export ANSIBLE_CALLBACK_PLUGINS=$root/tests/ansible/callback_plugins
export ANSIBLE_CALLBACKS_ENABLED=op25bc_results
export ANSIBLE_LOCAL_TEMP=$work/tmp ANSIBLE_REMOTE_TEMP=$work/tmp ANSIBLE_NOCOLOR=1
export ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_GATHERING=explicit ANSIBLE_FORKS=10
export ANSIBLE_PIPELINING=1 ANSIBLE_LOAD_CALLBACK_PLUGINS=1
export ANSIBLE_CONFIG=$work/none.cfg HOME=$work  # nothing from the host's ansible setup
playbook=$root/ansible/ansible_collections/op25bc/op25b/playbooks/rollout.yml

# run NAME [ARGS...]: the playbook; results in $work/NAME.jsonl, output in $work/NAME.out.
run() {
  local name=$1
  shift
  echo "$(date +%T) playbook run: $name"
  # op25bc_batch is a play keyword's value: an extra var, not an inventory one.
  OP25BC_RESULTS=$work/$name.jsonl ansible-playbook -i "$work/inventory.yml" "$playbook" -e op25bc_batch=3 "$@" \
    >"$work/$name.out" 2>&1
}
# apply_results NAME: "host changed" for every op25bc_apply result of run NAME
# whose kernel changed (committed), "host unchanged" for the others.
apply_results() {
  "$python" - "$work/$1.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["action"].endswith("op25bc_apply") and r["status"] != "skipped":
        print(r["host"], "changed" if r["result"].get("committed") else "unchanged", r["status"])
PY
}
# module_runs NAME: most module runs (interpreter starts) any router had in run NAME.
module_runs() {
  local most=0 n
  for r in "${routers[@]}"; do
    n=$(wc -l <"$work/runs-$r" 2>/dev/null || echo 0)
    [ "$n" -gt "$most" ] && most=$n
  done
  rm -f "$work"/runs-*
  echo "$most"
}
# bng-tokyo-2 runs the iptables backend: its "table" is op25bc's chains and ipsets.
iptables_router=bng-tokyo-2
xt_ours() {  # op25bc's chains and sets in the current namespace, without counters or hash seeds
  for save in iptables-legacy-save ip6tables-legacy-save; do $save | grep -v '^#' | grep -E 'OP25B|^\*|^COMMIT'; done
  ipset save | grep ' op25b-' | sed -E 's/ bucketsize [0-9]+ initval 0x[0-9a-f]+//' | sort
}
table_of() {
  if [ "$1" = "$iptables_router" ]; then
    ip netns exec "${ns_of[$1]}" bash -c "$(declare -f xt_ours); xt_ours" 2>/dev/null || true
  else
    ip netns exec "${ns_of[$1]}" nft list table inet op25b 2>/dev/null || true
  fi
}
ruleset_empty() {
  [ -z "$(ip netns exec "${ns_of[$1]}" nft list ruleset)" ] &&
    ! ip netns exec "${ns_of[$1]}" iptables-legacy-save | grep -q OP25B &&
    ! ip netns exec "${ns_of[$1]}" ipset list -n | grep -q '^op25b-'
}
# The router's table equals nft -f of op25bc compile for that router, loaded
# in a scratch namespace; on the iptables router, what the hand-loaded
# compile --backend iptables leaves.
holds_its_ruleset() {
  local r=$1
  if [ "$r" = "$iptables_router" ]; then
    "$op25bc" compile "$work/hosts/$r/etc/policy.json" --router "$r" --kernel-timed \
      --backend iptables >"$work/$r.sh"
    [ "$(table_of "$r")" = "$(unshare -n bash -c "sh '$work/$r.sh' >/dev/null && $(declare -f xt_ours); xt_ours")" ]
    return
  fi
  "$op25bc" compile "$work/hosts/$r/etc/policy.json" --router "$r" --kernel-timed -o "$work/$r.nft"
  [ "$(table_of "$r")" = "$(unshare -n sh -c "nft -f '$work/$r.nft' && nft list table inet op25b")" ]
}
show_failure() { echo "--- $1"; tail -40 "$work/$1.out"; }

[ -n "${OP25BC_ONLY_CHECK:-}" ] && { run check --check --diff; cp "$work/check.jsonl" /tmp/check.jsonl; exit 0; }
# 1. Check mode on a fresh fleet: changes reported, nothing in any kernel.
if run check --check --diff; then passed=$((passed + 1)); else failed=$((failed + 1)); show_failure check; fi
rm -f "$work"/runs-*
check "check mode: every router's op25bc_apply reports changed" \
  test "$(apply_results check | grep -c ' changed ok$')" -eq 6
for r in "${routers[@]}"; do check "check mode leaves $r's kernel empty" ruleset_empty "$r"; done
check "check mode --diff summarises bng-tokyo-1's 5,001 new elements, a line a set" \
  grep -qE "^\+ 4096 elements of set phase_tokyo_src4_[0-9a-f_]+: 198.19.0.0/30, (.*, ){4}\.\.\. \(4091 more\)$" \
  "$work/check.out"
check "check mode --diff is bounded: under 150 lines a router for 5,000 prefixes" \
  test "$(wc -l <"$work/check.out")" -le $((6 * 150))

# 2. The real run applies, router by router its own share.
if run apply; then passed=$((passed + 1)); else failed=$((failed + 1)); show_failure apply; fi
check "apply: every router changed" test "$(apply_results apply | grep -c ' changed ok$')" -eq 6
for r in "${routers[@]}"; do check "$r holds nft -f of compile --router $r" holds_its_ruleset "$r"; done
check "bng-isdn carries no Tokyo pool" bash -c "! grep -q '198.18.0.0/20' <<<'$(table_of bng-isdn)'"
units=$work/hosts/bng-matsudo/root/etc/systemd/system
check "units name the router" grep -q -- '--router "bng-matsudo"' "$units/op25bc.service"
check "op25bc_apply reports the units it installed and enabled" "$python" - "$work/apply.jsonl" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if '"bng-matsudo"' in l and "op25bc_apply" in l][0]["result"]
sys.exit(0 if r["units_changed"][-1] == "enabled" and len(r["units_changed"]) == 3 else 1)
PY
isdn=$work/hosts/bng-isdn
check "op25bc_install=binary: bng-isdn's op25bc is the built one, executable" \
  bash -c "cmp -s '$op25bc' '$isdn/bin/op25bc' && test -x '$isdn/bin/op25bc'"
check "the policy and its prefix file are in force on every router, the staging folder beside them" bash -c "
  for r in ${routers[*]}; do cmp -s '$work/ctl/policy.json' $work/hosts/\$r/etc/policy.json &&
    cmp -s '$work/ctl/pools/tokyo-flets-b.txt' $work/hosts/\$r/etc/pools/tokyo-flets-b.txt || exit 1; done"
# Issue 23, item 8: the service is enabled too, so a rebooted router blocks
# before its first timer run, whatever installed op25bc (here: none).
check "the role enables op25bc.service at boot" test -L "$units/sysinit.target.wants/op25bc.service"
check "the role enables op25bc.timer" test -L "$units/timers.target.wants/op25bc.timer"

# 3. Idempotent: a second run changes nothing anywhere.
rm -f "$work"/runs-*
if run again; then passed=$((passed + 1)); else failed=$((failed + 1)); show_failure again; fi
check "second run: op25bc_apply unchanged on every router" \
  test "$(apply_results again | grep -c ' unchanged ok$')" -eq 6
check "second run: changed=0 in every host's recap" \
  test "$(grep -cE '^bng-[a-z0-9-]+ +: ok=[0-9]+ +changed=0 ' "$work/again.out")" -eq 6
# Issue 23, item 12: Ansible's cost is a module run; one a router when nothing changes.
runs=$(module_runs)
echo "most module runs a router had: $runs"
check "second run: one module run per router (most: $runs)" test "$runs" -eq 1

# 4. A one-prefix edit of Tokyo's prefix file changes only the router that carries it.
echo "198.18.200.0/24" >>"$work/ctl/pools/tokyo-flets-b.txt"
if run edit --diff; then passed=$((passed + 1)); else failed=$((failed + 1)); show_failure edit; fi
check "one-prefix edit: only bng-tokyo-1 changed" \
  test "$(apply_results edit | grep ' changed ok$' | cut -d' ' -f1)" = bng-tokyo-1
check "one-prefix edit: the other five unchanged" test "$(apply_results edit | grep -c ' unchanged ok$')" -eq 5
check "one-prefix edit: --diff names the one element" \
  grep -qE "^\+ 1 element of set phase_tokyo_src4_[0-9a-f_]+: 198.18.200.0/24$" "$work/edit.out"
check "one-prefix edit: bng-tokyo-1 holds it" holds_its_ruleset bng-tokyo-1
check "one-prefix edit: only the prefix file was deployed, on every router" "$python" - "$work/edit.jsonl" <<'PY'
import json, sys
results = [json.loads(l) for l in open(sys.argv[1]) if "op25bc_apply" in l]
sys.exit(0 if len(results) == 6 and all(
    [f.rsplit("/etc/", 1)[1] for f in r["result"]["deployed"]] == ["pools/tokyo-flets-b.txt"] for r in results) else 1)
PY
runs=$(module_runs)
echo "most module runs a router had: $runs"
check "one-prefix edit: one module run per router (most: $runs)" test "$runs" -eq 1

# 5. A failing router stops the rollout at its batch. Batches: the canary
# bng-tokyo-1; then three at a time: tokyo-2, yokohama, kawasaki; matsudo, isdn.
ip netns exec "${ns_of[bng-kawasaki]}" nft delete table inet op25b
ip netns exec "${ns_of[bng-kawasaki]}" nft add table inet op25b
ip netns exec "${ns_of[bng-kawasaki]}" nft add chain inet op25b foreign
foreign=$(table_of bng-kawasaki)
"$python" - "$work/ctl/policy.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
next(s for s in doc["smarthosts"] if s["id"] == "smtp-jp")["addresses"].append("192.0.2.31")
json.dump(doc, open(sys.argv[1], "w"), indent=1)
PY
has_new_smarthost() {
  if [ "$1" = "$iptables_router" ]; then  # ipset merges .30 and .31 into 192.0.2.30/31: ask it
    local set
    set=$(ip netns exec "${ns_of[$1]}" ipset list -n | grep '^op25b-smarthost4\.')
    ip netns exec "${ns_of[$1]}" ipset test "$set" 192.0.2.31 2>/dev/null
  else
    grep -q "192.0.2.31" <<<"$(table_of "$1")"
  fi
}
if run fail; then failed=$((failed + 1)); echo "FAIL: the rollout went on past a failed router"; else passed=$((passed + 1)); fi
for r in bng-tokyo-1 bng-tokyo-2 bng-yokohama; do
  check "failed batch: $r, done before or beside the failure, keeps the new ruleset" has_new_smarthost "$r"
done
for r in bng-matsudo bng-isdn; do
  check "failed batch: $r, after the failure, keeps the old ruleset" \
    bash -c "! grep -q 192.0.2.31 <<<'$(table_of $r)'"
  check "failed batch: $r was never run" bash -c "! grep -q '\"host\": \"$r\"' '$work/fail.jsonl'"
done
check "failed batch: the foreign table on bng-kawasaki is untouched" test "$(table_of bng-kawasaki)" = "$foreign"
check "failed batch: op25bc's diagnostic reaches the play" grep -q "op25bc apply failed" "$work/fail.out"

# Once the foreign table is gone, bng-kawasaki converges (the module on its own, ad hoc).
ip netns exec "${ns_of[bng-kawasaki]}" nft delete table inet op25b
OP25BC_RESULTS=$work/converge.jsonl ansible -i "$work/inventory.yml" bng-kawasaki -m op25bc.op25b.op25bc_apply \
  -a "binary={{ op25bc_binary }} policy={{ op25bc_policy_dir }}/policy.json router=bng-kawasaki state={{ op25bc_state }} lock={{ op25bc_lock }} kernel_timed=true" \
  >"$work/converge.out" 2>&1 || cat "$work/converge.out"
check "bng-kawasaki converges once its foreign table is gone" test "$(apply_results converge)" = "bng-kawasaki changed ok"
check "bng-kawasaki then holds its ruleset" holds_its_ruleset bng-kawasaki

# 6. Packets through bng-tokyo-1 and bng-yokohama equal explain --router for each.
for r in bng-tokyo-1 bng-yokohama; do
  [ "$r" = bng-tokyo-1 ] && s=$sub_a n=$net_a || s=$sub_b n=$net_b
  ip netns exec "$n" "$python" "$probe" serve 25 587 >"$work/serve-$r.out" &
  for _ in $(seq 50); do grep -q ready "$work/serve-$r.out" 2>/dev/null && break; sleep 0.1; done
  "$python" - "$work/cases-$r.json" <<'PY'
import json, sys
sources = ["198.18.1.5", "198.18.17.5", "198.18.33.1", "198.18.65.1", "198.18.96.5"]
json.dump([{"src": s, "dst": d, "port": p} for s in sources
           for d in ("198.51.100.7", "192.0.2.25") for p in (25, 587)], open(sys.argv[1], "w"))
PY
  ip netns exec "$s" "$python" "$probe" probe "$work/cases-$r.json" >"$work/results-$r.json"
  blocked=0 allowed=0
  while IFS=$'\t' read -r src dst port outcome; do
    verdict=$("$op25bc" explain "$work/hosts/$r/etc/policy.json" --router "$r" --src "$src" \
      --dst "$dst" --port "$port" --format json | "$python" -c 'import json,sys; print(json.load(sys.stdin)["verdict"])')
    expected=$([ "$verdict" = blocked ] && echo reset || echo connected)
    [ "$verdict" = blocked ] && blocked=$((blocked + 1)) || allowed=$((allowed + 1))
    check "$r: $src -> $dst:$port is $expected as explain --router says" test "$outcome" = "$expected"
  done < <("$python" -c '
import json, sys
for r in json.load(open(sys.argv[1])): print(r["src"], r["dst"], r["port"], r["outcome"], sep="\t")' "$work/results-$r.json")
  check "$r: both verdicts occurred" test "$blocked" -gt 0 -a "$allowed" -gt 0
done
check "explain --router names a pool the router does not carry" \
  grep -q "does not carry this pool" <("$op25bc" explain "$work/hosts/bng-yokohama/etc/policy.json" \
    --router bng-yokohama --src 198.18.1.5 --dst 198.51.100.7)

# 7. Facts from op25bc_status on every router.
OP25BC_RESULTS=$work/facts.jsonl ansible -i "$work/inventory.yml" op25bc_routers \
  -m op25bc.op25b.op25bc_status -a "binary={{ op25bc_binary }} state={{ op25bc_state }} policy={{ op25bc_policy_dir }}/policy.json router={{ inventory_hostname }} backend={{ op25bc_backend }}" \
  >"$work/facts.out" 2>&1 || true
check "op25bc_status: facts from every router, with its phases and element counts" "$python" - "$work/facts.jsonl" <<'PY'
import json, sys
facts = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    facts[r["host"]] = r["result"].get("ansible_facts", {}).get("op25bc", {})
ok = len(facts) == 6 and all(f.get("present") and f["elements"] > 0 and f["last_apply"] for f in facts.values())
ok = ok and facts["bng-tokyo-1"]["active_phases"] == ["tokyo"] and facts["bng-isdn"]["router"] == "bng-isdn"
ok = ok and "matsudo-nationwide" in facts["bng-isdn"]["active_phases"]
ok = ok and facts["bng-tokyo-2"]["backend"] == "iptables" and facts["bng-tokyo-2"]["counters"]
sys.exit(0 if ok else 1)
PY

# 8. An invalid policy: op25bc_apply fails with op25bc's diagnostics as data, nothing applied.
"$python" - "$work/ctl/policy.json" "$work/ctl/bad.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["pools"][2]["prefixes"][0] = "198.18.33.1/21"
json.dump(doc, open(sys.argv[2], "w"))
PY
before=$(table_of bng-yokohama)
OP25BC_RESULTS=$work/invalid.jsonl ansible -i "$work/inventory.yml" bng-yokohama -m op25bc.op25b.op25bc_apply \
  -a "binary={{ op25bc_binary }} policy=$work/ctl/bad.json router=bng-yokohama state={{ op25bc_state }} lock={{ op25bc_lock }}" \
  >"$work/invalid.out" 2>&1 || true
check "an invalid policy fails op25bc_apply with the diagnostic's pointer and message" "$python" - "$work/invalid.jsonl" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).readline())
d = r["result"]["diagnostics"][0]
sys.exit(0 if r["status"] == "failed" and d["pointer"] == "/pools/2/prefixes/0"
         and d["message"] == 'prefix "198.18.33.1/21" has host bits set' else 1)
PY
check "an invalid policy leaves the router's ruleset as it was" test "$(table_of bng-yokohama)" = "$before"

# 9. The same policy deployed from the controller (src): refused on the
# router, its diagnostics naming the controller's file, nothing installed.
cp "$work/hosts/bng-yokohama/etc/policy.json" "$work/in-force.json"
OP25BC_RESULTS=$work/invalid-src.jsonl ansible -i "$work/inventory.yml" bng-yokohama -m op25bc.op25b.op25bc_apply \
  -a "binary={{ op25bc_binary }} src=$work/ctl/bad.json prefix_files=pools/tokyo-flets-b.txt policy={{ op25bc_policy_dir }}/policy.json router=bng-yokohama state={{ op25bc_state }} lock={{ op25bc_lock }}" \
  >"$work/invalid-src.out" 2>&1 || true
check "an invalid src fails with the diagnostic, naming the controller's file" "$python" - "$work/invalid-src.jsonl" "$work/ctl/bad.json" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).readline())
d = r["result"]["diagnostics"][0]
sys.exit(0 if r["status"] == "failed" and d["pointer"] == "/pools/2/prefixes/0" and d["file"] == sys.argv[2]
         and "/pools/2/prefixes/0" in r["result"]["msg"] and not r["result"]["deployed"] else 1)
PY
check "an invalid src never lands" cmp -s "$work/in-force.json" "$work/hosts/bng-yokohama/etc/policy.json"
check "an invalid src leaves the ruleset as it was" test "$(table_of bng-yokohama)" = "$before"

# 10. A policy op25bc only warns about: with strict it is refused and never
# lands; without, it deploys, its warnings Ansible's own.
"$python" - "$work/ctl/policy.json" "$work/ctl/warned.json" <<'PY'
import ipaddress, json, sys
doc = json.load(open(sys.argv[1]))
host = str(ipaddress.ip_network(doc["pools"][2]["prefixes"][0]).network_address + 9)
doc.setdefault("exemptions", []).append(
    {"id": "early", "prefixes": [host + "/32"], "reason": "ends too soon", "until": "2006-01-01"})
json.dump(doc, open(sys.argv[2], "w"))
PY
for strict in true false; do
  OP25BC_RESULTS=$work/warned-$strict.jsonl ansible -i "$work/inventory.yml" bng-yokohama -m op25bc.op25b.op25bc_apply \
    -a "binary={{ op25bc_binary }} src=$work/ctl/warned.json prefix_files=pools/tokyo-flets-b.txt policy={{ op25bc_policy_dir }}/policy.json router=bng-yokohama state={{ op25bc_state }} lock={{ op25bc_lock }} strict=$strict" \
    >"$work/warned-$strict.out" 2>&1 || true
done
check "a warned policy deploys, op25bc's warning an Ansible warning" "$python" - "$work/warned-false.jsonl" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).readline())
warnings = r["result"].get("warnings", [])
sys.exit(0 if r["status"] != "failed" and r["result"]["deployed"]
         and any("/exemptions/" in w and "expires on 2006-01-01" in w for w in warnings) else 1)
PY
check "a warned policy is in force" cmp -s <("$python" -c 'import json,sys; print(json.load(open(sys.argv[1])))' "$work/ctl/warned.json") \
  <("$python" -c 'import json,sys; print(json.load(open(sys.argv[1])))' "$work/hosts/bng-yokohama/etc/policy.json")
check "with strict a warned policy is refused, and did not land then" "$python" - "$work/warned-true.jsonl" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).readline())
sys.exit(0 if r["status"] == "failed" and "expires on 2006-01-01" in r["result"]["msg"]
         and not r["result"].get("deployed") else 1)
PY

finish
