"""A knowledge base with a lint error makes no plan: `assess`, `batch`, `explain`, `serve` and the
API refuse it with exit 2, the error located, and nothing written. Warnings pass."""

from __future__ import annotations

import ast as python_ast
import inspect
from pathlib import Path

import pytest

import dsl.analysis
from dsl.analysis import ERROR_ANALYSES
from dsl.errors import GroundworkError
from groundwork.web.app import create_app
from tests.helpers import EXAMPLES, run_cli
from tests.kbfactory import make_kb, rule
from tests.web_support import settings

NEVER = rule("never", "cortex.score < 1 and cortex.score > 2", "recommend talking-therapy")
LOCATION = "kb/10-test.gw:"
CASE = str(EXAMPLES / "school-age-child.json")


@pytest.fixture
def bad_kb(tmp_path) -> Path:
    make_kb(tmp_path / "kb", rule("walk", "brainstem.band >= moderate",
                                  "recommend walk-and-talk") + NEVER)
    return tmp_path


def _refused(result, tmp_path: Path) -> None:
    assert result.returncode == 2, result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith(LOCATION) and ": error: E401: rule 'never' can never fire" in first
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "out.txt").exists() and not (tmp_path / "audit.sqlite").exists()


def test_assess_refuses_a_knowledge_base_with_a_lint_error(bad_kb):
    result = run_cli("assess", CASE, "--kb", "kb", "--out", "out.txt", "--db", "audit.sqlite",
                     cwd=bad_kb)
    _refused(result, bad_kb)


def test_batch_refuses_a_knowledge_base_with_a_lint_error(bad_kb):
    result = run_cli("batch", CASE, "--kb", "kb", "--out", "out.txt", "--audit",
                     "--db", "audit.sqlite", cwd=bad_kb)
    _refused(result, bad_kb)


def test_explain_refuses_a_knowledge_base_with_a_lint_error(bad_kb):
    result = run_cli("explain", CASE, "walk-and-talk", "--kb", "kb", "--out", "out.txt", cwd=bad_kb)
    _refused(result, bad_kb)


def test_serve_refuses_a_knowledge_base_with_a_lint_error(bad_kb):
    result = run_cli("serve", "--kb", "kb", "--db", "audit.sqlite", cwd=bad_kb,
                     env={"GROUNDWORK_TOKEN": "Xq3-vT9_pL2mZ8wK7rN4bY6c"})
    _refused(result, bad_kb)


def test_the_api_cannot_be_created_over_a_knowledge_base_with_a_lint_error(bad_kb):
    with pytest.raises(GroundworkError) as refused:
        create_app(settings(bad_kb, kb=bad_kb / "kb"))
    assert refused.value.first.code == "E401"
    assert not (bad_kb / "audit.sqlite").exists()


def test_warnings_pass(tmp_path):
    # W350: relational work with no gate on the regions below; a warning, not an error.
    make_kb(tmp_path / "kb", rule("play", "limbic.band >= moderate", "recommend dyadic-play"))
    lint = run_cli("lint", "kb", cwd=tmp_path)
    assert lint.returncode == 0 and ": warning: W350:" in lint.stderr
    result = run_cli("assess", CASE, "--kb", "kb", "--no-audit", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_only_the_error_analyses_can_report_an_error():
    """Every analysis that can add an E-code is in ERROR_ANALYSES, so none escapes the refusal."""
    source = Path(inspect.getfile(dsl.analysis)).parent
    modules_with_errors = set()
    for path in source.glob("*.py"):
        tree = python_ast.parse(path.read_text(encoding="utf-8"))
        for node in python_ast.walk(tree):
            if isinstance(node, python_ast.Constant) and isinstance(node.value, str) \
                    and len(node.value) == 4 and node.value[0] == "E" and node.value[1:].isdigit():
                modules_with_errors.add(path.stem)
    assert modules_with_errors == {inspect.getmodule(a).__name__.rsplit(".", 1)[1]
                                   for a in ERROR_ANALYSES}
