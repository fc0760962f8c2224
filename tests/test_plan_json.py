"""plan_json writes the bytes the standard library's indented JSON writes (the plan's text is a
contract: golden files, audit records, the HTTP API), whichever serialiser makes them."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings

import knowledge_base
from engine.models import Assessment
from engine.pipeline import assess, plan_json
from tests.strategies import assessments

KB = knowledge_base.load()
ITEMS = tuple(item.id for item in KB.instrument.items)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assessments(ITEMS))
def test_plan_json_is_the_standard_librarys_indented_json(raw):
    plan = assess(Assessment.model_validate(raw), raw, KB).plan
    expected = json.dumps(plan.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
    assert plan_json(plan) == expected
