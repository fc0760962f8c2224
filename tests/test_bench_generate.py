"""The benchmark's generated knowledge bases are valid, shaped like ours, and durable-rules fires
exactly the rules the reference evaluator says should fire on them."""

from __future__ import annotations

import pytest

from bench.cases import caseload
from bench.generate import SMALL, generate_files, write_knowledge_base
from bench.reference import ReferenceRunner
from dsl import ast
from dsl.kb import load_knowledge_base
from dsl.passes.strata import strata
from engine.facts import build_facts
from engine.intake import validate_assessment
from engine.runtime import runner_for


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    # one generated knowledge base per test run: durable-rules never frees a registered rule set
    return load_knowledge_base(write_knowledge_base(tmp_path_factory.mktemp("kb200"), SMALL),
                               "generated")


def test_generated_knowledge_base_is_valid_and_shaped_like_ours(generated):
    rules = generated.rules
    assert len(rules) == 200 and len(generated.interventions) == 60
    chained = [r for r in rules if any(True for c in ast.rule_conditions(r) for _ in ast.fact_refs(c))]
    assert 0.08 <= len(chained) / len(rules) <= 0.12
    assert set(strata(rules).values()) == {0, 1}
    for rule in rules:
        operands = rule.when.operands if isinstance(rule.when, ast.And) else (rule.when,)
        assert 2 <= len(operands) <= 3, rule.id


def test_generation_is_deterministic_and_salt_changes_only_the_hash():
    assert generate_files(SMALL) == generate_files(SMALL)
    salted = generate_files(SMALL, salt="run 2")
    assert {k for k in salted if salted[k] != generate_files(SMALL)[k]} == {"00-model.gw"}


def test_durable_rules_fires_what_the_reference_evaluator_says(generated):
    runner, reference = runner_for(generated), ReferenceRunner(generated)
    fired_any = 0
    for case, _ in caseload(40):
        values = build_facts(validate_assessment(case, "case", generated), generated).values
        firings, derived = runner.run(values)
        expected_rules, expected_facts = reference.run(values)
        assert {f.rule_id for f in firings} == expected_rules
        assert set(derived) == expected_facts
        fired_any += bool(expected_facts)
    assert fired_any  # the chained rules were exercised
