#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Every invalid policy in invalid.json: op25bc validate and compile exit 1,
print nothing on stdout, write no output file, and report an error at exactly
the expected JSON pointer with the expected message."""
import pathlib
import subprocess
import sys
import tempfile

import corpus


def run(*args):
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def check_case(op25bc, case, directory):
    path = corpus.write_case(case, directory)
    problems = []
    v = run(op25bc, "validate", str(path))
    if v.returncode != 1:
        problems.append(f"validate exited {v.returncode}, expected 1")
    if v.stdout:
        problems.append(f"validate printed on stdout: {v.stdout!r}")
    start = corpus.expected_line(case, path)
    lines = [l for l in v.stderr.splitlines() if l.startswith(start)]
    if not any(case["message"] in l for l in lines):
        problems.append(f"no error line starting {start!r} containing {case['message']!r}; "
                        f"stderr was:\n{v.stderr}")
    out = pathlib.Path(directory) / "out.nft"
    c = run(op25bc, "compile", str(path), "--at", "2006-10-01", "-o", str(out))
    if c.returncode != 1 or c.stdout or out.exists():
        problems.append(f"compile -o: exit {c.returncode}, stdout {c.stdout!r}, "
                        f"output file written: {out.exists()}")
    c = run(op25bc, "compile", str(path), "--format", "json")
    if c.returncode != 1 or c.stdout:
        problems.append(f"compile to stdout: exit {c.returncode}, stdout {c.stdout[:80]!r}")
    return problems


def main():
    a = corpus.arguments()
    cases = corpus.load_cases()
    failed = 0
    with tempfile.TemporaryDirectory() as directory:
        for case in cases:
            problems = check_case(a.op25bc, case, directory)
            if problems:
                failed += 1
                print(f"FAIL {case['name']}:\n  " + "\n  ".join(problems))
    if len(cases) < 40:
        print(f"FAIL: only {len(cases)} cases, the corpus needs at least 40")
        failed += 1
    print(f"{len(cases) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
