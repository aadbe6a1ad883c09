#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""op25bc schedule: the generated systemd units pass `systemd-analyze verify`,
every OnCalendar= passes `systemd-analyze calendar` and names exactly the
instants `op25bc timeline` lists (activate and timeline agree), and the
crontab's schedules parse (python3-croniter, an independent parser)."""
import datetime
import json
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import zoneinfo

import croniter

import corpus


def exposure(service):
    """systemd's own score of the unit: `systemd-analyze security` (0 best, 10 worst)."""
    r = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", str(service)],
                       capture_output=True, text=True)
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+) (\S+)", r.stdout + r.stderr)
    return (float(m.group(1)), m.group(2)) if m else (None, r.stdout + r.stderr)


def check_sandbox(tally, name, service):
    score, verdict = exposure(service)
    tally.expect(score is not None and score <= 2.0 and verdict == "OK",
                 f"{name}: systemd-analyze security exposure <= 2.0 OK (got {score} {verdict})")
    text = service.read_text()
    for line in ["CapabilityBoundingSet=CAP_NET_ADMIN", "NoNewPrivileges=yes", "ProtectSystem=strict",
                 "PrivateTmp=yes", "RestrictAddressFamilies=AF_NETLINK AF_UNIX",
                 "SystemCallFilter=@system-service", "DefaultDependencies=no",
                 "Wants=network-pre.target", "Before=network-pre.target shutdown.target",
                 "WantedBy=sysinit.target"]:
        tally.expect(line in text.splitlines(), f"{name}: op25bc.service has {line}")


