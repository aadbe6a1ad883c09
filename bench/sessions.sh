#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Session event benchmark (not a test, never gates CI): the generated policy
# (N IPv4 and N/10 IPv6 pool prefixes) with S subscriber exemptions as
# drop-in files, applied in a throwaway network namespace; then, end to end
# (process start to exit, as a session script pays it), E `op25bc session up`
# of exempt subscribers, E `session down`, and E `session up` of subscribers
# without an exemption; median and 90th percentile in milliseconds. Beside
# them, in the same run, one element added and deleted with the backend's own
# tool (`nft add element` / `ipset add`, five times), for scale. The session
# table lives on a tmpfs, as /run does; the state file where mktemp puts it.
#
#   bench/sessions.sh [OP25BC] [N] [S] [E] [BACKEND]
#   default: build/op25bc 1000000 10000 21 nftables
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
op25bc=$(realpath "${1:-build/op25bc}")
n=${2:-1000000}
s=${3:-10000}
e=${4:-21}
backend=${5:-nftables}
[ "$(id -u)" -eq 0 ] || { echo "bench/sessions.sh needs root (a network namespace)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 "$here/gen_policy.py" --v4 "$n" --v6 $((n / 10)) --subscribers "$s" --dir "$work/p"

# The session table where op25bc keeps it: on a tmpfs (/run on Debian).
shm=$(mktemp -d /dev/shm/op25bc-bench.XXXXXX)
trap 'rm -rf "$work" "$shm"' EXIT
cat > "$work/run.py" <<'PY'
import subprocess, sys, time
op25bc, work, shm, backend, e = sys.argv[1:6]
e = int(e)
opts = ["--state", f"{work}/state", "--lock", f"{work}/lock"]
def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
def timed(name, *args):  # microseconds, process start to exit
    t = time.perf_counter_ns()
    run(*args)
    with open(f"{work}/{name}", "a") as f:
        f.write(f"{(time.perf_counter_ns() - t) // 1000}\n")
run(op25bc, "apply", f"{work}/p/policy.json", "--at", "2006-11-01", "--backend", backend,
    "--sessions", f"{shm}/sessions", *opts)
for i in range(1, e + 1):
    address = f"10.0.{i // 32}.{(i % 32) * 8 + 1}"  # inside the generated pools
    timed("up", op25bc, "session", "up", "--subscriber", f"subscriber-{i}", "--address", address, *opts)
    timed("lookup", op25bc, "session", "up", "--subscriber", f"walk-in-{i}", "--address",
          f"10.1.0.{i}", *opts)
for i in range(1, e + 1):
    timed("down", op25bc, "session", "down", "--subscriber", f"subscriber-{i}", *opts)
for i in range(1, 6):  # the backend's own tool, one element (nft reads the whole table first)
    if backend == "nftables":
        timed("tool", "nft", "add", "element", "inet", "op25b", "session4", f"{{ 10.3.0.{i} }}")
        run("nft", "delete", "element", "inet", "op25b", "session4", f"{{ 10.3.0.{i} }}")
    else:
        timed("tool", "ipset", "add", "op25b-session4.1", f"10.3.0.{i}")
        run("ipset", "del", "op25b-session4.1", f"10.3.0.{i}")
PY
unshare -n python3 "$work/run.py" "$op25bc" "$work" "$shm" "$backend" "$e"
stat() {  # median and 90th percentile, in ms
  sort -n "$work/$1" | awk '{a[NR]=$1} END {printf "%.1f / %.1f", a[int((NR+1)/2)]/1000, a[int(NR*0.9+0.5)]/1000}'
}
tool=$([ "$backend" = nftables ] && echo "nft add element" || echo "ipset add")
printf '%-9s %-8s %-7s %-6s | %-18s %-18s %-18s %-18s\n' backend v4 v6 subs \
  "up ms (p50 / p90)" "down ms" "no-exemption ms" "$tool ms"
printf '%-9s %-8s %-7s %-6s | %-18s %-18s %-18s %-18s\n' "$backend" "$n" $((n / 10)) "$s" \
  "$(stat up)" "$(stat down)" "$(stat lookup)" "$(stat tool)"
