"""The README's `groundwork` console examples print what the README shows (errors included).

A shown line `...` stands for any number of printed lines; every other shown line must be printed,
in order, the first one first.
"""

from __future__ import annotations

import re
import shlex

from tests.helpers import ROOT, run_cli

BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def console_examples():
    """(command arguments, expected output lines) for each `$ groundwork …` in a console block."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for block in BLOCK.findall(text):
        lines = block.splitlines()
        for index, line in enumerate(lines):
            if line.startswith("$ groundwork "):
                shown = []
                for following in lines[index + 1:]:
                    if following.startswith("$ "):
                        break
                    shown.append(following)
                yield shlex.split(line[2:])[1:], shown


def test_readme_console_examples_print_what_they_show():
    examples = list(console_examples())
    assert examples, "the README shows no console example"
    for args, shown in examples:
        result = run_cli(*args)
        printed = (result.stdout + result.stderr).splitlines()
        assert_shows(printed, shown, args)


def assert_shows(printed: list[str], shown: list[str], args) -> None:
    position, skipping = 0, False
    for line in shown:
        if line == "...":
            skipping = True
            continue
        if skipping:
            assert line in printed[position:], f"{args}: {line!r} not printed"
            position = printed.index(line, position) + 1
        else:
            assert position < len(printed) and printed[position] == line, (
                f"{args}: expected {line!r}, printed {printed[position:position + 1]}")
            position += 1
        skipping = False
