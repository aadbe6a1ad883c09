#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Drop-in exemption benchmark (not a test, never gates CI): `op25bc validate`
# of the generated policy (N IPv4 and N/10 IPv6 prefixes) with exemptions_dir
# holding D drop-in files (one /32 inside a pool each), against the same D
# exemptions inline in the policy, median of five. As root, also, with G
# drop-ins applied in a throwaway network namespace: `exempt add --apply` and
# `exempt remove --apply` of one more, end to end (median of five each), and
# `nft -f` of the same ruleset in the same run, for scale.
#
#   bench/dropins.sh [OP25BC] [N] [D] [G]   default: build/op25bc 1000000 100000 10000
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
op25bc=${1:-build/op25bc}
n=${2:-1000000}
d=${3:-100000}
g=${4:-10000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 "$here/gen_policy.py" --v4 "$n" --v6 $((n / 10)) > "$work/base.json"
python3 - "$work" "$d" <<'PY'
import ipaddress, json, os, sys
work, d = sys.argv[1], int(sys.argv[2])
doc = json.load(open(f"{work}/base.json"))
doc.pop("exemptions", None)
# The first address of each generated IPv4 /30 (gen_policy.py: 8 apart from 10.0.0.0).
addresses = [f"{ipaddress.IPv4Address(0x0A000000 + i * 8)}/32" for i in range(d)]
os.makedirs(f"{work}/files/exemptions.d")
with_dir = dict(doc, exemptions_dir="exemptions.d")
json.dump(with_dir, open(f"{work}/files/policy.json", "w"))
for i, a in enumerate(addresses):
    with open(f"{work}/files/exemptions.d/cust-{i:06d}.json", "w") as f:
        json.dump({"id": f"cust-{i:06d}", "prefixes": [a], "reason": "bench",
                   "ticket": f"T-{i}"}, f)
inline = dict(doc, exemptions=[{"id": f"cust-{i:06d}", "prefixes": [a], "reason": "bench",
                                "ticket": f"T-{i}"} for i, a in enumerate(addresses)])
json.dump(inline, open(f"{work}/inline.json", "w"))
PY

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_of() {
  for _ in 1 2 3 4 5; do
    /usr/bin/time -f "%e" -o "$work/t" "$@" > /dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
    cat "$work/t"
  done | median
}
sync
dir_s=$(time_of "$op25bc" validate "$work/files/policy.json")
inline_s=$(time_of "$op25bc" validate "$work/inline.json")
printf '%-8s %-7s %-8s | %14s %14s\n' v4 v6 drop-ins "validate dir s" "inline s"
printf '%-8s %-7s %-8s | %14s %14s\n' "$n" $((n / 10)) "$d" "$dir_s" "$inline_s"

[ "$(id -u)" -eq 0 ] || exit 0
# G drop-ins: the first G files of the folder, in a policy folder of their own.
mkdir -p "$work/g/exemptions.d"
cp "$work/files/policy.json" "$work/g/"
find "$work/files/exemptions.d" -name 'cust-*.json' | sort | sed -n "1,${g}p" |
  xargs cp -t "$work/g/exemptions.d/"
"$op25bc" compile "$work/g/policy.json" --at 2006-11-01 -o "$work/g.nft" 2>/dev/null
cat > "$work/run.sh" <<SH
set -euo pipefail
opts="--at 2006-11-01 --state $work/state --lock $work/lock"
/usr/bin/time -f "%e" -o "$work/t.nft" nft -f "$work/g.nft"
nft flush ruleset
"$op25bc" apply "$work/g/policy.json" \$opts > /dev/null 2>&1
for i in 1 2 3 4 5; do
  /usr/bin/time -f "%e" -a -o "$work/t.add" "$op25bc" exempt add "$work/g/policy.json" --id extra \
    --prefix 10.2.113.0/32 --reason bench --apply \$opts > /dev/null 2>&1
  /usr/bin/time -f "%e" -a -o "$work/t.remove" "$op25bc" exempt remove "$work/g/policy.json" extra \
    --apply \$opts > /dev/null 2>&1
done
SH
unshare -n bash "$work/run.sh"
printf '%-8s %-7s %-8s | %16s %19s %9s\n' v4 v6 drop-ins "exempt add --apply" "exempt remove --apply" "nft -f s"
printf '%-8s %-7s %-8s | %16s %19s %9s\n' "$n" $((n / 10)) "$g" "$(median < "$work/t.add")" \
  "$(median < "$work/t.remove")" "$(cat "$work/t.nft")"
