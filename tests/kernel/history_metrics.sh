#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# History, rollback and metrics against the real kernel, in namespaces.
#  1. apply A, apply B, rollback: the kernel lists exactly what `nft -f` of
#     A's compile lists; activate keeps the pinned A, apply of B is refused,
#     --release returns activate to the file (B); --keep bounds the history.
#  1b. a policy with a prefix file and --router: rollback restores the
#     file's applied prefixes for the same router.
#  2. activate --metrics writes a textfile that `promtool check metrics`
#     accepts; a real prometheus-node-exporter on 127.0.0.1 (inside the
#     router's namespace) serves it on /metrics, and the blocked-packet counter
#     it serves rises after real blocked connections through the veth topology.
set -euo pipefail
op25bc=$1
root=$2

source "$root/tests/kernel/lib.sh"
start_kernel_test
for tool in promtool prometheus-node-exporter; do
  if ! command -v $tool >/dev/null; then
    echo "FAIL: $tool is required (Debian prometheus, prometheus-node-exporter)"
    exit 1
  fi
done

at=2006-10-01
cp "$root/examples/netlaputa.json" "$work/a.json"
"$python" - "$work/a.json" "$work/b.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["pools"][0]["prefixes"].append("203.0.113.128/25")
json.dump(p, open(sys.argv[2], "w"), indent=1)
PY

# What nft itself makes of a compiled policy, listed, in a namespace of its own.
for name in a b; do
  "$op25bc" compile "$work/$name.json" --at $at > "$work/$name.nft"
  in_netns "nft -f '$work/$name.nft' && nft list table inet op25b" > "$work/$name.expected"
done

