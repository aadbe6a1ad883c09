#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""op25bc(8), op25bc-policy(5) and the bash completion against the real CLI:
every subcommand and option CLI11 knows is documented in the subcommand's own
section of op25bc(8) and offered by the completion for that subcommand; the
completion's option values are the CLI's; the policy example in
op25bc-policy(5) is a valid policy."""
import argparse
import pathlib
import re
import subprocess
import sys
import tempfile

import corpus

OPTION = re.compile(r"^  (?:(-\w),)?(--[\w-]+)", re.M)


def cli_options(op25bc, command=None):
    args = [op25bc] + (command.split() if command else []) + ["--help"]
    text = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    found = set()
    for short, long in OPTION.findall(text):
        found.update(o for o in (short, long) if o)
    found.discard("-h")
    found.discard("--help")
    return found, text


def subcommands(help_text):
    section = help_text.split("Subcommands:", 1)[1]
    return re.findall(r"^  ([a-z]+)\s", section, re.M)


def man_sections(roff):
    """{subcommand: its section's roff}, from `.SS op25bc NAME` to the next heading."""
    parts = re.split(r"^\.SS op25bc ([a-z]+)$", roff, flags=re.M)
    return {name: body.split("\n.SH ", 1)[0] for name, body in zip(parts[1::2], parts[2::2])}


def completion(script, line, cwd=None):
    """COMPREPLY for the command line `line` (the cursor at its end)."""
    bash = f"""
source /usr/share/bash-completion/bash_completion
source {script}
COMP_LINE={line!r}
read -ra COMP_WORDS <<< "$COMP_LINE"
[[ $COMP_LINE == *' ' ]] && COMP_WORDS+=("")
COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))
COMP_POINT=${{#COMP_LINE}}
_op25bc op25bc "${{COMP_WORDS[-1]}}" "${{COMP_WORDS[-2]}}"
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    r = subprocess.run(["bash", "-c", bash], capture_output=True, text=True, cwd=cwd)
    return sorted(w for w in r.stdout.split("\n") if w)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--op25bc", required=True)
    p.add_argument("--root", required=True, type=pathlib.Path)
    p.add_argument("--man", required=True, type=pathlib.Path, help="folder of the built pages")
    a = p.parse_args()
    tally = corpus.Tally()
    script = a.root / "completion" / "op25bc.bash"
    if not pathlib.Path("/usr/share/bash-completion/bash_completion").exists():
        print("FAIL: Debian bash-completion is required")
        return 1

    global_options, main_help = cli_options(a.op25bc)
    commands = subcommands(main_help)
    tally.expect(len(commands) >= 12, f"the CLI lists its subcommands ({commands})")
    roff = (a.man / "op25bc.8").read_text()
    sections = man_sections(roff)
    for option in global_options:
        tally.expect(f"\\fB{option}\\fR" in roff, f"op25bc(8) documents {option}")
    tally.expect(sorted(completion(script, "op25bc ")) ==
                 sorted(commands + ["--help", "--version"]), "completion offers every subcommand")
    for command in commands:
        own, help_text = cli_options(a.op25bc, command)
        # A command with subcommands of its own (exempt add|remove|list): its
        # section documents theirs, the completion offers each one's.
        nested = subcommands(help_text) if "Subcommands:" in help_text else []
        tally.expect(completion(script, f"op25bc {command} ") == sorted(nested + ["--help"])
                     if nested else True, f"completion offers {command}'s subcommands")
        invocations = {f"{command} {sub}": cli_options(a.op25bc, f"{command} {sub}")[0]
                       for sub in nested} or {command: own}
        options = set().union(*invocations.values())
        section = sections.get(command)
        tally.expect(section is not None, f"op25bc(8) has a section for {command}")
        for option in sorted(options):
            tally.expect(section is not None and f"\\fB{option}\\fR" in section,
                         f"op25bc(8) documents {command} {option}")
        documented = set(re.findall(r"\\fB(--?[\w-]+)\\fR", section or ""))
        tally.expect(documented <= options | global_options | {"--help"},
                     f"op25bc(8) documents no option {command} does not have",
                     str(sorted(documented - options - global_options)))
        for invocation, its in invocations.items():
            offered = set(completion(script, f"op25bc {invocation} -")) - {"--help"}
            tally.expect(offered == {o for o in its if o.startswith("-")},
                         f"completion offers exactly {invocation}'s options",
                         f"completion: {sorted(offered)}\ncli: {sorted(its)}")
    # Option values: what the CLI accepts, nothing else.
    for line, values in [("op25bc compile p.json --format ", ["json", "nft"]),
                         ("op25bc explain p.json --format ", ["json", "text"]),
                         ("op25bc status --format ", ["json", "text"]),
                         ("op25bc schedule p.json --emit ", ["cron", "systemd"])]:
        tally.expect(completion(script, line) == values, f"completion of {line!r}",
                     str(completion(script, line)))
    for line, word in [("op25bc compile p.json --format nft", "nft"), ("op25bc schedule p.json --emit cron", "cron")]:
        r = subprocess.run([a.op25bc, *line.split()[1:]], capture_output=True, text=True)
        tally.expect(r.returncode != 64, f"the CLI accepts the completed value {word!r}", r.stderr)
    with tempfile.TemporaryDirectory() as d:
        (pathlib.Path(d) / "rollout.json").write_text("{}")
        (pathlib.Path(d) / "notes.txt").write_text("")
        got = completion(script.resolve(), "op25bc validate ", cwd=d)
        tally.expect("rollout.json" in got and "notes.txt" not in got,
                     "POLICY completes to JSON files", str(got))

    # The policy example in op25bc-policy(5) is valid.
    page = subprocess.run(["man", "-l", str(a.man / "op25bc-policy.5")], capture_output=True, text=True,
                          env={"MANWIDTH": "200", "PATH": "/usr/bin:/bin"}).stdout
    example = page.split("\nEXAMPLE\n", 1)[1].split("Complete examples", 1)[0]
    example = example[example.index("{"):example.rindex("}") + 1]
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        f.write(example)
        f.flush()
        r = subprocess.run([a.op25bc, "validate", "--strict", f.name], capture_output=True, text=True)
        tally.expect(r.returncode == 0, "the example in op25bc-policy(5) validates strictly", r.stderr)
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main())
