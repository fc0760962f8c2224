"""`import groundwork` as a library (docs/api.md), and the CLI conventions that go with it:
`--version`, `-` for standard input, shell completion."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

import engine
import groundwork
from engine.pipeline import plan_json
from tests.helpers import EXAMPLES, ROOT, run_cli

ADULT = EXAMPLES / "adult.json"


def test_import_groundwork_is_light():
    probe = ("import sys, groundwork; heavy = ('pydantic', 'lark', 'networkx', 'engine.pipeline', "
             "'typer'); print([m for m in heavy if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.stdout.strip() == "[]", done.stderr


def test_the_issue_one_liner_works():
    plan = groundwork.assess(ADULT.read_text(encoding="utf-8"))
    assert plan.phases[0].name in ("regulate", "relate", "reason")


def test_every_input_form_gives_the_cli_plan_byte_for_byte():
    text = ADULT.read_text(encoding="utf-8")
    raw = json.loads(text)
    model = groundwork.Assessment.model_validate(raw)
    kb = groundwork.load_knowledge_base()
    plans = {plan_json(groundwork.assess(given, kb)) for given in
             (text, raw, model, ADULT, str(ADULT))}
    cli = run_cli("assess", str(ADULT), "--format", "json", "--no-audit")
    assert cli.returncode == 0, cli.stderr
    assert plans == {cli.stdout}


def test_a_knowledge_base_can_be_named_by_its_directory():
    plan = groundwork.assess(ADULT, kb=ROOT / "knowledge_base" / "core")
    assert plan.provenance.kb_name == groundwork.load_knowledge_base().name


def test_anything_else_is_a_type_error():
    with pytest.raises(TypeError, match="not a int"):
        groundwork.assess(42)


def test_bad_input_raises_one_diagnostic_per_problem_naming_the_field():
    raw = json.loads(ADULT.read_text(encoding="utf-8"))
    raw["ratings"][0]["value"] = 99
    with pytest.raises(groundwork.GroundworkError) as caught:
        groundwork.assess(raw)
    assert caught.value.first.field_path == "ratings[0].value"
    assert caught.value.first.path == "<assessment>"


def test_explain_and_why_not():
    plan = groundwork.assess(ADULT)
    active = plan.phases[0].recommendations[0].intervention
    assert isinstance(groundwork.explain(ADULT, active), groundwork.Why)
    answer = groundwork.why_not(ADULT, active)
    assert isinstance(answer, groundwork.WhyNot) and answer.intervention == active
    with pytest.raises(groundwork.GroundworkError, match="E220"):
        groundwork.why_not(ADULT, "no-such-thing")


def test_lint_reports_the_bundled_knowledge_base_clean():
    report = groundwork.lint()
    assert (report.errors, report.warnings) == (0, 0) and report.rules > 0


def test_the_package_is_typed_and_names_what_it_offers():
    assert (ROOT / "groundwork" / "py.typed").is_file()
    for name in ("load_knowledge_base", "assess", "explain", "why_not", "lint", "Plan",
                 "Assessment", "Why", "WhyNot", "GroundworkError"):
        assert name in groundwork.__all__ and getattr(groundwork, name) is not None
    with pytest.raises(AttributeError):
        groundwork.no_such_name  # noqa: B018


def test_one_version_everywhere():
    assert groundwork.__version__ == engine.__version__ == version("groundwork-cds")
    shown = run_cli("--version")
    assert (shown.returncode, shown.stdout) == (0, f"groundwork {engine.__version__}\n")
    plan = groundwork.assess(ADULT)
    assert plan.provenance.engine_version == groundwork.__version__


# ---- standard input ----

@pytest.mark.parametrize("command", [("assess", "-", "--no-audit", "-f", "json"),
                                     ("explain", "-", "predictable-daily-rhythm", "-f", "json"),
                                     ("why-not", "-", "predictable-daily-rhythm", "-f", "json")])
def test_a_dash_reads_the_assessment_from_standard_input(command):
    text = ADULT.read_text(encoding="utf-8")
    piped = run_cli(*command, stdin=text)
    named = run_cli(*[str(ADULT) if part == "-" else part for part in command])
    assert piped.returncode == named.returncode == 0, piped.stderr
    assert piped.stdout == named.stdout


def test_bad_standard_input_is_one_message_exit_2_and_nothing_written(tmp_path):
    out = tmp_path / "plan.json"
    done = run_cli("assess", "-", "--no-audit", "-o", str(out), stdin='{"client_id": ')
    assert done.returncode == 2
    assert done.stderr.splitlines()[0].startswith("<stdin>:1:")
    assert "E203" in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()


def test_empty_standard_input_says_so():
    done = run_cli("why-not", "-", "predictable-daily-rhythm", stdin="")
    assert done.returncode == 2 and "<stdin>" in done.stderr and "empty" in done.stderr


# ---- shell completion ----

def test_shell_completion_completes_command_names():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "_GROUNDWORK_COMPLETE": "complete_bash",
           "COMP_WORDS": "groundwork why", "COMP_CWORD": "1"}
    script = "import sys; sys.argv[0] = 'groundwork'; from groundwork.cli import main; main()"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.split() == ["why-not"], done.stderr
    # typer detects the calling shell from the process tree, which under `make` is sh; its own
    # test switch makes `--show-completion` take the shell as a value, as a user's bash would be.
    shown = subprocess.run([sys.executable, "-c", script, "--show-completion", "bash"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120,
                           env={**os.environ, "PYTHONPATH": str(ROOT),
                                "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"})
    assert "_GROUNDWORK_COMPLETE" in shown.stdout, shown.stderr


def test_docs_name_the_conventions():
    readme = Path(ROOT / "README.md").read_text(encoding="utf-8")
    assert "--version" in readme and "--install-completion" in readme and "docs/api.md" in readme
