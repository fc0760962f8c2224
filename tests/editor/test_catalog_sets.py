"""Catalog-set gates: `defer every relate intervention until …` is resolved against the catalog,
reported when it names nothing, explained with the set and the member, and keeps W350 quiet
without a hand-kept list."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsl import ast
from dsl.errors import GroundworkError
from dsl.kb import load_knowledge_base
from groundwork.trainer.lint import lint_path
from tests.helpers import EXAMPLES, run_cli
from tests.kbfactory import INTERVENTIONS, make_kb, rule

GATE = "defer every {words} intervention until brainstem.band <= mild"
PLAY = rule("play", "limbic.band >= moderate", "recommend dyadic-play")


def _deferred(tmp_path: Path, words: str) -> list[str]:
    make_kb(tmp_path / "kb", PLAY + rule("gate", "brainstem.band >= moderate",
                                         GATE.format(words=words)))
    kb = load_knowledge_base(tmp_path / "kb")
    return [a.intervention for a in kb.rule("gate").actions if isinstance(a, ast.Defer)]


@pytest.mark.parametrize("words, members", [
    ("relate", ["dyadic-play"]),
    ("reason", ["talking-therapy"]),
    ("regulate", ["walk-and-talk"]),
    ("cortex", ["talking-therapy"]),
    ("relational", ["dyadic-play"]),
    ("relational relate", ["dyadic-play"]),
    ("limbic relational", ["dyadic-play"]),
])
def test_a_set_is_resolved_by_phase_region_and_modality(tmp_path, words, members):
    assert _deferred(tmp_path, words) == members


def test_every_member_remembers_the_set(tmp_path):
    make_kb(tmp_path / "kb", PLAY + rule("gate", "brainstem.band >= moderate",
                                         GATE.format(words="relate")))
    defer = load_knowledge_base(tmp_path / "kb").rule("gate").actions[0]
    assert str(defer.via) == "every relate intervention"
    assert ast.deferred_name(defer) == "every relate intervention"


@pytest.mark.parametrize("words, code, message", [
    ("relat", "E117", "'relat' in 'every relat intervention' is no phase, region, modality, track "
                      "or marker (did you mean 'relate' or"),
    ("relate reason", "E118", "names two phases ('relate' and 'reason')"),
    ("limbic cortex", "E118", "names two regions ('limbic' and 'cortex')"),
])
def test_a_set_that_names_nothing_is_an_error(tmp_path, words, code, message):
    with pytest.raises(GroundworkError) as refused:
        _deferred(tmp_path, words)
    assert refused.value.first.code == code and message in refused.value.first.message


def test_an_empty_set_is_a_warning(tmp_path):
    make_kb(tmp_path / "kb", PLAY + rule("gate", "brainstem.band >= moderate",
                                         GATE.format(words="limbic motor")))
    kb = load_knowledge_base(tmp_path / "kb")
    assert [(w.code, w.line) for w in kb.warnings] == [("W119", 50)]


def test_a_new_intervention_is_gated_without_touching_the_gate(tmp_path):
    new = INTERVENTIONS + '''
intervention family-games {
  name "Family games"
  region limbic
  modality relational
  dose 1 per week, 30 minutes, by caregiver
  settings home
  source "Bath, H. (2008). The three pillars of trauma-informed care. Reclaiming Children and Youth, 17(3), 17-21"
}
'''
    gate = rule("gate", "brainstem.band >= moderate or diencephalon.band >= moderate",
                "defer every relate intervention until brainstem.band <= mild and "
                "diencephalon.band <= mild")
    games = rule("games", "limbic.band >= moderate", "recommend family-games")
    make_kb(tmp_path / "kb", PLAY + games + gate, interventions=new)
    report = lint_path(tmp_path / "kb")
    assert not [d for d in report.diagnostics if d.code == "W350"], report.diagnostics
    assert not [d for d in report.diagnostics if "family-games" in d.message]
    make_kb(tmp_path / "kb", PLAY + games, interventions=new)
    assert any(d.code == "W350" for d in lint_path(tmp_path / "kb").diagnostics)


def test_one_gate_finding_for_a_whole_set(tmp_path):
    gate = rule("gate", "brainstem.band >= moderate",
                "defer every regulate intervention until brainstem.band >= mild")
    make_kb(tmp_path / "kb", gate + rule("walk", "brainstem.band >= moderate",
                                         "recommend walk-and-talk"))
    found = [d for d in lint_path(tmp_path / "kb").diagnostics if d.code == "W403"]
    assert [d.message.split(" never defers")[0] for d in found] == [
        "'defer every regulate intervention until brainstem.band >= mild'"]


def test_the_explanation_names_the_set_and_the_member():
    result = run_cli("why-not", str(EXAMPLES / "child-in-crisis.json"), "dyadic-attunement-play")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert ("Rule bottom-up-relate-waits defers every client relate intervention, dyadic-attunement-play "
            "among them, until") in text
    assert "defer every client relate intervention until" in text
    assert "(dyadic-attunement-play is one of them)" in text


def test_the_shipped_gates_keep_no_hand_kept_list():
    text = (Path(__file__).resolve().parents[2] / "knowledge_base" / "core"
            / "15-bottom-up-gates.gw").read_text(encoding="utf-8")
    defers = [line.split()[1] for line in text.splitlines() if line.strip().startswith("defer ")]
    assert defers == ["every", "every"]
