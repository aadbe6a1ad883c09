#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The folder layout is the pipeline: each folder of src/ (with its headers
under include/op25bc/) includes only folders of lower layers, so every
dependency points one way. A new folder must be given a layer here.

The backends are peers (one layer), so neither includes the other, and the
commands (src/cli/) see only the port: they name no backend, by header,
namespace or name, except in the one file that registers them.

The run layer (src/run/) is the one workflow above the port: no layer above
it opens a backend's session, runs one, takes op25bc's lock or writes the
history or the session files, and the commands include nothing from
history/ or session/: they see those through the run layer's reports."""
import pathlib
import re
import sys

# Lowest first; a folder may include its own headers and those of lower layers.
LAYERS = [
    {"text", "time"},
    {"diag"},
    {"net"},
    {"io"},
    {"policy"},
    {"session"},  # subscriber exemptions that follow a session: the table and index
    {"eval", "explain"},
    {"ir", "timeline"},
    {"compile", "notice"},  # the notice is written from the timeline, beside the compiler
    {"backend"},  # the port every backend implements
    {"history"},
    {"nft", "xt"},  # the backends: peers, so neither includes the other
    {"run"},  # the one workflow above the port: lock, pin, sessions, run, index, history
    {"schedule"},
    {"report"},
    {"cli"},
]
LAYER = {folder: n for n, layer in enumerate(LAYERS) for folder in layer}
INCLUDE = re.compile(r'#include "op25bc/([a-z_]+)/')
BACKENDS = {"nft", "xt"}
REGISTRATION = "src/cli/backends.cc"
# A backend named in the commands: its headers, its namespace, its name.
NAMED = re.compile(r'#include "op25bc/(nft|xt)/|\b(nft|xt)::|"(nftables|iptables)"')
RUN_LAYER = "run"
# What only the run layer does: a backend's session opened (Backend::open
# takes an Access: "open({") or run, the lock, the history or the session
# files written.
WORKFLOW = re.compile(r'\bopen\(\{|session\(\)->run\(|Session::run|replace_elements\(|'
                      r'\bLockFile\b|history::remember\(|\.save\(|keep_policy\(|'
                      r'forget_policies_except\(|write_session_table\(|keep_session_index\(')
INTERNALS = re.compile(r'#include "op25bc/(history|session)/')


def main():
    root = pathlib.Path(sys.argv[1])
    problems = []
    folders = sorted(p.name for p in (root / "src").iterdir() if p.is_dir())
    for folder in folders:
        if folder not in LAYER:
            problems.append(f"src/{folder}: no layer in tests/layers_test.py")
            continue
        files = list((root / "src" / folder).glob("*.[ch]*"))
        files += list((root / "include" / "op25bc" / folder).glob("*.h"))
        for path in files:
            for target in INCLUDE.findall(path.read_text()):
                if target != folder and LAYER.get(target, 99) >= LAYER[folder]:
                    problems.append(f"{path.relative_to(root)}: {folder} includes {target}, "
                                    "which is not below it")
    for path in sorted((root / "src" / "cli").glob("*.[ch]*")):
        rel = path.relative_to(root).as_posix()
        if rel == REGISTRATION:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if NAMED.search(line):
                problems.append(f"{rel}:{n}: names a backend outside {REGISTRATION}: "
                                f"{line.strip()}")
    for folder in folders:
        if LAYER.get(folder, -1) <= LAYER[RUN_LAYER]:
            continue
        for path in sorted((root / "src" / folder).glob("*.[ch]*")):
            rel = path.relative_to(root).as_posix()
            for n, line in enumerate(path.read_text().splitlines(), 1):
                if WORKFLOW.search(line):
                    problems.append(f"{rel}:{n}: does what only src/run does: {line.strip()}")
                if folder == "cli" and INTERNALS.search(line):
                    problems.append(f"{rel}:{n}: includes history/ or session/ internals "
                                    f"(go through src/run): {line.strip()}")
    for p in problems:
        print(p)
    print(f"{len(folders)} folders, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