# 1. Rollback, one namespace for the whole story.
in_netns "
  run() { '$op25bc' \"\$@\" --state '$work/r.state' --lock '$work/lock'; }
  run apply '$work/a.json' --at $at > /dev/null
  run apply '$work/b.json' --at $at > /dev/null
  nft list table inet op25b > '$work/after-b'
  run rollback --at $at > '$work/rollback.out'
  nft list table inet op25b > '$work/after-rollback'
  run activate '$work/b.json' --at $at --no-syslog 2> '$work/activate-pinned.err'
  nft list table inet op25b > '$work/after-activate-pinned'
  if run apply '$work/b.json' --at $at 2> '$work/apply-pinned.err'; then echo applied > '$work/apply-pinned.rc'; fi
  nft list table inet op25b > '$work/after-apply-pinned'
  '$op25bc' history --state '$work/r.state' --format json > '$work/history.json'
  '$op25bc' rollback --release --state '$work/r.state' > '$work/release.out'
  run activate '$work/b.json' --at $at --no-syslog 2> /dev/null
  nft list table inet op25b > '$work/after-release'
  for i in 1 2 3; do run apply '$work/b.json' --at 2006-0\$i-01 --keep 2 > /dev/null; done
  '$op25bc' history --state '$work/r.state' --format json > '$work/history-kept.json'
"
check "after apply B the kernel holds B" cmp -s "$work/after-b" "$work/b.expected"
check "rollback lists exactly as nft -f of A's compile" cmp -s "$work/after-rollback" "$work/a.expected"
check "rollback says it pinned" grep -q "^pinned: activate keeps policy" "$work/rollback.out"
check "activate keeps the pinned A and says so" cmp -s "$work/after-activate-pinned" "$work/a.expected"
check "activate's log names the pin and how to release it" \
  grep -q "a rollback pinned policy .*release with op25bc rollback --release" "$work/activate-pinned.err"
check "apply of B is refused while A is pinned" test ! -e "$work/apply-pinned.rc"
check "the refusal says how to release" grep -q "op25bc rollback --release" "$work/apply-pinned.err"
check "the refused apply left A" cmp -s "$work/after-apply-pinned" "$work/a.expected"
check "after --release activate applies the file (B)" cmp -s "$work/after-release" "$work/b.expected"
check "release says the file applies again" grep -q "^released the rollback pin" "$work/release.out"
check "history: rollback newest, A pinned, B and A before it" "$python" - "$work" <<'PY'
import json, subprocess, sys
w = sys.argv[1]
h = json.load(open(f"{w}/history.json"))
cmds = [e["command"] for e in h["entries"]]
a, b = h["entries"][2]["fingerprint"], h["entries"][1]["fingerprint"]
ok = (cmds == ["rollback", "apply", "apply"] and h["entries"][0]["fingerprint"] == a != b
      and h["pinned"]["fingerprint"] == a and h["entries"][2]["policy"].endswith("/a.json"))
sys.exit(0 if ok else 1)
PY
check "--keep 2 keeps two entries and only their policy copies" "$python" - "$work" <<'PY'
import json, pathlib, sys
w = pathlib.Path(sys.argv[1])
h = json.load(open(w / "history-kept.json"))
copies = sorted(p.name for p in (w / "r.history").glob("policy-*.json"))
wanted = sorted({f"policy-{e['fingerprint']}.json" for e in h["entries"]})
sys.exit(0 if len(h["entries"]) == 2 and h["pinned"] is None and copies == wanted else 1)
PY

# 1b. A policy with a prefix file and a router: the history keeps the file's
# bytes, so after the file is edited and applied, rollback restores the
# prefixes that were applied, for the same router.
mkdir -p "$work/pf/pools"
"$python" - "$root/examples/netlaputa.json" "$work/pf" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
pool = p["pools"][0]
open(sys.argv[2] + "/pools/tokyo.txt", "w").write("\n".join(pool.pop("prefixes")) + "\n")
pool["prefixes_file"] = "pools/tokyo.txt"
json.dump(p, open(sys.argv[2] + "/policy.json", "w"), indent=1)
PY
"$op25bc" compile "$work/pf/policy.json" --at $at --router bng-tokyo-1 > "$work/pf-a.nft"
in_netns "nft -f '$work/pf-a.nft' && nft list table inet op25b" > "$work/pf-a.expected"
in_netns "
  run() { '$op25bc' \"\$@\" --state '$work/pf.state' --lock '$work/lock'; }
  run apply '$work/pf/policy.json' --at $at --router bng-tokyo-1 > /dev/null
  echo 198.18.200.0/24 >> '$work/pf/pools/tokyo.txt'
  run apply '$work/pf/policy.json' --at $at --router bng-tokyo-1 > /dev/null
  nft list table inet op25b > '$work/pf-after-edit'
  echo 198.18.201.0/24 >> '$work/pf/pools/tokyo.txt'
  run rollback --at $at > /dev/null
  nft list table inet op25b > '$work/pf-after-rollback'
"
check "a prefix-file edit is applied" grep -q "198.18.200.0/24" "$work/pf-after-edit"
check "rollback restores the prefix file's applied bytes, for the same router" \
  cmp -s "$work/pf-after-rollback" "$work/pf-a.expected"
check "the history kept the prefix file beside the policy copy" \
  test "$(ls "$work"/pf.history/policy-*.prefix-files.json | wc -l)" -eq 2

# 1c. A stored copy is used only with its fingerprint (issue 23, item 5): an
# exemption edited into A's copy is refused by rollback and by a pinned
# activate, and the kernel keeps what it held. A history folder that is a
# symbolic link is not followed (item 7): nothing is written where it points.
in_netns "
  run() { '$op25bc' \"\$@\" --state '$work/c.state' --lock '$work/lock'; }
  run apply '$work/a.json' --at $at > /dev/null
  run apply '$work/b.json' --at $at > /dev/null
  fp=\$('$op25bc' history --state '$work/c.state' --format json |
        '$python' -c 'import json, sys; print(json.load(sys.stdin)[\"entries\"][1][\"fingerprint\"])')
  '$python' - '$work/c.history/policy-'\$fp'.json' <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p['exemptions'].append({'id': 'edited', 'prefixes': ['198.18.0.0/16'], 'reason': 'planted'})
json.dump(p, open(sys.argv[1], 'w'))
PY
  nft list table inet op25b > '$work/c-before'
  if run rollback --at $at > /dev/null 2> '$work/c-rollback.err'; then echo rolled > '$work/c-rollback.rc'; fi
  nft list table inet op25b > '$work/c-after'
  '$op25bc' history --state '$work/c.state' --format json > '$work/c-history.json'
  mkdir '$work/elsewhere'
  ln -s '$work/elsewhere' '$work/l.history'
  if '$op25bc' apply '$work/a.json' --at $at --state '$work/l.state' --lock '$work/lock' \
       > /dev/null 2> '$work/l.err'; then echo applied > '$work/l.rc'; fi
  if '$op25bc' history --state '$work/l.state' > /dev/null 2> '$work/l-history.err'; then
    echo listed > '$work/l-history.rc'; fi
"
check "an edited copy: rollback fails" test ! -e "$work/c-rollback.rc"
check "an edited copy: rollback names the mismatch and applies nothing" \
  grep -q "does not have the fingerprint .* it was changed after op25bc kept it; nothing was applied" \
  "$work/c-rollback.err"
check "an edited copy: the kernel holds what it held" cmp -s "$work/c-before" "$work/c-after"
check "an edited copy: no rollback entry, no pin" "$python" - "$work/c-history.json" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))
sys.exit(0 if h["pinned"] is None and [e["command"] for e in h["entries"]] == ["apply", "apply"] else 1)
PY
check "a symlinked history folder: nothing is written where it points" \
  test -z "$(ls -A "$work/elsewhere")"
check "a symlinked history folder: apply says why" \
  grep -q "history folder .* is a symbolic link; op25bc does not follow it" "$work/l.err"
check "a symlinked history folder: history refuses it" \
  eval "test ! -e '$work/l-history.rc' && grep -q 'symbolic link' '$work/l-history.err'"

# 2. Metrics through node_exporter, with real blocked connections.
topology_up "op25bc-$$"
serve_in "$net" "$work/serve.out" 25 587 465
mkdir "$work/textfile"
prom=$work/textfile/op25bc.prom
ip netns exec "$rtr" "$op25bc" activate "$root/examples/spinnet.json" --at $at --no-syslog \
  --state "$work/m.state" --lock "$work/lock" --metrics "$prom" 2> /dev/null
check "promtool check metrics accepts activate's textfile" promtool check metrics < "$prom"
check "activate's textfile reports a successful run" grep -q "^op25bc_activate_last_run_success 1$" "$prom"

ip netns exec "$rtr" prometheus-node-exporter --web.listen-address=127.0.0.1:9109 \
  --collector.disable-defaults --collector.textfile \
  --collector.textfile.directory="$work/textfile" > "$work/exporter.log" 2>&1 &
exporter=$!
scrape() {  # the value node_exporter serves for op25bc_blocked_packets_total{phase="all"}
  ip netns exec "$rtr" "$python" - <<'PY'
import re, sys, time, urllib.request
for _ in range(100):
    try:
        text = urllib.request.urlopen("http://127.0.0.1:9109/metrics", timeout=2).read().decode()
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("node_exporter did not answer")
m = re.search(r'^op25bc_blocked_packets_total\{phase="all"\} (\S+)$', text, re.M)
print(int(float(m.group(1))) if m else "missing")
PY
}
before=$(scrape)
# Every subscriber to a remote MTA on 25, three times; explain says which of
# them SpinNet blocks on October 1 (the "all" phase).
blocked=0
for s in $SUBSCRIBERS4; do
  verdict=$("$op25bc" explain "$root/examples/spinnet.json" --src "$s" --dst 198.51.100.7 --at $at \
    --format json 2>/dev/null | "$python" -c 'import json,sys; print(json.load(sys.stdin)["verdict"])')
  [ "$verdict" = blocked ] && blocked=$((blocked + 3))
done
"$python" - "$work/cases.json" $SUBSCRIBERS4 <<'PY'
import json, sys
cases = [{"src": s, "dst": "198.51.100.7", "port": 25} for s in sys.argv[2:]]
json.dump(cases * 3, open(sys.argv[1], "w"))
PY
ip netns exec "$sub" "$python" "$probe" probe "$work/cases.json" > "$work/results.json"
resets=$("$python" -c 'import json,sys; print(sum(r["outcome"] == "reset" for r in json.load(open(sys.argv[1]))))' "$work/results.json")
ip netns exec "$rtr" "$op25bc" metrics --state "$work/m.state" -o "$prom"
after=$(scrape)
kill "$exporter"
wait "$exporter" 2>/dev/null || true
check "node_exporter served op25bc's counter (before: $before)" test "$before" != missing
check "the connections explain blocks were reset ($resets of $blocked expected)" \
  test "$resets" = "$blocked" -a "$blocked" -gt 0
check "the served blocked-packet counter rose by at least $blocked ($before -> $after)" \
  test "$after" != missing -a "$after" -ge $((before + blocked))
check "promtool check metrics accepts op25bc metrics" promtool check metrics < "$prom"

finish
