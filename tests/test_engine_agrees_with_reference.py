"""The compiled durable-rules rule sets fire exactly the rules the reference evaluator says."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

import knowledge_base
from dsl.evaluate import fire_reference
from engine.facts import build_facts
from engine.models import Assessment
from engine.runtime import runner_for
from tests.strategies import assessments

KB = knowledge_base.load()
ITEMS = tuple(item.id for item in KB.instrument.items)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assessments(ITEMS))
def test_durable_rules_fires_what_the_reference_evaluator_fires(raw):
    facts = build_facts(Assessment.model_validate(raw), KB)
    firings, derived = runner_for(KB).run(facts.values)
    expected, expected_derived = fire_reference(KB.active_rules(), facts.values, KB.fact_types())
    assert {f.rule_id for f in firings} == set(expected)
    assert set(derived) == expected_derived
