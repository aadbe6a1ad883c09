#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Inputs others can write are refused, as sshd's StrictModes does (issue 34,
points 6, 15, 16), over a table of inputs x modes x owners: the policy file,
its folder, a pool's prefix file, the drop-in folder and a drop-in. Each
untrusted input makes validate fail naming it; a drop-in is only left out by
the lenient commands (exempt list), and never exempts. A socket drop-in is
"not a regular file"; a drop-in over 64 KiB is refused before it is read.
Needs root (chown)."""
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "cli"))
import corpus  # noqa: E402  (tests/cli/corpus.py)

tally = corpus.Tally()
expect = tally.expect
OTHER_UID = 4242


def main():
    a = corpus.arguments()
    if os.geteuid() != 0:
        print("SKIP: needs root to give files to another owner")
        return 1 if os.environ.get("CI") == "true" else 77
    work = pathlib.Path(tempfile.mkdtemp(prefix="op25bc-inputs-"))
    os.chmod(work, 0o755)  # another user runs op25bc below
    try:
        strict_modes(a, work)
        odd_dropins(a, work)
    finally:
        shutil.rmtree(work)
    return tally.finish()


def make_policy(a, top):
    """SpinNet in top/policy with a prefix file and a drop-in folder holding one drop-in."""
    if top.exists():
        shutil.rmtree(top)
    folder = top / "policy"
    (folder / "exemptions.d").mkdir(parents=True)
    os.chmod(top, 0o755)
    os.chmod(folder, 0o755)
    os.chmod(folder / "exemptions.d", 0o755)
    doc = json.loads((a.root / "examples/spinnet.json").read_text())
    doc["exemptions_dir"] = "exemptions.d"
    doc["pools"][0]["prefixes_file"] = "eadsl.txt"
    (folder / "eadsl.txt").write_text("198.18.96.0/24\n")
    (folder / "policy.json").write_text(json.dumps(doc))
    (folder / "exemptions.d" / "acme.json").write_text(
        json.dumps({"id": "acme", "prefixes": ["198.18.1.5/32"], "reason": "own MTA"}))
    for f in (folder / "eadsl.txt", folder / "policy.json", folder / "exemptions.d" / "acme.json"):
        os.chmod(f, 0o644)
    return folder


def run(a, *args):
    return subprocess.run([a.op25bc, *args], capture_output=True, text=True, timeout=60)


def listed_ids(a, policy):
    r = run(a, "exempt", "list", str(policy), "--format", "json", "--at", "2006-10-02")
    if r.returncode != 0:
        return None, r
    return {x["id"] for x in json.loads(r.stdout)["exemptions"]}, r


def strict_modes(a, work):
    inputs = {  # name -> (path below the policy folder, a folder?)
        "policy file": ("policy.json", False),
        "policy folder": (".", True),
        "prefix file": ("eadsl.txt", False),
        "drop-in folder": ("exemptions.d", True),
        "drop-in": ("exemptions.d/acme.json", False),
    }
    # (what, mode for a file, mode for a folder, owner, trusted?)
    variants = [
        ("group-writable", 0o664, 0o775, 0, False),
        ("world-writable", 0o646, 0o757, 0, False),
        ("writable by all", 0o666, 0o777, 0, False),
        ("owned by another user", 0o644, 0o755, OTHER_UID, False),
        ("another's and group-writable", 0o664, 0o775, OTHER_UID, False),
        ("read-only for all", 0o444, 0o555, 0, True),
        ("owner-only", 0o600, 0o700, 0, True),
    ]
    for name, (relative, is_folder) in inputs.items():
        for what, file_mode, folder_mode, owner, trusted in variants:
            case = f"{name}, {what}"
            folder = make_policy(a, work / "strict")
            target = folder / relative
            os.chmod(target, folder_mode if is_folder else file_mode)
            os.chown(target, owner, -1)
            policy = folder / "policy.json"
            r = run(a, "validate", str(policy))
            if trusted:
                expect(r.returncode == 0, f"{case}: validate accepts it", r.stderr)
                continue
            expect(r.returncode == 1, f"{case}: validate refuses it", r.stderr)
            said = r.stderr
            expect(any(w in said for w in ("may write", "owned by uid", "does not trust")),
                   f"{case}: the message says why", said)
            ids, lenient = listed_ids(a, policy)
            if name == "drop-in":
                expect(ids is not None and "acme" not in ids and "cust-1234" in ids,
                       f"{case}: exempt list leaves the drop-in out and keeps the rest", lenient.stderr)
                skipped = json.loads(lenient.stdout)["skipped_dropins"] if ids is not None else []
                expect(skipped == [str(target)], f"{case}: exempt list names it left out", skipped)
            else:
                expect(ids is None, f"{case}: a lenient command refuses it too", lenient.stdout)
    # A sticky folder, as /tmp: others may create files, never replace one's own.
    folder = make_policy(a, work / "strict")
    os.chmod(folder, 0o1777)
    r = run(a, "validate", str(folder / "policy.json"))
    expect(r.returncode == 0, "a sticky world-writable policy folder is accepted", r.stderr)
    # Files all of another user: refused when root runs op25bc on them, as
    # sshd refuses root's keys in another's file; accepted when that user
    # runs op25bc, and with root's own files among them.
    folder = make_policy(a, work / "owned")
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, OTHER_UID, OTHER_UID)
    r = run(a, "validate", str(folder / "policy.json"))
    expect(r.returncode == 1 and "owned by uid 4242" in r.stderr,
           "root refuses a policy another user owns", r.stderr)
    as_owner = ["setpriv", f"--reuid={OTHER_UID}", f"--regid={OTHER_UID}", "--clear-groups"]
    r = subprocess.run([*as_owner, a.op25bc, "validate", str(folder / "policy.json")],
                       capture_output=True, text=True, timeout=60)
    expect(r.returncode == 0, "the policy's owner (not root) runs op25bc on their own files", r.stderr)
    os.chown(folder / "eadsl.txt", 0, 0)
    r = subprocess.run([*as_owner, a.op25bc, "validate", str(folder / "policy.json")],
                       capture_output=True, text=True, timeout=60)
    expect(r.returncode == 0, "... with root's prefix file among them", r.stderr)


def odd_dropins(a, work):
    folder = make_policy(a, work / "odd")
    policy = folder / "policy.json"
    dropins = folder / "exemptions.d"
    # A socket in the folder is not a regular file, said so.
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(dropins / "sock.json"))
    r = run(a, "validate", str(policy))
    expect(r.returncode == 1 and "sock.json: error: cannot read drop-in" in r.stderr
           and "it is not a regular file" in r.stderr, "a socket drop-in is not a regular file",
           r.stderr)
    s.close()
    (dropins / "sock.json").unlink()
    # Over 64 KiB: refused before it is read, however large it claims to be.
    for size in (64 * 1024 + 1, 512 * 1024 * 1024):
        big = dropins / "big.json"
        with open(big, "wb") as f:
            f.truncate(size)
        r = run(a, "validate", str(policy))
        expect(r.returncode == 1 and "larger than 64 KiB" in r.stderr,
               f"a drop-in of {size} bytes is refused", r.stderr)
        ids, lenient = listed_ids(a, policy)
        expect(ids is not None and "acme" in ids, f"beside a drop-in of {size} bytes the rest holds",
               lenient.stderr)
        big.unlink()
    # Exactly 64 KiB of valid JSON is fine.
    text = json.dumps({"id": "padded", "prefixes": ["198.18.1.6/32"], "reason": "x"})
    (dropins / "padded.json").write_text(text + " " * (64 * 1024 - len(text)))
    r = run(a, "validate", str(policy))
    expect(r.returncode == 0, "a drop-in of exactly 64 KiB is read", r.stderr)


if __name__ == "__main__":
    sys.exit(main())
