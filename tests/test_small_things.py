"""The small things a new user trips on (issue #18 part 5), each with its regression test."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT, run_cli, run_here

SYSTEM_DEPS = ROOT / "scripts" / "system-deps.sh"


def _stub(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def _system_deps(tmp_path, env: dict | None = None) -> subprocess.CompletedProcess:
    """scripts/system-deps.sh as a user without root or sudo runs it, graphviz installed."""
    stubs = tmp_path / "bin"
    stubs.mkdir()
    _stub(stubs, "dot", "exit 0")
    _stub(stubs, "id", "echo 1000")
    return subprocess.run(["/bin/sh", str(SYSTEM_DEPS)], env={"PATH": str(stubs), **(env or {})},
                          capture_output=True, text=True, timeout=30)


def test_make_test_says_plainly_that_browser_tests_are_skipped_and_how_to_enable_them(tmp_path):
    result = _system_deps(tmp_path)
    assert result.returncode == 0
    assert "the browser tests are skipped" in result.stderr, result.stderr
    assert "to enable them: sudo apt-get install -y chromium" in result.stderr


def test_the_browser_can_be_left_out_on_purpose(tmp_path):
    result = _system_deps(tmp_path, {"GROUNDWORK_NO_BROWSER": "1"})
    assert result.returncode == 0 and result.stderr == ""


def test_the_readme_diff_command_runs_as_written(tmp_path):
    """`examples/` also holds examples/invalid/ (bad input on purpose): the README names the
    example clients, so the command it shows exits 0."""
    import re
    import shlex
    import shutil
    line = next(line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
                if line.startswith("groundwork diff "))
    command = re.sub(r"\s+#.*$", "", line)
    shutil.copytree(ROOT / "knowledge_base" / "core", tmp_path / "my-kb")
    shutil.copytree(ROOT / "knowledge_base", tmp_path / "knowledge_base", dirs_exist_ok=True)
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    args = shlex.split(command)[1:]
    expanded = [a for arg in args for a in (sorted(str(p.relative_to(tmp_path))
                for p in tmp_path.glob(arg)) if "*" in arg else [arg])]
    result = run_cli(*expanded, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("named", ["/etc/passwd", "../../secret.json", "../scenarios/../../secret.json"])
def test_a_scenario_names_only_assessments_inside_the_knowledge_base(tmp_path, named):
    from tests.kbfactory import make_kb
    (tmp_path / "secret.json").write_text('{"client_id": "TOP-SECRET-LINE"\n', encoding="utf-8")
    root = make_kb(tmp_path / "kb", "")
    (root / "scenarios").mkdir()
    (root / "scenarios" / "mine.scenario.toml").write_text(
        f'[[scenario]]\nname = "x"\nassessment = "{named}"\nexpect = {{ no_action = false }}\n',
        encoding="utf-8")
    code, out, err = run_here("test", str(root))
    assert code == 2 and out == "", err
    assert err.startswith(f"{root}/scenarios/mine.scenario.toml: scenario[0].assessment: the "
                          "assessment must be a .json file inside the knowledge base directory"), err
    assert "TOP-SECRET" not in err and "root:" not in err


def _every_command():
    import click
    from groundwork.cli import COMMANDS, load_command

    def walk(command, path):
        yield path
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk(sub, path + [name])
    for name in COMMANDS:
        yield from walk(load_command(name), [name])


def test_help_shows_no_type_placeholders():
    """A flag is shown bare, a value by what it is (FILE, N, ADDRESS) or its choices: never
    `<bool>`, `<str>`, `<int>` or `<path>` after an option."""
    import re
    for path in _every_command():
        code, out, _ = run_here(*path, "--help")
        assert code == 0
        for line in out.splitlines():
            if line.strip().startswith("-"):
                assert not re.search(r"<(bool|str|int|path|float|int range)[^>]*>", line), (path, line)


@pytest.mark.parametrize("case", ["child-in-crisis", "young-child", "adolescent"])
def test_no_doubled_full_stops_in_any_output(case):
    """Reasons written in rule files end with a full stop; the outputs add none after them."""
    import json
    import re
    from tests.helpers import EXAMPLES
    path = str(EXAMPLES / f"{case}.json")
    outputs = {}
    for fmt in ("text", "json", "html", "fhir"):
        code, out, err = run_here("assess", path, "--no-audit", "--format", fmt)
        assert code == 0, err
        outputs[fmt] = out
    plan = json.loads(outputs["json"])
    held = [a["intervention"] for a in plan["avoided"]] + [n["intervention"] for n in plan["not_suitable"]]
    assert held, "the case has avoided or not-suitable items to explain"
    for intervention in held[:4]:
        for fmt in ("text", "json"):
            code, out, err = run_here("why-not", path, intervention, "--format", fmt)
            assert code == 0, err
            outputs[f"why-not {intervention} {fmt}"] = out
    for name, out in outputs.items():
        assert not re.search(r"[A-Za-z)]\.\.(?!\.)", out), (name, re.search(r".{60}\.\.(?!\.).{20}", out))


def test_a_scaled_dose_says_what_it_was_scaled_from():
    """A multiplier (`minutes x0.5, frequency x2`) is read against the dose it changed."""
    from tests.helpers import EXAMPLES
    path = str(EXAMPLES / "child-in-crisis.json")
    expected = ("state-baseline-hyperaroused: minutes x0.5, frequency x2 (from 1 per day, 15 "
                "minutes to 2 per day, 8 minutes)")
    for fmt in ("json", "html"):
        code, out, err = run_here("assess", path, "--no-audit", "--format", fmt)
        assert code == 0, err
        assert expected in out, fmt


def test_feedback_accepting_a_not_suitable_item_is_refused_and_an_override_is_recorded(tmp_path):
    import sqlite3
    from tests.helpers import EXAMPLES
    db = str(tmp_path / "audit.sqlite")
    assert run_here("assess", str(EXAMPLES / "young-child.json"), "--db", db, "--format", "json")[0] == 0
    code, out, err = run_here("audit", "feedback", "1", "psychoeducation", "accepted", "--db", db)
    assert code == 2 and out == ""
    assert "E725: psychoeducation is not suitable for this client in record 1 (" in err, err
    assert "it was never offered, so it cannot be accepted" in err
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM records").fetchone()[0] == 1
    code, out, err = run_here("audit", "feedback", "1", "psychoeducation", "overridden", "--reason",
                              "clinical_judgement", "--db", db)
    assert code == 0, err
