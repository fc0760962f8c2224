"""docs/trainers.md runs: its steps, in order, in a fresh directory, print what the page shows.

Blocks: ```LANG file=PATH writes the file; ```sh step runs each line with bash (with `groundwork`
on the PATH); the ```text output [exit=N] block after a step is compared with what the step
printed (stdout and stderr together), a `...` line standing for any lines and `...` inside a line
for any text. The scenario format example must be a valid scenario file for the shipped knowledge
base.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import knowledge_base
from groundwork.trainer.scenarios import load_scenarios
from tests.test_dsl_docs import read_blocks

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "trainers.md"
BLOCKS = read_blocks(DOC)


def matches(expected: list[str], actual: list[str]) -> bool:
    if not expected:
        return not actual
    head, rest = expected[0], expected[1:]
    if head == "...":
        return any(matches(rest, actual[i:]) for i in range(len(actual) + 1))
    if not actual:
        return False
    pattern = ".*".join(re.escape(part) for part in head.split("..."))
    return re.fullmatch(pattern, actual[0]) is not None and matches(rest, actual[1:])


def _shell(tmp_path: Path) -> dict:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "groundwork"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -c '
                    f'"from groundwork.cli import main; main()" "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1", "GROUNDWORK_DB": str(tmp_path / "audit.sqlite")}


def test_the_tutorial_runs_step_by_step(tmp_path):
    work = tmp_path / "work"
    (work / "knowledge_base").mkdir(parents=True)
    shutil.copytree(ROOT / "knowledge_base" / "core", work / "knowledge_base" / "core")
    env = _shell(tmp_path)
    steps = 0
    for index, block in enumerate(BLOCKS):
        if "file" in block.options:
            target = work / block.options["file"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.text, encoding="utf-8")
        elif block.lang == "sh" and "step" in block.words:
            steps += 1
            result = subprocess.run(["bash", "-e", "-c", block.text], cwd=work, env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                    timeout=300)
            following = BLOCKS[index + 1] if index + 1 < len(BLOCKS) else None
            where = f"docs/trainers.md:{block.line}"
            if following is not None and "output" in following.words:
                expected = following.text.rstrip("\n").split("\n")
                assert result.returncode == int(following.options.get("exit", 0)), \
                    f"{where}: exit {result.returncode}\n{result.stdout}"
                assert matches(expected, result.stdout.rstrip("\n").split("\n")), \
                    f"{where}: printed\n{result.stdout}"
            else:
                assert result.returncode == 0, f"{where}: exit {result.returncode}\n{result.stdout}"
    assert steps >= 7


def test_the_format_example_is_a_valid_scenario_file(tmp_path):
    example = next(b for b in BLOCKS if b.lang == "toml" and "format" in b.words)
    path = tmp_path / "format.scenario.toml"
    path.write_text(example.text, encoding="utf-8")
    scenarios, diagnostics = load_scenarios([(path, str(path))], knowledge_base.load())
    assert diagnostics == [] and [s.name for s in scenarios] == ["relate-carer-dysregulated"]
