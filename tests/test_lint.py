"""`groundwork lint`: the checks stay silent on the shipped knowledge base, warnings can be
silenced, every problem is reported in one run, and the command's output and exit codes.

Each check's minimal triggering rule file is in docs/dsl.md section 15 (tests/test_lint_docs.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from groundwork.trainer.lint import lint_path
from tests.helpers import run_cli
from tests.kbfactory import make_kb, rule
from tests.test_lint_docs import EXAMPLES

CODES = sorted({block.options["lint"] for block, _ in EXAMPLES})

@pytest.fixture(scope="module")
def shipped():
    return lint_path(None)


@pytest.mark.parametrize("code", CODES)
def test_check_is_silent_on_the_shipped_knowledge_base(code, shipped):
    assert [d.render() for d in shipped.diagnostics if d.code == code] == []


def test_the_shipped_knowledge_base_has_no_lint_error(shipped):
    assert shipped.errors == 0
    assert shipped.scenarios >= 30


def _lint(tmp_path, text: str, monkeypatch) -> list[str]:
    make_kb(tmp_path / "kb", text)
    monkeypatch.chdir(tmp_path)
    return [d.render().split("\n")[0] for d in lint_path(Path("kb")).diagnostics]


def test_an_allow_comment_on_the_avoid_silences_the_conflict(tmp_path, monkeypatch):
    recommend = rule("walk", "brainstem.band >= moderate", "recommend walk-and-talk")
    avoid = rule("young", "age.years < 3", 'avoid walk-and-talk because "too young"')
    found = _lint(tmp_path, recommend + avoid, monkeypatch)
    assert any(": W310: " in line for line in found)
    allowed = avoid.replace('"too young"', '"too young"  # lint: allow W310')
    make_kb(tmp_path / "kb", recommend + allowed)
    report = lint_path(Path("kb"))
    assert not [d for d in report.diagnostics if d.code == "W310"]
    assert report.silenced == 1 and "1 silenced" in report.summary()


def test_an_allow_comment_above_the_rule_covers_the_whole_rule(tmp_path, monkeypatch):
    text = "# lint: allow W350\n" + rule("play", "limbic.band >= moderate", "recommend dyadic-play")
    assert not [line for line in _lint(tmp_path, text, monkeypatch) if ": W350: " in line]


def test_errors_cannot_be_silenced(tmp_path, monkeypatch):
    text = rule("never", "cortex.score < 1 and cortex.score > 2  # lint: allow E401",
                "recommend talking-therapy")
    assert any(": E401: " in line for line in _lint(tmp_path, text, monkeypatch))


def test_an_impossible_derived_fact_is_seen_through(tmp_path, monkeypatch):
    text = ('fact disorganised "Severely compromised brainstem"\n'
            + rule("mark", "brainstem.band = severe", "derive disorganised")
            + rule("contradiction", "disorganised and brainstem.band <= mild",
                   "recommend walk-and-talk"))
    found = [line for line in _lint(tmp_path, text, monkeypatch) if ": E401: " in line]
    assert len(found) == 1
    assert "'brainstem.band = severe (through disorganised)' and 'brainstem.band <= mild' " \
           "cannot all hold" in found[0]


def test_a_gated_relational_rule_is_not_an_ordering_violation(tmp_path, monkeypatch):
    gated = rule("play", "limbic.band >= moderate and brainstem.band <= mild and "
                 "diencephalon.band <= mild", "recommend dyadic-play")
    deferred = rule("play-later", "limbic.band >= moderate",
                    "recommend dyadic-play\n    defer dyadic-play until brainstem.band <= mild "
                    "and diencephalon.band <= mild")
    found = _lint(tmp_path, gated + deferred, monkeypatch)
    assert not [line for line in found if ": W350: " in line]


# ---- the command ----

def _bad_kb(tmp_path) -> Path:
    """Three problems in one file: an unknown intervention, a duplicate rule, a prerequisite cycle."""
    cycle = ('intervention a { name "A" region brainstem modality motor dose 1 per day, 5 minutes, '
             'by caregiver settings home source "s" requires b }\n'
             'intervention b { name "B" region brainstem modality motor dose 1 per day, 5 minutes, '
             'by caregiver settings home source "s" requires a }\n')
    text = (rule("r1", "brainstem.band >= mild", "recommend walk-and-tlak")
            + rule("r1", "brainstem.band = severe", "recommend a"))
    return make_kb(tmp_path / "bad", text, interventions=cycle + _catalog())


def _catalog() -> str:
    from tests.kbfactory import INTERVENTIONS
    return INTERVENTIONS


def test_lint_reports_every_error_in_one_run_and_exits_1(tmp_path):
    root = _bad_kb(tmp_path)
    result = run_cli("lint", str(root))
    assert result.returncode == 1, result.stderr
    heads = [line for line in result.stderr.splitlines() if ": error: " in line]
    codes = [line.split(": ")[2] for line in heads]
    assert {"E113", "E130", "E141"} <= set(codes), heads
    assert "did you mean 'walk-and-talk'?" in result.stderr
    assert "prerequisite cycle: a -> b -> a" in result.stderr
    assert result.stdout.strip().endswith(f"{len(heads)} errors, 0 warnings")
    assert "Traceback" not in result.stderr


def test_lint_warnings_alone_exit_0_and_strict_makes_them_fail(tmp_path):
    root = make_kb(tmp_path / "kb", rule("play", "limbic.band >= moderate", "recommend dyadic-play"))
    relaxed, strict = run_cli("lint", str(root)), run_cli("lint", "--strict", str(root))
    assert relaxed.returncode == 0 and strict.returncode == 1
    assert relaxed.stderr.splitlines()[0].startswith(f"{root}/00-model.gw:7:1: warning: W360: ")
    assert ": warning: W350: rule 'play' recommends relate work 'dyadic-play'" in relaxed.stderr


def test_lint_json_lists_every_finding(tmp_path):
    root = make_kb(tmp_path / "kb", rule("play", "limbic.band >= moderate", "recommend dyadic-play"))
    result = run_cli("lint", "--format", "json", str(root))
    data = json.loads(result.stdout)
    assert result.returncode == 0 and result.stderr == ""
    assert data["knowledge_bases"][0]["errors"] == 0
    w350 = [d for d in data["diagnostics"] if d["code"] == "W350"]
    assert w350 and w350[0]["path"] == f"{root}/10-test.gw" and w350[0]["severity"] == "warning"
    assert w350[0]["line"] > 0 and w350[0]["column"] > 0 and w350[0]["hint"]


def test_lint_of_one_file_shows_only_that_file(tmp_path):
    root = make_kb(tmp_path / "kb", rule("play", "limbic.band >= moderate", "recommend dyadic-play"))
    result = run_cli("lint", str(root / "10-test.gw"))
    paths = {line.split(":")[0] for line in result.stderr.splitlines() if ": warning: " in line}
    assert paths == {f"{root}/10-test.gw"}


def test_lint_of_a_missing_path_is_bad_input(tmp_path):
    result = run_cli("lint", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == f"{tmp_path / 'nowhere'}: error: E500: no such file or directory"


def test_lint_without_a_path_checks_the_bundled_knowledge_base():
    result = run_cli("lint")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("knowledge_base/core: ")
    assert " 0 errors, " in result.stdout