def main():
    a = corpus.arguments()
    tally = corpus.Tally()
    if shutil.which("systemd-analyze") is None:
        print("FAIL: systemd-analyze (Debian systemd) is required" if os.environ.get("CI") == "true"
              else "SKIP: systemd-analyze not installed")
        return 1 if os.environ.get("CI") == "true" else 77

    root = a.root
    with tempfile.TemporaryDirectory() as d:
        dst = corpus.base_policy()
        dst["timezone"] = "America/New_York"
        dst["phases"][1]["effective"] = "2006-10-29T01:30:00-05:00"  # in the repeated hour
        dst_path = pathlib.Path(d) / "new-york.json"
        dst_path.write_text(json.dumps(dst))
        for policy in [*sorted((root / "examples").glob("*.json")), dst_path]:
            name = policy.name
            units = pathlib.Path(d) / (name + ".units")
            r = subprocess.run([a.op25bc, "schedule", str(policy), "--emit", "systemd", "--bin",
                                a.op25bc, "-o", str(units)], capture_output=True, text=True)
            tally.expect(r.returncode == 0, f"{name}: schedule --emit systemd", r.stderr)
            v = subprocess.run(["systemd-analyze", "verify", "--man=no", str(units / "op25bc.service"),
                                str(units / "op25bc.timer")], capture_output=True, text=True)
            tally.expect(v.returncode == 0, f"{name}: systemd-analyze verify", v.stdout + v.stderr)
            check_sandbox(tally, name, units / "op25bc.service")
            timer = (units / "op25bc.timer").read_text()
            tally.expect("Persistent=true" in timer, f"{name}: timer is persistent")
            calendars = [l.split("=", 1)[1] for l in timer.splitlines() if l.startswith("OnCalendar=")]
            for spec in calendars:
                c = subprocess.run(["systemd-analyze", "calendar", spec], capture_output=True, text=True)
                tally.expect(c.returncode == 0, f"{name}: systemd-analyze calendar {spec!r}", c.stderr)
            # Every boundary, and nothing else but the periodic safety run.
            timeline = json.loads(subprocess.run([a.op25bc, "timeline", str(policy), "--format", "json"],
                                                 capture_output=True, text=True).stdout)
            expected = sorted(e["utc"] for e in timeline["events"] if e["ruleset_changes"])
            got = []
            for spec in calendars:
                if spec.startswith("*"):
                    continue
                day, clock, zone = spec.split(" ")
                local = datetime.datetime.fromisoformat(f"{day}T{clock}")
                utc = local.replace(tzinfo=zoneinfo.ZoneInfo(zone)).astimezone(datetime.timezone.utc)
                got.append(utc.strftime("%Y-%m-%dT%H:%M:%SZ"))
            tally.expect(sorted(got) == expected, f"{name}: OnCalendar= instants equal the timeline",
                         f"timer: {sorted(got)}\ntimeline: {expected}")

            # Without --bin the units run this op25bc, by its own path.
            r = subprocess.run([a.op25bc, "schedule", str(policy), "--emit", "cron"],
                               capture_output=True, text=True)
            own = os.path.realpath(a.op25bc)
            tally.expect(f" root '{own}' activate " in r.stdout or f" root {own} activate " in r.stdout,
                         f"{name}: without --bin cron runs this op25bc ({own})", r.stdout)
            r = subprocess.run([a.op25bc, "schedule", str(policy), "--emit", "cron", "--bin",
                                "/nowhere/op25bc"], capture_output=True, text=True)
            tally.expect("warning: --bin /nowhere/op25bc is not an executable program" in r.stderr,
                         f"{name}: a --bin that does not exist is warned about", r.stderr)
            r = subprocess.run([a.op25bc, "schedule", str(policy), "--emit", "cron", "--bin", a.op25bc],
                               capture_output=True, text=True)
            lines = [l for l in r.stdout.splitlines() if l and not l.startswith("#") and "=" not in l]
            tally.expect(len(lines) == 2 and lines[1].startswith("@reboot root "),
                         f"{name}: cron has a periodic and an @reboot line", r.stdout)
            for line in lines[:1]:
                fields = shlex.split(line)  # the command's words are shell-quoted
                spec = " ".join(fields[:5])
                tally.expect(croniter.croniter.is_valid(spec) and fields[5] == "root"
                             and fields[6] == a.op25bc and fields[7] == "activate",
                             f"{name}: crontab line parses: {line!r}")
        # A state file and a metrics file elsewhere: the service may write their
        # folders (the metrics one optional), and still scores the same.
        units = pathlib.Path(d) / "custom.units"
        r = subprocess.run([a.op25bc, "schedule", str(root / "examples" / "netlaputa.json"), "--emit",
                            "systemd", "--bin", a.op25bc, "--state", "/srv/op 25b/r1.state",
                            "--metrics", "/var/lib/node exporter/op25bc.prom", "-o", str(units)],
                           capture_output=True, text=True)
        service = (units / "op25bc.service").read_text()
        tally.expect('ReadWritePaths="/srv/op 25b"' in service.splitlines()
                     and 'ReadWritePaths="-/var/lib/node exporter"' in service.splitlines()
                     and "StateDirectory=op25bc" not in service
                     and '--metrics "/var/lib/node exporter/op25bc.prom"' in service,
                     "custom --state/--metrics: writable folders and the activate line follow", service)
        check_sandbox(tally, "custom", units / "op25bc.service")
        # The iptables backend: the flag reaches activate, and the unit allows
        # what iptables-legacy needs (its raw socket, /run/xtables.lock) and no more.
        units = pathlib.Path(d) / "iptables.units"
        r = subprocess.run([a.op25bc, "schedule", str(root / "examples" / "netlaputa.json"), "--emit",
                            "systemd", "--bin", a.op25bc, "--backend", "iptables", "-o", str(units)],
                           capture_output=True, text=True)
        service = (units / "op25bc.service").read_text()
        tally.expect(any(l.startswith("ExecStart=") and l.endswith(" --backend iptables")
                         for l in service.splitlines())
                     and "RestrictAddressFamilies=AF_NETLINK AF_UNIX AF_INET AF_INET6" in service.splitlines()
                     and "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW" in service.splitlines()
                     and "ReadWritePaths=/run" in service.splitlines(),
                     "--backend iptables: activate gets the flag, the unit its sockets and lock", service)
        v = subprocess.run(["systemd-analyze", "verify", "--man=no", str(units / "op25bc.service"),
                            str(units / "op25bc.timer")], capture_output=True, text=True)
        tally.expect(v.returncode == 0, "--backend iptables: systemd-analyze verify", v.stdout + v.stderr)
        score, verdict = exposure(units / "op25bc.service")
        tally.expect(score is not None and score <= 2.5,
                     f"--backend iptables: exposure <= 2.5 (got {score} {verdict})")
        r = subprocess.run([a.op25bc, "schedule", str(root / "examples" / "netlaputa.json"), "--emit",
                            "cron", "--bin", a.op25bc, "--backend", "iptables"],
                           capture_output=True, text=True)
        cron = [l for l in r.stdout.splitlines() if l and not l.startswith("#") and "=" not in l]
        tally.expect(len(cron) == 2 and all(shlex.split(l)[-2:] == ["--backend", "iptables"] for l in cron),
                     "--backend iptables: both cron lines run activate --backend iptables", r.stdout)
        # The unit the package ships carries the same confinement, line for line.
        def sandbox(text):
            lines = text.splitlines()
            start = next(i for i, l in enumerate(lines) if l.startswith("CapabilityBoundingSet="))
            end = next(i for i, l in enumerate(lines) if l.startswith("UMask="))
            return lines[start:end + 1]
        shipped = (root / "systemd" / "op25bc.service.in").read_text()
        nft_units = pathlib.Path(d) / "nft.units"
        subprocess.run([a.op25bc, "schedule", str(root / "examples" / "netlaputa.json"), "--emit",
                        "systemd", "--bin", a.op25bc, "-o", str(nft_units)], capture_output=True, check=True)
        tally.expect(sandbox(shipped) == sandbox((nft_units / "op25bc.service").read_text()),
                     "systemd/op25bc.service.in has the sandbox schedule writes for nftables")
        packaged = pathlib.Path(d) / "op25bc.service"
        packaged.write_text(shipped.replace("@OP25BC_SBIN@", "/usr/sbin").replace("@OP25BC_ETC@", "/etc"))
        check_sandbox(tally, "packaged", packaged)
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main())
