#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The command-line contract: exit codes (0, 1, 64), stdout for results and
stderr for diagnostics, atomic output files, deterministic output."""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import corpus

tally = corpus.Tally()
expect = tally.expect


def main():
    a = corpus.arguments()
    root = a.root
    spinnet = str(root / "examples/spinnet.json")
    netlaputa = str(root / "examples/netlaputa.json")

    def run(*args, stdin=None):
        return subprocess.run([a.op25bc, *args], capture_output=True, text=True, input=stdin,
                              timeout=60)

    def status(args, code, stdout_empty=None, stderr_has=None, stdout_has=None):
        r = run(*args)
        what = f"op25bc {' '.join(args)}"
        expect(r.returncode == code, f"{what}: exit {r.returncode}, expected {code}", r.stderr)
        if stdout_empty is not None:
            expect((r.stdout == "") == stdout_empty, f"{what}: stdout {r.stdout[:200]!r}")
        if stderr_has:
            expect(stderr_has in r.stderr, f"{what}: stderr lacks {stderr_has!r}", r.stderr)
        if stdout_has:
            expect(stdout_has in r.stdout, f"{what}: stdout lacks {stdout_has!r}", r.stdout)
        return r

    r = status(["--version"], 0)
    expect(r.stdout.startswith("op25bc ") and r.stdout.endswith("\n"), "--version line", r.stdout)
    status(["--help"], 0, stdout_has="compile")
    for sub in ("validate", "compile", "explain", "timeline"):
        status([sub, "--help"], 0, stdout_has="POLICY")

    # Usage errors: 64, with a message on stderr and nothing on stdout.
    status([], 64, stdout_empty=True, stderr_has="a command is required")
    r = status(["frobnicate", spinnet], 64, stdout_empty=True,
               stderr_has='unknown command "frobnicate"\ncommands: validate, compile,')
    expect("subcommand" not in r.stderr and "did you mean" not in r.stderr,
           "an unknown command is named as such, with no guess when none is near", r.stderr)
    status(["aply", spinnet], 64, stdout_empty=True,
           stderr_has='unknown command "aply"; did you mean "apply"?')
    status(["compile"], 64, stdout_empty=True, stderr_has="POLICY")
    status(["compile", spinnet, "--format", "xml"], 64, stdout_empty=True, stderr_has="--format")
    status(["compile", spinnet, "--at", "next tuesday"], 64, stdout_empty=True,
           stderr_has="--at: \"next tuesday\"")
    status(["compile", spinnet, "--at", "2006-02-30"], 64, stdout_empty=True,
           stderr_has="not a calendar date")
    status(["explain", spinnet, "--src", "198.18.1", "--dst", "198.51.100.7"], 64,
           stdout_empty=True, stderr_has="--src")
    status(["explain", spinnet, "--src", "198.18.1.1", "--dst", "2001:db8::1"], 64,
           stdout_empty=True, stderr_has="must both be IPv4 or both IPv6")
    status(["explain", spinnet, "--src", "198.18.1.1", "--dst", "198.51.100.7", "--port", "0"],
           64, stdout_empty=True)

    # validate: results on stdout, warnings on stderr; --strict fails on warnings.
    status(["validate", netlaputa], 0, stdout_has="valid")
    status(["validate", spinnet], 0, stdout_has="valid")
    with tempfile.TemporaryDirectory() as d:  # submission opening after the October phase
        late = pathlib.Path(d) / "late-submission.json"
        doc = json.loads(pathlib.Path(spinnet).read_text())
        doc["submission"]["effective"] = "2006-10-15"
        late.write_text(json.dumps(doc))
        status(["validate", str(late)], 0, stdout_has="valid",
               stderr_has="/phases/1/effective: warning: phase \"all\" blocks from 2006-10-01")
        status(["validate", "--strict", str(late)], 1, stdout_empty=True)
    status(["validate", "/nonexistent/policy.json"], 1, stdout_empty=True,
           stderr_has="/nonexistent/policy.json: error: cannot read policy: No such file")
    r = run("validate", "/dev/stdin", stdin=pathlib.Path(netlaputa).read_text())
    expect(r.returncode == 0, "validate reads a policy from a pipe", r.stderr)

    with tempfile.TemporaryDirectory() as d:
        out = pathlib.Path(d) / "ruleset.nft"
        # Output file: identical to stdout, deterministic across runs.
        status(["compile", netlaputa, "--at", "2006-07-01", "-o", str(out)], 0, stdout_empty=True)
        r = status(["compile", netlaputa, "--at", "2006-07-01"], 0)
        expect(out.read_text() == r.stdout, "-o writes what stdout shows")
        r2 = run("compile", netlaputa, "--at", "2006-07-01T00:00:00+09:00")
        expect(r2.stdout == r.stdout, "same instant, byte-identical output")
        # An invalid policy never replaces an existing output file.
        bad = pathlib.Path(d) / "bad.json"
        bad.write_text(pathlib.Path(netlaputa).read_text().replace('"version": 1', '"version": 9'))
        before = out.read_text()
        status(["compile", str(bad), "-o", str(out)], 1, stdout_empty=True,
               stderr_has="/version: error: unsupported policy version 9")
        expect(out.read_text() == before, "failed compile leaves the old output file alone")
        expect(sorted(p.name for p in pathlib.Path(d).iterdir()) == ["bad.json", "ruleset.nft"],
               "no temporary files left behind", str(list(pathlib.Path(d).iterdir())))

    # explain: exit 0 either way; JSON has a verdict.
    for dst, verdict in (("198.51.100.7", "blocked"), ("192.0.2.25", "allowed")):
        r = status(["explain", spinnet, "--src", "198.18.17.5", "--dst", dst, "--at",
                    "2006-10-01", "--format", "json"], 0)
        expect(json.loads(r.stdout)["verdict"] == verdict, f"explain {dst}: {verdict}", r.stdout)
    status(["explain", spinnet, "--src", "198.18.17.5", "--dst", "198.51.100.7", "--at",
            "2006-10-01"], 0, stdout_has="verdict: blocked\n")

    status(["timeline", spinnet, "--at", "2007-03-20"], 0,
           stderr_has="warning: exemption \"cust-1234\" expires on 2007-03-31T00:00:00+09:00, in 11 d")
    r = status(["timeline", spinnet, "--at", "2007-03-01", "--warn-days", "7"], 0)
    expect("expires" not in r.stderr, "no expiry warning outside --warn-days", r.stderr)
    r = status(["timeline", spinnet, "--format", "json"], 0)
    events = json.loads(r.stdout)["events"]
    expect([e["utc"] for e in events] == ["2006-05-31T15:00:00Z", "2006-06-14T15:00:00Z",
                                         "2006-08-31T15:00:00Z", "2006-09-30T15:00:00Z",
                                         "2007-03-30T15:00:00Z"],
           "timeline instants", r.stdout)

    # Issue 8: limits and files (items 10 and the low ones).
    with tempfile.TemporaryDirectory() as d:
        deep = pathlib.Path(d) / "deep.json"
        deep.write_text("[" * 100000)
        status(["validate", str(deep)], 1, stdout_empty=True,
               stderr_has="malformed JSON: nested deeper than 64 levels")
        status(["validate", "/dev/zero"], 1, stdout_empty=True,
               stderr_has="cannot read policy: it is larger than 512 MiB")
        for option, value in (("--warn-days", "-5"), ("--warn-days", "inf"), ("--warn-days", "nan")):
            status(["timeline", spinnet, option, value], 64, stdout_empty=True)
        for value in ("inf", "1e10", "-1"):
            status(["apply", spinnet, "--lock-wait", value], 64, stdout_empty=True)
        status(["compile", spinnet, "-o", "/dev/null"], 1, stderr_has="not a regular file")
        expect(pathlib.Path("/dev/null").is_char_device(), "/dev/null is still a device")
        # Explicit modes, whatever the umask.
        old = os.umask(0)
        try:
            out = pathlib.Path(d) / "r.nft"
            status(["compile", spinnet, "-o", str(out)], 0)
            units = pathlib.Path(d) / "units"
            status(["schedule", spinnet, "--emit", "systemd", "-o", str(units)], 0)
        finally:
            os.umask(old)
        modes = {p.name: oct(p.stat().st_mode & 0o777) for p in (out, units, units / "op25bc.timer")}
        expect(modes == {"r.nft": "0o644", "units": "0o755", "op25bc.timer": "0o644"},
               "output files 0644 and folders 0755 whatever the umask", str(modes))
        mapped = corpus.base_policy()
        mapped["pools"][0]["prefixes"].append("::ffff:198.18.64.0/120")
        mapped["smarthosts"][0]["addresses"].append("::ffff:192.0.2.25")
        mapped_path = pathlib.Path(d) / "mapped.json"
        mapped_path.write_text(json.dumps(mapped))
        r = status(["validate", str(mapped_path)], 0)
        expect(": /pools/0/prefixes/2: warning: IPv4-mapped IPv6 prefix \"::ffff:198.18.64.0/120\""
               in r.stderr and ": /smarthosts/0/addresses/2: warning: IPv4-mapped" in r.stderr,
               "IPv4-mapped IPv6 prefixes are warned about at their pointers", r.stderr)
        # Prefix files beside the policy: read relative to it, named in
        # diagnostics relative to the policy path as given, read from --base.
        fleet = pathlib.Path(d) / "fleet"
        (fleet / "pools").mkdir(parents=True)
        pf = corpus.base_policy()
        pf["pools"][0]["prefixes_file"] = "pools/p0.txt"
        (fleet / "pools" / "p0.txt").write_text("# from the IPAM\n198.18.96.0/24\n198.18.97.1/24\n")
        (fleet / "policy.json").write_text(json.dumps(pf))
        r = subprocess.run([a.op25bc, "validate", "fleet/policy.json"], cwd=d, capture_output=True,
                           text=True, timeout=60)
        expect(r.returncode == 1 and r.stderr.startswith(
            "fleet/pools/p0.txt:3: error: prefix \"198.18.97.1/24\" has host bits set\n"
            "fleet/policy.json: /pools/0/prefixes_file: note: in the prefixes_file of pool "),
            "a prefix file's bad line: FILE:LINE, then the pool's pointer", r.stderr)
        r = status(["validate", str(fleet / "policy.json"), "--format", "json"], 1)
        first = json.loads(r.stdout)["diagnostics"][0]
        expect(first["file"] == str(fleet / "pools/p0.txt") and first["line"] == 3
               and first["pointer"] is None
               and first["related"][0]["pointer"] == "/pools/0/prefixes_file",
               "validate --format json: the file, line and related pointer", r.stdout)
        (fleet / "pools" / "p0.txt").write_text("198.18.96.0/24\n")
        status(["validate", str(fleet / "policy.json")], 0)
        copy = pathlib.Path(d) / "elsewhere.json"
        copy.write_text(json.dumps(pf))
        status(["validate", str(copy)], 1, stderr_has="cannot read prefixes_file")
        status(["validate", str(copy), "--base", str(fleet)], 0)
        r = status(["apply", str(copy), "--format", "json", "--state", str(pathlib.Path(d) / "s"),
                    "--lock", str(pathlib.Path(d) / "l")], 1)
        expect(json.loads(r.stdout)["ok"] is False
               and "cannot read prefixes_file" in json.loads(r.stdout)["diagnostics"][0]["message"],
               "apply --format json: an invalid policy's diagnostics on stdout", r.stdout)
        status(["compile", netlaputa, "--router", "bng-nowhere"], 1,
               stderr_has="op25bc: --router: unknown router \"bng-nowhere\"; the policy's routers: "
                          "bng-tokyo-1, bng-tokyo-2")
        shutil.rmtree(fleet)
        copy.unlink()
        expect(sorted(p.name for p in pathlib.Path(d).iterdir()) ==
               ["deep.json", "mapped.json", "r.nft", "units"],
               "no temporary files left behind", str(list(pathlib.Path(d).iterdir())))

    # The iptables backend: a usage error, deterministic output, its own
    # limits as diagnostics, and clear errors for a host that cannot run it.
    status(["compile", spinnet, "--backend", "xtables"], 64, stdout_empty=True,
           stderr_has="--backend")
    first = status(["compile", netlaputa, "--at", "2006-07-01", "--backend", "iptables"], 0)
    again = status(["compile", netlaputa, "--at", "2006-07-01", "--backend", "iptables"], 0)
    expect(first.stdout == again.stdout and first.stdout.startswith("#!/bin/sh\n"),
           "compile --backend iptables: the same script twice", first.stdout[:200])
    with tempfile.TemporaryDirectory() as d:
        status(["compile", netlaputa, "--at", "2006-07-01", "--backend", "iptables", "-o", d], 0,
               stdout_empty=True)
        expect(sorted(p.name for p in pathlib.Path(d).iterdir()) ==
               ["ip6tables.restore", "ipset.restore", "iptables.restore"],
               "compile --backend iptables -o DIR: the three restore inputs",
               str(list(pathlib.Path(d).iterdir())))
        long_prefix = json.loads(pathlib.Path(spinnet).read_text())
        long_prefix["enforcement"]["log"]["prefix"] = "x" * 30
        policy = pathlib.Path(d) / "long-prefix.json"
        policy.write_text(json.dumps(long_prefix))
        status(["compile", str(policy), "--backend", "iptables"], 1, stdout_empty=True,
               stderr_has=f"{policy}: /enforcement/log/prefix: error: log prefix is 30 bytes")
        status(["compile", str(policy)], 0)  # nftables takes it
        state = ["--state", str(pathlib.Path(d) / "s"), "--lock", str(pathlib.Path(d) / "l")]
        r = subprocess.run([a.op25bc, "apply", spinnet, "--backend", "iptables", *state],
                           capture_output=True, text=True, env={"PATH": "/nonexistent"})
        expect(r.returncode == 1 and r.stdout == ""
               and "install the iptables and ipset packages" in r.stderr,
               "apply --backend iptables without the tools: says which package", r.stderr)
        if os.geteuid() == 0 and shutil.which("setpriv"):
            r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                a.op25bc, "apply", spinnet, "--backend", "iptables", *state],
                               capture_output=True, text=True)
            expect(r.returncode == 1 and "this process lacks CAP_NET_ADMIN and CAP_NET_RAW" in r.stderr
                   and not (pathlib.Path(d) / "l").exists(),
                   "apply --backend iptables without CAP_NET_ADMIN: said before any file is touched",
                   r.stderr)
            # Root with CAP_NET_ADMIN alone (a unit's bounding set without CAP_NET_RAW):
            # the hint names what is missing, not what is there.
            r = subprocess.run(["unshare", "-n", "setpriv", "--bounding-set=-all,+net_admin",
                                a.op25bc, "apply", spinnet, "--backend", "iptables", *state],
                               capture_output=True, text=True)
            expect(r.returncode == 1 and "this process lacks CAP_NET_RAW\n" in r.stderr
                   and not (pathlib.Path(d) / "l").exists(),
                   "apply --backend iptables with CAP_NET_ADMIN alone: names CAP_NET_RAW", r.stderr)

    return tally.finish()


if __name__ == "__main__":
    sys.exit(main())
