#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Every test file in tests/cli/ and tests/kernel/ runs: each one is named in
tests/CMakeLists.txt (unit/*_test.cc are picked up there by a glob). A file
that is only a helper says so here. Every test's name starts with what it
needs, so that ctest -R '^(unit|cli):' runs all that needs no root."""
import pathlib
import re
import sys

NEEDS = ("unit: ", "cli: ", "kernel: ", "ansible: ", "package: ")
NAMES = re.compile(r'(?:add_test\(NAME|op25bc_python_test\(|op25bc_kernel_script\()\s*"([^"$]+)"')

# Sourced or imported by the tests, never run alone.
HELPERS = {"cli/corpus.py", "kernel/lib.sh", "kernel/tcp_probe.py", "kernel/foreign.nft"}


def main():
    tests = pathlib.Path(sys.argv[1]) / "tests"
    cmake = (tests / "CMakeLists.txt").read_text()
    problems = []
    for folder in ("cli", "kernel"):
        for path in sorted((tests / folder).iterdir()):
            rel = f"{folder}/{path.name}"
            if rel in HELPERS or path.suffix not in {".py", ".sh", ".cc"}:
                continue
            # kernel scripts are registered by name alone (op25bc_kernel_script).
            if rel not in cmake and not (folder == "kernel" and f" {path.name})" in cmake):
                problems.append(f"tests/{rel}: not registered in tests/CMakeLists.txt")
    for name in NAMES.findall(cmake):
        if not name.startswith(NEEDS):
            problems.append(f'test "{name}": its name does not start with what it needs '
                            f'({", ".join(n.strip() for n in NEEDS)})')
    for p in problems:
        print(p)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
