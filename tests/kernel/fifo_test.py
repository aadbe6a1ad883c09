#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A FIFO, a socket or a folder where op25bc keeps its own files (the state
record, the iptables members file, the history index, the index of
subscriber exemptions, the session table) makes every command that reads
it fail at once, saying what is wrong, on both backends; none hangs, so no
activate holds the lock from later runs (issue 34, point 7). Each command
runs in a network namespace of its own making. Needs root."""
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "cli"))
import corpus  # noqa: E402  (tests/cli/corpus.py)

tally = corpus.Tally()
expect = tally.expect


def main():
    a = corpus.arguments()
    if os.geteuid() != 0 or subprocess.run(["unshare", "-n", "true"]).returncode != 0:
        print("SKIP: needs root and network namespaces")
        return 1 if os.environ.get("CI") == "true" else 77
    work = pathlib.Path(tempfile.mkdtemp(prefix="op25bc-fifo-"))
    ns = f"op25bc-fifo-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        for backend in ("nftables", "iptables"):
            run_backend(a, work / backend, ns, backend)
    finally:
        subprocess.run(["ip", "netns", "del", ns])
        shutil.rmtree(work)
    return tally.finish()


def run_backend(a, work, ns, backend):
    work.mkdir()
    policy = work / "policy.json"
    doc = json.loads((a.root / "examples/spinnet.json").read_text())
    doc["exemptions_dir"] = "exemptions.d"
    (work / "exemptions.d").mkdir()
    (work / "exemptions.d" / "ann.json").write_text(
        json.dumps({"id": "ann", "subscriber": "ann@isp", "reason": "own MTA"}))
    policy.write_text(json.dumps(doc))
    state = work / "state"
    sessions = work / "sessions"
    common = ["--state", str(state), "--backend", backend]
    locked = ["--lock", str(work / "lock")]

    def op25bc(*args, timeout=20):
        start = time.monotonic()
        try:
            r = subprocess.run(["ip", "netns", "exec", ns, a.op25bc, *args], capture_output=True,
                               text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, time.monotonic() - start
        return r, time.monotonic() - start

    def reset():
        subprocess.run(["ip", "netns", "exec", ns, "nft", "flush", "ruleset"])
        for tool in ("iptables-legacy", "ip6tables-legacy"):
            subprocess.run(["ip", "netns", "exec", ns, tool, "-F"])
            subprocess.run(["ip", "netns", "exec", ns, tool, "-X"])
        subprocess.run(["ip", "netns", "exec", ns, "ipset", "destroy"], stderr=subprocess.DEVNULL)
        for p in work.iterdir():
            if p.name not in ("policy.json", "exemptions.d"):
                shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
        r, _ = op25bc("apply", str(policy), "--at", "2006-12-01", *common, *locked,
                      "--sessions", str(sessions))
        expect(r is not None and r.returncode == 0, f"{backend}: the first apply", r and r.stderr)

    commands = {
        "status": ["status", *common],
        "metrics": ["metrics", *common],
        "diff": ["diff", str(policy), "--at", "2006-12-01", *common, *locked,
                 "--sessions", str(sessions)],
        "apply": ["apply", str(policy), "--at", "2006-12-01", *common, *locked,
                  "--sessions", str(sessions)],
        "activate": ["activate", str(policy), "--at", "2006-12-01", "--no-syslog", *common,
                     *locked, "--sessions", str(sessions)],
        "history": ["history", *common],
        "session up": ["session", "up", "--subscriber", "ann@isp", "--address", "198.18.1.9",
                       *common, *locked],
        "session list": ["session", "list", *common],
    }
    # Each of op25bc's files, and the commands that read it: those that must
    # refuse, and those that carry on without it, saying so (a state record
    # that is unusable is read back from the kernel; the iptables members
    # file is a cache of what the kernel holds; apply warns that it cannot
    # write the index).
    files = {
        "state record": (state, {"apply": "fails", "activate": "fails", "status": "unusable",
                                 "metrics": "at once", "diff": "unusable"}),
        "history index": (work / "state.history" / "index.json",
                          {"history": "fails", "apply": "fails", "activate": "fails"}),
        "index of subscriber exemptions": (work / "state.subscribers",
                                           {"session up": "fails", "session list": "fails",
                                            "apply": "at once"}),
        "session table": (sessions, {"session up": "fails", "session list": "fails",
                                     "apply": "fails", "activate": "fails"}),
    }
    if backend == "iptables":
        files["members file"] = (work / "state.members",
                                 {"diff": "at once", "apply": "at once", "activate": "at once"})
    for kind in ("FIFO", "socket", "folder"):
        for what, (path, readers) in files.items():
            for name, want in readers.items():
                reset()
                if not path.exists():
                    expect(False, f"{backend}: {what} is where the test expects it", str(path))
                    continue
                path.unlink()
                holder = None
                if kind == "FIFO":
                    os.mkfifo(path)
                elif kind == "socket":
                    holder = socket.socket(socket.AF_UNIX)
                    holder.bind(str(path))
                else:
                    path.mkdir()
                r, took = op25bc(*commands[name])
                case = f"{backend}: a {kind} as the {what}: {name}"
                expect(r is not None and took < 10, f"{case} returns at once ({took:.1f} s)")
                if r is not None and want == "fails":
                    said = r.stderr + r.stdout
                    expect(r.returncode != 0, f"{case} fails", said)
                    expect(any(w in said for w in ("not a regular file", "Is a directory",
                                                   "unusable", "cannot read")),
                           f"{case} says what is wrong", said)
                if r is not None and want == "unusable":  # read back, or refused
                    said = r.stdout + r.stderr
                    expect("unusable" in said or (r.returncode != 0 and "not a regular file" in said),
                           f"{case} says the record is unusable, or fails saying why", said)
                if holder:
                    holder.close()
    # The deadline: an activate stuck behind a held lock is ended by it.
    reset()
    holder = subprocess.Popen(["flock", str(work / "lock"), "sleep", "20"])
    time.sleep(0.3)
    r, took = op25bc("activate", str(policy), "--at", "2006-12-01", "--no-syslog", *common,
                     *locked, "--deadline", "1", "--lock-wait", "30")
    holder.kill()
    holder.wait()
    expect(r is not None and took < 5 and r.returncode != 0,
           f"{backend}: activate --deadline 1 ends after a second ({took:.1f} s)", r and r.stderr)

if __name__ == "__main__":
    sys.exit(main())
