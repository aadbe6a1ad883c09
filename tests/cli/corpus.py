# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared by the corpus tests: materialise each case of invalid.json as a file."""
import argparse
import json
import pathlib

import jsonpatch

DATA = pathlib.Path(__file__).resolve().parent.parent / "corpus"  # the data: tests/corpus


def arguments():
    """The arguments every test script here takes: --op25bc BINARY --root SOURCE_DIR."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--op25bc", required=True)
    ap.add_argument("--root", required=True, type=pathlib.Path)
    return ap.parse_args()


def load_cases():
    return json.loads((DATA / "invalid.json").read_text())["cases"]


def base_policy():
    return json.loads((DATA / "base.json").read_text())


def write_case(case, directory):
    """Writes the case's policy into `directory`; returns its path."""
    path = pathlib.Path(directory) / (case["name"].replace(" ", "-").replace("/", "-") + ".json")
    if "raw" in case:
        path.write_text(case["raw"])
    else:
        policy = jsonpatch.apply_patch(base_policy(), case["patch"])
        path.write_text(json.dumps(policy, indent=2))
    return path


def expected_line(case, path):
    """The start of the diagnostic line op25bc must print for this case."""
    if "line" in case:
        return f"{path}:{case['line']}:"
    if case["pointer"] == "":
        return f"{path}: error: "
    return f"{path}: {case['pointer']}: error: "


class Tally:
    """Counts checks; prints failures and the closing 'N passed, N failed' line."""

    def __init__(self):
        self.passed = self.failed = 0

    def expect(self, ok, what, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {what}" + (f"\n{detail}" if detail else ""))

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0
