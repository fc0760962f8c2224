"""The sequencer's decisions are data (engine/decisions.py); explain/ only formats them."""

from __future__ import annotations

import ast as pyast
from pathlib import Path

import pytest

import knowledge_base
from dsl.evaluate import evaluate
from engine.decisions import Status
from engine.intake import read_assessment_file
from engine.pipeline import assess
from tests.helpers import EXAMPLES

ROOT = Path(__file__).resolve().parent.parent
KB = knowledge_base.load()


def _engine_imports(path: Path):
    """(module, name) for every `from engine… import name` and `import engine…` in a file."""
    tree = pyast.parse(path.read_text(encoding="utf-8"))
    for node in pyast.walk(tree):
        if isinstance(node, pyast.ImportFrom) and (node.module or "").split(".")[0] == "engine":
            yield from ((node.module, alias.name) for alias in node.names)
        elif isinstance(node, pyast.Import):
            yield from ((alias.name, "") for alias in node.names
                        if alias.name.split(".")[0] == "engine")


def test_explain_imports_nothing_private_from_the_engine():
    private = [f"{path.relative_to(ROOT)}: {module} {name}"
               for path in sorted((ROOT / "explain").rglob("*.py"))
               for module, name in _engine_imports(path)
               if name.startswith("_") or any(p.startswith("_") for p in module.split("."))]
    assert private == []


def test_explain_never_runs_the_sequencer_again():
    sources = {path: path.read_text(encoding="utf-8") for path in (ROOT / "explain").rglob("*.py")}
    asks = sorted(str(p.relative_to(ROOT)) for p, text in sources.items()
                  if "Sequencer" in text or "gather(" in text or "._settings" in text)
    assert asks == []


def _outcome(case: Path):
    assessment, raw = read_assessment_file(str(case), KB)
    return assess(assessment, raw, KB)


@pytest.mark.parametrize("case", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_every_plan_entry_has_its_decision(case):
    outcome = _outcome(case)
    plan, decisions = outcome.plan, outcome.decisions
    for phase in plan.phases:
        for rec in phase.recommendations:
            decision = decisions.get(rec.intervention)
            assert (decision.status, decision.kind, decision.rules) == (
                Status.ACTIVE, "phase", rec.rules)
            assert decision.settings == rec.settings
    for entry in plan.deferred:
        decision = decisions.get(entry.intervention)
        assert decision.status is Status.DEFERRED and decision.kind == entry.gate_kind
        assert (decision.gate.text, decision.gate.holding_text) == (entry.gate, entry.holding_value)
    for entry in plan.avoided:
        decision = decisions.get(entry.intervention)
        assert (decision.status, decision.reason, decision.rules) == (
            Status.AVOIDED, entry.reason, entry.rules)
    for entry in plan.not_suitable:
        assert decisions.get(entry.intervention).status is Status.NOT_SUITABLE
    listed = {r.intervention for ph in plan.phases for r in ph.recommendations}
    for entry in plan.menu:  # over the load budget
        decision = decisions.get(entry.intervention)
        assert (decision.status, decision.kind, decision.reason) == (Status.MENU, "budget", entry.reason)
    listed |= {e.intervention for e in plan.deferred + plan.avoided + plan.not_suitable + plan.menu}
    assert {i for i, d in decisions.by_intervention.items()
            if d.status is not Status.NOT_PROPOSED} == listed


@pytest.mark.parametrize("case", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_a_closed_gate_is_a_condition_that_is_false_for_the_client(case):
    outcome = _outcome(case)
    types = KB.fact_types()
    gates = [d.gate for d in outcome.decisions.by_intervention.values() if d.gate is not None]
    gates += [g for pg in outcome.decisions.phases.values() for g in (pg.region, pg.arousal) if g]
    for gate in gates:
        if gate.kind == "prerequisite":  # a prerequisite means recorded as established
            assert gate.condition is None
            assert gate.holding_text.startswith("not recorded as established")
            continue
        if gate.kind == "protocol":  # one trauma-processing protocol at a time
            assert gate.condition is None
            assert gate.holding_text.startswith("active trauma-processing protocol: ")
            continue
        result = evaluate(gate.condition, outcome.facts.values, frozenset(outcome.derived), types)
        assert result.value is False, gate
        for fact, value in gate.holding:
            assert fact in types or fact in KB.facts, fact


def test_a_client_in_crisis_is_held_back_by_a_region_gate_in_data():
    outcome = _outcome(EXAMPLES / "child-in-crisis.json")
    region_gates = [pg.region for pg in outcome.decisions.phases.values() if pg.region]
    assert region_gates, "the example in crisis has a compromised lower region"
    gate = region_gates[0]
    assert gate.text.startswith("until ") and gate.needs in gate.text
    assert all(path.endswith(".band") for path, _ in gate.holding)
