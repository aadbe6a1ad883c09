#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""op25bc exempt add|remove without a kernel: a grant is checked against the
policy as it will be with the new file (inside a pool, an id of its own, the
file's every problem), refused with nothing written, or written whole; a bad
file elsewhere in the folder never stops a grant; remove finds the file that
holds the id. (tests/kernel/dropins.sh runs --apply against real packets.)"""
import json
import os
import pathlib
import random
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time

import corpus

tally = corpus.Tally()
expect = tally.expect


def main():
    a = corpus.arguments()
    work = pathlib.Path(tempfile.mkdtemp(prefix="op25bc-exempt-"))
    try:
        run_cases(a, work)
        remove_never_widens(a, work / "widen")
        folder_stays_put(a, work / "race")
    finally:
        shutil.rmtree(work)
    return tally.finish()


def run_cases(a, work):
    policy = work / "policy.json"
    doc = json.loads((a.root / "examples/spinnet.json").read_text())
    doc["exemptions_dir"] = "exemptions.d"
    policy.write_text(json.dumps(doc, indent=2))
    folder = work / "exemptions.d"
    folder.mkdir()
    shutil.copy(a.root / "examples/exemptions.d/cust-5678.json", folder)
    lock = str(work / "lock")

    def run(*args):
        return subprocess.run([a.op25bc, *args], capture_output=True, text=True, timeout=60)

    def exempt(action, *args):
        return run("exempt", action, str(policy), *args, "--lock", lock)

    def files():
        return sorted(p.name for p in folder.iterdir())

    def check(r, code, what, stderr_has=None, stdout_has=None):
        expect(r.returncode == code, f"{what}: exit {r.returncode}, expected {code}", r.stderr)
        if stderr_has:
            expect(stderr_has in r.stderr, f"{what}: stderr lacks {stderr_has!r}", r.stderr)
        if stdout_has:
            expect(stdout_has in r.stdout, f"{what}: stdout lacks {stdout_has!r}", r.stdout)

    def listed():
        r = run("exempt", "list", str(policy), "--format", "json", "--at", "2006-10-02")
        expect(r.returncode == 0, "exempt list --format json", r.stderr)
        return {x["id"]: x for x in json.loads(r.stdout)["exemptions"]} if r.returncode == 0 else {}

    def fingerprint():
        r = run("validate", str(policy), "--format", "json")
        return json.loads(r.stdout)["fingerprint"]

    # A grant: written whole, 0644, and the policy as it is now holds it.
    before = fingerprint()
    r = exempt("add", "--id", "walk-in", "--prefix", "198.18.17.5", "--reason", "asked at the counter",
               "--ticket", "T-77", "--until", "2007-06-30")
    check(r, 0, "add walk-in", stdout_has="exemption walk-in granted in")
    grant = folder / "walk-in.json"
    expect(grant.exists() and stat.S_IMODE(grant.stat().st_mode) == 0o644,
           "the grant's file is there, mode 0644", files())
    expect(json.loads(grant.read_text()) == {"id": "walk-in", "prefixes": ["198.18.17.5"],
                                             "reason": "asked at the counter", "ticket": "T-77",
                                             "until": "2007-06-30"},
           "the grant's file holds what was asked", grant.read_text())
    expect(listed().get("walk-in", {}).get("source") == "dropin", "exempt list shows the grant")
    expect(fingerprint() not in (None, before), "the grant changes the policy's fingerprint")

    # Refusals: exit 1, and not a byte written.
    def refused(what, args, stderr_has):
        was = {name: (folder / name).read_bytes() for name in files()}
        r = exempt("add", *args, "--reason", "r")
        check(r, 1, what, stderr_has=stderr_has)
        now = {name: (folder / name).read_bytes() for name in files()}
        expect(now == was, f"{what}: the folder is as it was", sorted(now))

    refused("the same id again", ["--id", "walk-in", "--prefix", "198.18.17.6"],
            str(grant) + " exists; nothing was written")
    refused("the id of an inline exemption", ["--id", "cust-1234", "--prefix", "198.18.17.6"],
            "exemption cust-1234 exists, in " + str(policy) + "; nothing was written")
    refused("outside every pool", ["--id", "outside", "--prefix", "203.0.113.9"],
            str(folder / "outside.json") + ": /prefixes/0: error: exemption 203.0.113.9 lies "
            "outside every pool")
    refused("a date that is no date", ["--id", "when", "--prefix", "198.18.17.6", "--until",
                                        "2007-02-30"],
            str(folder / "when.json") + ": /until: error:")
    # An id another file holds, in a file that sorts after the new one: that
    # file would be the one left out, so the grant is refused all the same.
    (folder / "zz-other.json").write_text(json.dumps({"id": "late", "prefixes": ["198.18.17.9"]}))
    refused("an id held by a file sorting after it", ["--id", "late", "--prefix", "198.18.17.6"],
            "exemption late exists, in " + str(folder / "zz-other.json"))
    # A file of the new one's name that holds another id: never overwritten.
    (folder / "named.json").write_text(json.dumps({"id": "other", "prefixes": ["198.18.17.10"]}))
    refused("a file of that name", ["--id", "named", "--prefix", "198.18.17.6"],
            str(folder / "named.json") + " exists; nothing was written")
    (folder / "named.json").unlink()

    # A bad file elsewhere in the folder is left out; it does not stop a grant.
    (folder / "bad.json").write_text(json.dumps({"id": "bad", "prefixes": ["203.0.113.9"]}))
    r = exempt("add", "--id", "fine", "--prefix", "198.18.17.6", "--reason", "r")
    check(r, 0, "add beside a bad file", stdout_has="exemption fine granted in")
    expect("fine" in listed(), "the grant beside a bad file is listed")
    check(run("validate", str(policy)), 1, "validate names the bad file",
          stderr_has=str(folder / "bad.json") + ": /prefixes/0: error:")

    # remove: the file that holds the id, whatever its name; an invalid file
    # by its name; never the policy's own.
    r = exempt("remove", "late")
    check(r, 0, "remove late", stdout_has="withdrawn: " + str(folder / "zz-other.json") + " removed")
    expect("zz-other.json" not in files(), "remove deletes the file that holds the id", files())
    check(exempt("remove", "bad"), 0, "remove a file left out as invalid")
    expect("bad.json" not in files(), "the invalid file is gone", files())
    check(exempt("remove", "cust-1234"), 1, "remove an inline exemption",
          stderr_has="is in " + str(policy) + " itself, not a drop-in")
    check(exempt("remove", "nobody"), 1, "remove an unknown id",
          stderr_has="no drop-in exemption nobody in exemptions.d")
    for name in ("walk-in", "fine"):
        check(exempt("remove", name), 0, f"remove {name}")
    expect(files() == ["cust-5678.json"], "the folder is as it started", files())
    expect(fingerprint() == before, "and so is the fingerprint")

    # Usage, and a policy without a folder.
    check(exempt("add", "--id", "9bad", "--prefix", "198.18.17.6", "--reason", "r"), 64, "an invalid id",
          stderr_has="invalid id")
    check(exempt("add", "--id", "both", "--prefix", "198.18.17.6", "--subscriber", "s",
                 "--reason", "r"), 64, "both --prefix and --subscriber",
          stderr_has="--prefix excludes --subscriber")
    del doc["exemptions_dir"]
    policy.write_text(json.dumps(doc, indent=2))
    check(exempt("add", "--id", "nofolder", "--prefix", "198.18.17.6", "--reason", "r"), 1, "no exemptions_dir",
          stderr_has="names no exemptions_dir")


def spinnet_with_folder(a, work):
    work.mkdir()
    doc = json.loads((a.root / "examples/spinnet.json").read_text())
    doc["exemptions_dir"] = "exemptions.d"
    (work / "policy.json").write_text(json.dumps(doc))
    (work / "exemptions.d").mkdir()
    return work / "policy.json", work / "exemptions.d"


def remove_never_widens(a, work):
    """Property, over generated folders: an exempt remove either is refused
    with the folder untouched, or leaves the exempted addresses a subset of
    what they were. Files share ids, some are wide, some are not JSON."""
    policy, folder = spinnet_with_folder(a, work)
    rng = random.Random(34)
    prefixes = ["198.18.1.5", "198.18.1.6", "198.18.17.5", "198.18.0.0/20", "198.18.0.0/15",
                "0.0.0.0/0", "203.0.113.9", "2001:db8:100::5", "::/0"]

    def exempted():
        r = subprocess.run([a.op25bc, "exempt", "list", str(policy), "--format", "json", "--at",
                            "2006-10-02"], capture_output=True, text=True, timeout=60)
        return {p for x in json.loads(r.stdout)["exemptions"] if x["source"] != "inline"
                for p in x["prefixes"]} if r.returncode == 0 else None

    refusals = withdrawals = 0
    for variant in range(60):
        for f in folder.iterdir():
            f.unlink()
        for k in range(rng.randint(1, 4)):
            xid = rng.choice(["a", "b", "c"])
            name = rng.choice([xid, xid + str(k), "z" + str(k)]) + ".json"
            body = {"id": xid, "prefixes": rng.sample(prefixes, rng.randint(1, 2))}
            text = json.dumps(body) if rng.random() > 0.15 else '{"id": "%s",' % xid
            (folder / name).write_text(text)
        target = rng.choice(["a", "b", "c"])
        was_files = {f.name: f.read_bytes() for f in folder.iterdir()}
        before = exempted()
        r = subprocess.run([a.op25bc, "exempt", "remove", str(policy), target, "--lock",
                            str(work / "lock")], capture_output=True, text=True, timeout=60)
        after = exempted()
        what = f"variant {variant}: remove {target} from {sorted(was_files)}"
        expect(before is not None and after is not None, what + ": exempt list works", r.stderr)
        if r.returncode != 0:
            refusals += 1
            now = {f.name: f.read_bytes() for f in folder.iterdir()}
            expect(now == was_files, what + ": refused, the folder is untouched", r.stderr)
        else:
            withdrawals += 1
            expect(after <= before, what + f": never wider ({sorted(after - before)} added)", r.stdout)
    expect(refusals > 5 and withdrawals > 5, f"the variants reach both sides ({refusals}, {withdrawals})")


def folder_stays_put(a, work):
    """exempt add/remove write and unlink only in the drop-in folder beneath
    the policy's folder: with exemptions.d exchanged for a link to another
    folder, before or while they run, that folder is never touched."""
    policy, folder = spinnet_with_folder(a, work)
    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    canary = {"x%d.json" % i: json.dumps({"id": "x%d" % i, "prefixes": ["198.18.1.%d" % (10 + i)]})
              for i in range(20)}
    for name, text in canary.items():
        (elsewhere / name).write_text(text)

    def untouched(what):
        now = {f.name: f.read_text() for f in elsewhere.iterdir()}
        expect(now == canary, what + ": the other folder is untouched", sorted(set(now) ^ set(canary)))

    def exempt(*args):
        return subprocess.run([a.op25bc, "exempt", *args, "--lock", str(work / "lock")],
                              capture_output=True, text=True, timeout=60)

    # A link in the folder's place, to the other folder (which the policy's
    # reading already refuses) or to one beside it: refused, nothing written
    # or removed there.
    folder.rmdir()
    beside = work / "beside.d"
    beside.mkdir()
    (beside / "x3.json").write_text(canary["x3.json"])
    for target, why in ((elsewhere, "lies outside the policy's folder"),  # an absolute link
                        (pathlib.Path("beside.d"), "is a symbolic link or not a folder")):
        (work / "exemptions.d").symlink_to(target)
        r = exempt("add", str(policy), "--id", "new", "--prefix", "198.18.1.99", "--reason", "r")
        expect(r.returncode == 1 and why in r.stderr, f"add into a link to {target} is refused",
               r.stderr)
        r = exempt("remove", str(policy), "x3")
        expect(r.returncode == 1 and why in r.stderr, f"remove in a link to {target} is refused",
               r.stderr)
        (work / "exemptions.d").unlink()
    expect(sorted(f.name for f in beside.iterdir()) == ["x3.json"], "the linked folder beside is untouched")
    untouched("a link in the folder's place")

    # Exchanged while the commands run: whatever the interleaving, nothing
    # lands in, or leaves, the other folder.
    real = work / "real.d"
    real.mkdir()
    link = work / "link.d"
    link.symlink_to(elsewhere)
    stop = threading.Event()

    def swap():
        d = work / "exemptions.d"
        while not stop.is_set():
            for source in (real, link):
                tmp = work / "swap.tmp"
                os.rename(source, tmp) if source.exists() or source.is_symlink() else None
                try:
                    os.rename(tmp, d) if not d.exists() and not d.is_symlink() else None
                except FileNotFoundError:
                    pass
                time.sleep(0.001)
                if d.is_symlink():
                    os.rename(d, link)
                elif d.exists():
                    os.rename(d, real)

    swapper = threading.Thread(target=swap)
    swapper.start()
    try:
        for i in range(60):
            exempt("add", str(policy), "--id", "x%d" % (i % 20), "--prefix", "198.18.1.%d" % (100 + i % 50),
                   "--reason", "r")
            exempt("remove", str(policy), "x%d" % (i % 20))
    finally:
        stop.set()
        swapper.join()
    untouched("exemptions.d exchanged with a link while add and remove ran")
    leftovers = [f.name for f in elsewhere.iterdir() if f.name.startswith(".")]
    expect(not leftovers, "no temporary file in the other folder", leftovers)


if __name__ == "__main__":
    sys.exit(main())
