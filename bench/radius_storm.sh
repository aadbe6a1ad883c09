#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# RADIUS storm benchmark (not a test, never gates CI): a BNG reboots and R
# subscribers' sessions start at once. The generated policy (N IPv4 and N/10
# IPv6 pool prefixes) with S subscriber exemptions as drop-in files is applied
# in a throwaway network namespace; then R Accounting-Start records (S of them
# for the exempt subscribers) are written to the detail file in one go, as
# FreeRADIUS's detail module writes them, and `op25bc session follow` (already
# running, idle) reads them. Reported: the time from the last byte written to
# the position saying the kernel holds every record (the write-to-kernel lag),
# records per second, and the idle follower's lag for one record (E times,
# p50 / p90). Beside them, in the same run, the one-process-per-event path
# the hooks take: E `op25bc session up` of exempt subscribers, as records per
# second, and the ratio. FreeRADIUS itself is left out: what is measured is
# op25bc's side of the detail file.
#
#   bench/radius_storm.sh [OP25BC] [N] [S] [R] [E] [BACKEND]
#   default: build/op25bc 1000000 10000 100000 21 nftables
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
op25bc=$(realpath "${1:-build/op25bc}")
n=${2:-1000000}
s=${3:-10000}
r=${4:-100000}
e=${5:-21}
backend=${6:-nftables}
[ "$(id -u)" -eq 0 ] || { echo "bench/radius_storm.sh needs root (a network namespace)"; exit 1; }
[ "$r" -le "$n" ] || { echo "R must not exceed N: each record has an address of its own"; exit 1; }
work=$(mktemp -d)
shm=$(mktemp -d /dev/shm/op25bc-bench.XXXXXX)
trap 'rm -rf "$work" "$shm"' EXIT

python3 "$here/gen_policy.py" --v4 "$n" --v6 $((n / 10)) --subscribers "$s" --dir "$work/p"

cat > "$work/run.py" <<'PY'
import ipaddress, os, subprocess, sys, time
op25bc, work, shm, backend, s, r, e, n = sys.argv[1:9]
s, r, e, n = int(s), int(r), int(e), int(n)
opts = ["--state", f"{work}/state", "--lock", f"{work}/lock"]
def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
def address(k):  # a host of the k-th generated pool prefix (10.0.0.0/8, /30s 8 apart)
    return str(ipaddress.IPv4Address(0x0A000000 + k * 8 + 1))
def record(who, k, stamp):
    return (f"Mon Dec  7 21:51:31 2026\n\tUser-Name = \"{who}\"\n\tAcct-Status-Type = Start\n"
            f"\tAcct-Session-Id = \"{k}\"\n\tFramed-IP-Address = {address(k)}\n"
            f"\tNAS-IP-Address = 192.0.2.1\n\tTimestamp = {stamp}\n\n")
def offset():
    try:
        return int(open(f"{work}/state.radius-position").read().split("\n")[1].split()[3])
    except (OSError, IndexError, ValueError):
        return -1
def wait_for(size, limit=600):
    t = time.perf_counter()
    while offset() != size:
        if time.perf_counter() - t > limit:
            sys.exit("the follower did not catch up")
        time.sleep(0.0005)
    return time.perf_counter()

run(op25bc, "apply", f"{work}/p/policy.json", "--at", "2006-11-01", "--backend", backend,
    "--sessions", f"{shm}/sessions", *opts)
# The hooks' path: one process per event.
hook = []
for i in range(e):
    t = time.perf_counter()
    run(op25bc, "session", "up", "--subscriber", f"subscriber-{s - 1 - i}", "--address",
        address(r + i), *opts)
    hook.append(time.perf_counter() - t)
for i in range(e):
    run(op25bc, "session", "down", "--subscriber", f"subscriber-{s - 1 - i}", *opts)

os.makedirs(f"{work}/radacct")
detail = f"{work}/radacct/detail"
open(detail, "w").close()
follower = subprocess.Popen([op25bc, "session", "follow", "--radius-detail", detail,
                             "--writer", "root", *opts], stdout=subprocess.DEVNULL)
time.sleep(1)  # started, idle on an empty file
# The storm: R Starts at once, the first S of them for exempt subscribers.
stamp = int(time.time())
body = "".join(record(f"subscriber-{k}" if k < s else f"walk-in-{k}", k, stamp) for k in range(r))
with open(detail, "a") as f:
    f.write(body)
    f.flush()
    os.fsync(f.fileno())
    written = time.perf_counter()
size = os.path.getsize(detail)
storm = wait_for(size) - written
# One record to an idle follower, E times.
idle = []
for i in range(e):
    time.sleep(0.2)
    with open(detail, "a") as f:
        f.write(record(f"subscriber-{i}", i, stamp))
        f.flush()
        t = time.perf_counter()
    size = os.path.getsize(detail)
    idle.append(wait_for(size, 30) - t)
follower.terminate()
follower.wait()
def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs) + 0.5) - (1 if q == 0.5 else 0))]
hook_rate = 1 / pct(hook, 0.5)
storm_rate = r / storm
print(f"{'backend':9} {'v4':>8} {'subs':>6} {'records':>8} | {'storm s':>8} {'records/s':>10} "
      f"{'idle ms p50/p90':>16} | {'hook ms p50':>11} {'hook rec/s':>10} {'ratio':>7}")
print(f"{backend:9} {n:>8} {s:>6} {r:>8} | "
      f"{storm:8.2f} {storm_rate:10.0f} {pct(idle, 0.5) * 1000:7.1f} /{pct(idle, 0.9) * 1000:6.1f} | "
      f"{pct(hook, 0.5) * 1000:11.1f} {hook_rate:10.0f} {storm_rate / hook_rate:6.0f}x")
PY
unshare -n python3 "$work/run.py" "$op25bc" "$work" "$shm" "$backend" "$s" "$r" "$e" "$n"
