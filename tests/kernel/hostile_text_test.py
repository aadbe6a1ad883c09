#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hostile free text: every free-text field of a policy, fed strings that end
lines, quote, expand or reorder, must either be refused at exactly its JSON
pointer or come out of every writer meaning only what it should: the nft script
and nft JSON load in a fresh network namespace and create only op25bc's table
next to a foreign one that stays byte-identical; the crontab holds exactly
op25bc's lines, whose command splits into exactly op25bc's arguments; the
systemd units verify with their binary under a path full of quotes, spaces, '%'
and '$'; explain and timeline text keep one labelled line per item; the
iptables backend's script holds only its own kinds of lines, and the log
prefix, its one free text, loads into iptables-legacy as written (or is
refused at its pointer where iptables cannot carry it)."""
import copy
import json
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "cli"))
import corpus  # noqa: E402  (tests/cli/corpus.py)

# Strings a policy author, or an attacker, might write.
HOSTILE = {
    "newline-script": "X\nflush ruleset\nadd table inet pwned\n#",
    "cron-line": "ok)\n* * * * * root id > /tmp/op25bc-pwned\n# (",
    "cr": "a\rb",
    "nul": "a\u0000b",
    "tab": "a\tb",
    "del": "a\u007fb",
    "c1": "a\u0085b",
    "line-separator": "a\u2028b",
    "rtl-override": "abc\u202edcba",
    "rtl-mark": "a\u200fb",
    "isolate": "a\u2066b\u2069",
    "double-quote": 'say "hi"',
    "backslash": "back\\slash\\",
    "dollar": "$HOME ${x} $(id)",
    "percent": "100% %d %%",
    "brace": "} table inet pwned {",
    "semicolon": "a; flush ruleset;",
    "long-utf8": "x" + "日" * 67,  # 202 bytes: truncated on a character boundary
}
FORBIDDEN = {"newline-script", "cron-line", "cr", "nul", "tab", "del", "c1", "line-separator",
             "rtl-override", "rtl-mark", "isolate"}

# Every free-text field of base.json, as (JSON pointer, setter).
FIELDS = [
    "/operator", "/description", "/services/0/name", "/services/0/description", "/pools/0/name",
    "/pools/0/description", "/pools/0/region", "/smarthosts/0/hostname",
    "/smarthosts/0/description", "/destinations/0/name", "/destinations/0/description",
    "/exemptions/0/reason", "/submission/hostname", "/phases/0/name", "/phases/0/description",
    "/phases/1/name", "/enforcement/log/prefix",
]

LABELS = ("verdict: ", "connection: ", "source: ", "destination groups: ", "reason: ",
          "upcoming: ", "advice: ")


def set_pointer(doc, pointer, value):
    *path, last = pointer.lstrip("/").split("/")
    node = doc
    for key in path:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[last] = value


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, errors="replace", **kw)


def netns_load(fmt):
    """A shell script for a fresh namespace: a foreign table, then ./compiled
    loaded with nft; leaves the foreign table's listing in ./before and ./after
    and prints every table."""
    foreign = "table inet foreign { set s { type ipv4_addr; elements = { 192.0.2.1 }; }; }"
    flag = "-j" if fmt == "json" else ""
    sh = (f"nft -f - <<'EOF'\n{foreign}\nEOF\n"
          "nft list table inet foreign > before\n"
          f"nft {flag} -f compiled\n"
          "nft list table inet foreign > after\n"
          "nft list tables")
    return sh


def main():
    a = corpus.arguments()
    tally = corpus.Tally()
    if os.geteuid() != 0 or run("unshare", "-n", "true").returncode != 0:
        print("FAIL: needs root and network namespaces" if os.environ.get("CI") == "true"
              else "SKIP: needs root and network namespaces")
        return 1 if os.environ.get("CI") == "true" else 77
    with tempfile.TemporaryDirectory() as d:
        d = pathlib.Path(d)
        # A binary and a policy under names a shell, cron and systemd would all misread.
        # (systemd itself refuses quotes and backslashes in a program's path: see below.)
        weird = d / "we ird %d $HOME ;&"
        weird.mkdir()
        binary = weird / "op25bc"
        shutil.copy(a.op25bc, binary)
        state = weird / "state file"
        for name, value in HOSTILE.items():
            for pointer in FIELDS:
                what = f"{pointer} = {name}"
                policy = corpus.base_policy()
                set_pointer(policy, pointer, value)
                path = weird / "policy %s.json"
                path.write_text(json.dumps(policy, ensure_ascii=False))
                v = run(a.op25bc, "validate", str(path))
                log_refused = pointer.endswith("/log/prefix") and (
                    '"' in value or "$" in value or len(value.encode()) > 127)
                if name in FORBIDDEN or log_refused:
                    tally.expect(v.returncode == 1 and f": {pointer}: error: " in v.stderr
                                 and v.stdout == "" and len(v.stderr.splitlines()) >= 2,
                                 f"{what}: refused at its pointer", v.stderr)
                    # Messages quote what was refused, written printable: one line each.
                    tally.expect(all(l.startswith((str(path).split("\n")[0], "  hint: "))
                                     for l in v.stderr.splitlines()),
                                 f"{what}: every diagnostic line is a diagnostic", v.stderr)
                    continue
                tally.expect(v.returncode == 0, f"{what}: accepted", v.stderr)
                if v.returncode != 0:
                    continue
                check_outputs(a, tally, what, path, binary, state, d)
                check_iptables(a, tally, what, path, pointer, value)
        # Quotes and backslashes: fine for cron (shell words), refused for systemd.
        quoted = d / "it's \"quoted\" \\"
        quoted.mkdir()
        shutil.copy(a.op25bc, quoted / "op25bc")
        policy = d / "p.json"
        policy.write_text(json.dumps(corpus.base_policy()))
        s = run(a.op25bc, "schedule", str(policy), "--emit", "cron", "--bin", str(quoted / "op25bc"))
        command = [l for l in s.stdout.splitlines() if l.startswith("* ")][0].split(" ", 6)[6]
        tally.expect(shlex.split(cron_command(command)) == [str(quoted / "op25bc"), "activate",
                                                           str(policy)],
                     "cron: a binary path with quotes and a backslash stays one argument", command)
        # Backslash and percent together (issue 23, item 6): '\\%', '\\\\', a trailing '\\'.
        slashed = d / "a\\%b \\\\c %% \\"
        slashed.mkdir()
        shutil.copy(a.op25bc, slashed / "op25bc")
        (slashed / "p.json").write_text(json.dumps(corpus.base_policy()))
        s = run(a.op25bc, "schedule", str(slashed / "p.json"), "--emit", "cron", "--bin",
                str(slashed / "op25bc"), "--state", str(slashed / "s"))
        for line in [l for l in s.stdout.splitlines() if l.startswith(("* ", "@reboot "))]:
            command = line.split(" ", 6 if line.startswith("* ") else 2)[-1]
            tally.expect(shlex.split(cron_command(command)) == [
                str(slashed / "op25bc"), "activate", str(slashed / "p.json"), "--state",
                str(slashed / "s")], "cron: backslashes and percents reach the shell exactly",
                command)
        s = run(a.op25bc, "schedule", str(policy), "--emit", "systemd", "--bin",
                str(quoted / "op25bc"), "-o", str(d / "u2"))
        tally.expect(s.returncode == 64 and "--bin" in s.stderr and not (d / "u2").exists(),
                     "systemd: a binary path systemd would refuse is a usage error", s.stderr)
        s = run(a.op25bc, "schedule", str(policy), "--emit", "cron", "--state", "/tmp/a\nb")
        tally.expect(s.returncode == 64 and s.stdout == "" and "U+000A" in s.stderr,
                     "a path with a newline is a usage error", s.stderr)
    return tally.finish()


def check_outputs(a, tally, what, path, binary, state, d):
    for fmt in ("nft", "json"):
        c = run(a.op25bc, "compile", str(path), "--at", "2006-10-01", "--format", fmt)
        tally.expect(c.returncode == 0, f"{what}: compile --format {fmt}", c.stderr)
        if fmt == "json":
            try:
                json.loads(c.stdout)
            except ValueError as e:
                tally.expect(False, f"{what}: nft JSON parses", str(e))
        work = d / "ns"
        work.mkdir(exist_ok=True)
        (work / "compiled").write_text(c.stdout)
        r = run("unshare", "-n", "bash", "-euo", "pipefail", "-c", netns_load(fmt), cwd=work)
        tally.expect(r.returncode == 0 and sorted(r.stdout.splitlines()) ==
                     ["table inet foreign", "table inet op25b"],
                     f"{what}: nft {fmt} loads only op25bc's table", r.stdout + r.stderr)
        if r.returncode == 0:
            tally.expect((work / "before").read_text() == (work / "after").read_text(),
                         f"{what}: nft {fmt}: the foreign table is untouched")
    # cron: exactly op25bc's lines, and the command is exactly op25bc's arguments.
    s = run(a.op25bc, "schedule", str(path), "--emit", "cron", "--bin", str(binary), "--state",
            str(state))
    lines = [l for l in s.stdout.splitlines() if l and not l.startswith("#")]
    tally.expect(s.returncode == 0 and len(lines) == 4 and lines[0] == "SHELL=/bin/sh"
                 and lines[1].startswith("PATH=") and lines[2].startswith("* * * * * root ")
                 and lines[3].startswith("@reboot root "),
                 f"{what}: crontab has exactly op25bc's lines", s.stdout + s.stderr)
    want = [str(binary), "activate", str(path), "--state", str(state)]
    for line, fields in ((lines[2:3], 6), (lines[3:4], 2)):
        for l in line:
            command = l.split(" ", fields)[fields]
            argv = shlex.split(cron_command(command))
            tally.expect(argv == want, f"{what}: cron command splits into op25bc's arguments",
                         f"{command!r} -> {argv}")
    # systemd: the units verify (systemd resolves the quoted binary path).
    units = d / "units"
    s = run(a.op25bc, "schedule", str(path), "--emit", "systemd", "--bin", str(binary), "--state",
            str(state), "-o", str(units))
    v = run("systemd-analyze", "verify", "--man=no", str(units / "op25bc.service"), str(units / "op25bc.timer"))
    tally.expect(s.returncode == 0 and v.returncode == 0, f"{what}: systemd units verify",
                 s.stderr + v.stdout + v.stderr)
    # explain and timeline text: one labelled line per item.
    for src, dst in (("198.18.3.5", "198.51.100.7"), ("198.18.3.5", "192.0.2.25"),
                     ("198.18.3.4", "198.51.100.7")):
        e = run(a.op25bc, "explain", str(path), "--src", src, "--dst", dst, "--at", "2006-10-01")
        tally.expect(e.returncode == 0 and all(l.startswith(LABELS) for l in e.stdout.splitlines()),
                     f"{what}: explain {src} -> {dst}: every line is labelled", e.stdout + e.stderr)
    t = run(a.op25bc, "timeline", str(path), "--at", "2006-01-01")
    tally.expect(t.returncode == 0 and all(l[:1].isdigit() or l.startswith("  ")
                                           for l in t.stdout.splitlines()),
                 f"{what}: timeline lines are events or their items", t.stdout + t.stderr)


# Every kind of line compile --backend iptables writes; nothing else may appear.
IPTABLES_LINE = re.compile(
    r"#!/bin/sh|#( .*)?|set -e|OP25BC_IPSET|OP25BC_IPV4|OP25BC_IPV6"
    r"|ipset restore <<'OP25BC_IPSET'"
    r"|ip(6)?tables-legacy-restore -w --noflush <<'OP25BC_IPV[46]'"
    r"|create op25b-\S+ hash:net family inet6? hashsize \d+ maxelem \d+"
    r"|add op25b-\S+ [0-9a-f.:]+/\d+|\*filter|:OP25B-\S+ - \[0:0\]|-A OP25B-\S+ .*"
    r"|-I FORWARD 1 -p tcp -m multiport --dports [0-9,]+ -j OP25B-CHECK|COMMIT")


def check_iptables(a, tally, what, path, pointer, value):
    c = run(a.op25bc, "compile", str(path), "--at", "2006-10-01", "--backend", "iptables")
    is_prefix = pointer.endswith("/log/prefix")
    if is_prefix and ("\\" in value or len(value.encode()) > 29):
        tally.expect(c.returncode == 1 and f": {pointer}: error: " in c.stderr and c.stdout == "",
                     f"{what}: iptables refuses it at its pointer", c.stderr)
        return
    bad = [l for l in c.stdout.splitlines() if not IPTABLES_LINE.fullmatch(l)]
    tally.expect(c.returncode == 0 and not bad, f"{what}: iptables script has only its own lines",
                 c.stderr + "\n".join(bad))
    if not is_prefix or c.returncode != 0:
        return
    r = run("unshare", "-n", "sh", "-c", "sh && iptables-legacy-save && ip6tables-legacy-save",
            input=c.stdout)
    chains = sorted({l.split()[0][1:] for l in r.stdout.splitlines() if l.startswith(":OP25B-")})
    others = [l for l in r.stdout.splitlines() if l.startswith(":") and " - " in l
              and not l.startswith(":OP25B-")]
    prefixes = {shlex.split(l)[shlex.split(l).index("--log-prefix") + 1]
                for l in r.stdout.splitlines() if "--log-prefix" in l}
    tally.expect(r.returncode == 0 and chains and not others and prefixes == {value},
                 f"{what}: loads into iptables-legacy with only op25bc's chains, prefix as written",
                 r.stdout + r.stderr)


def cron_command(command):
    """What Debian's cron hands /bin/sh (do_command.c): a backslash before '%' or
    another backslash escapes it ('\\%' -> '%', '\\\\' -> '\\'), a backslash
    before anything else stays, and a bare '%' ends the command (the rest is
    standard input)."""
    out, i = [], 0
    while i < len(command):
        if command[i] == "\\" and i + 1 < len(command) and command[i + 1] in "%\\":
            out.append(command[i + 1])
            i += 2
            continue
        if command[i] == "%":
            out.append("<NEWLINE>")
            break
        out.append(command[i])
        i += 1
    return "".join(out)


if __name__ == "__main__":
    sys.exit(main())
