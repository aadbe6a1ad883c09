#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes a large, valid op25bc policy for benchmarks.

  gen_policy.py --v4 1000000 --v6 100000 --pools 1000 > big.json
  gen_policy.py --v4 1000000 --pools 1 --prefix-files DIR > DIR/policy.json
  gen_policy.py --v4 1000000 --v6 100000 --subscribers 10000 --dir DIR

Prefixes do not overlap and are not adjacent, so merging keeps every one:
IPv4 /30s 8 addresses apart inside 10.0.0.0/8 (at most 2M), IPv6 /48s inside
2001:db8::/32 (at most 65536 per /32, so later ones continue in 2001:db9::/32...).
Nothing here is ever sent traffic: the policy is compiler input only.
"""
import argparse
import ipaddress
import json
import os
import sys


def v4_prefix(i):
    return f"{ipaddress.IPv4Address(0x0A000000 + i * 8)}/30"


def v6_prefix(i):
    base = (0x20010DB8 << 96) + (i << 80)
    return f"{ipaddress.IPv6Address(base)}/48"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--v4", type=int, default=1_000_000)
    ap.add_argument("--v6", type=int, default=100_000)
    ap.add_argument("--pools", type=int, default=1000)
    ap.add_argument("--prefix-files", metavar="DIR",
                    help="write each pool's prefixes to DIR/pools/ID.txt and name them with "
                         "prefixes_file (write the policy to DIR/ too)")
    ap.add_argument("--subscribers", type=int, default=0, metavar="S",
                    help="no inline exemptions: S subscriber exemptions (subscriber-0 ...) as "
                         "drop-in files of DIR/exemptions.d; needs --dir")
    ap.add_argument("--dir", metavar="DIR",
                    help="write the policy to DIR/policy.json instead of standard output")
    ap.add_argument("--change", action="store_true",
                    help="replace the last IPv4 prefix by a new one: a one-prefix change")
    a = ap.parse_args()
    if a.v4 > 2_000_000:
        sys.exit("at most 2,000,000 IPv4 prefixes")

    v4 = [v4_prefix(i) for i in range(a.v4)]
    if a.change and v4:
        v4[-1] = v4_prefix(a.v4)
    v6 = [v6_prefix(i) for i in range(a.v6)]
    services = [{"id": f"svc{s}", "name": f"Service {s}"} for s in range(10)]
    pools = []
    if a.prefix_files:
        os.makedirs(os.path.join(a.prefix_files, "pools"), exist_ok=True)
    for p in range(a.pools):
        pool = {"id": f"pool{p}", "service": f"svc{p % 10}", "region": f"region{p % 7}"}
        prefixes = v4[p::a.pools] + v6[p::a.pools]
        if a.prefix_files:
            pool["prefixes_file"] = f"pools/pool{p}.txt"
            with open(os.path.join(a.prefix_files, pool["prefixes_file"]), "w") as f:
                f.write(f"# pool{p}, {len(prefixes)} prefixes\n")
                f.write("\n".join(prefixes) + "\n")
        else:
            pool["prefixes"] = prefixes
        pools.append(pool)
    policy = {
        "version": 1,
        "operator": "Benchmark ISP",
        "timezone": "Asia/Tokyo",
        "table": "op25b",
        "enforcement": {"ports": [25], "action": "reject"},
        "services": services,
        "pools": pools,
        "smarthosts": [{"id": "smtp", "hostname": "smtp.bench.example",
                        "addresses": ["192.0.2.25", "3fff::25"]}],
        "destinations": [{"id": "mobile-mx", "prefixes": ["203.0.113.0/24"]}],
        "exemptions": [{"id": f"cust{k}", "prefixes": [v4[k * len(v4) // 100]]}
                       for k in range(min(100, len(v4)))],
        "submission": {"ports": [587, 465], "effective": "2006-05-01"},
        "phases": [
            {"id": "mobile", "effective": "2006-06-01", "block": ["mobile-mx"]},
            {"id": "regions-0-3", "effective": "2006-08-01",
             "scope": {"regions": [f"region{r}" for r in range(min(4, a.pools))]},
             "block": "all"},
            {"id": "all", "effective": "2006-10-01", "block": "all"},
        ],
    }
    if a.subscribers and not a.dir:
        sys.exit("--subscribers needs --dir")
    out = sys.stdout
    if a.dir:
        os.makedirs(a.dir, exist_ok=True)
        out = open(os.path.join(a.dir, "policy.json"), "w")
    if a.subscribers:
        del policy["exemptions"]
        policy["exemptions_dir"] = "exemptions.d"
        os.makedirs(os.path.join(a.dir, "exemptions.d"), exist_ok=True)
        for i in range(a.subscribers):
            with open(os.path.join(a.dir, "exemptions.d", f"sub-{i:06d}.json"), "w") as f:
                json.dump({"id": f"sub-{i:06d}", "subscriber": f"subscriber-{i}",
                           "reason": "bench"}, f)
    json.dump(policy, out, separators=(",", ":"))
    out.write("\n")


if __name__ == "__main__":
    main()
