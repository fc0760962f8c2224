"""Gates read as plain words a clinician understands."""

from __future__ import annotations

import pytest

import knowledge_base
from dsl.parser import parse_text
from dsl.plain import plain

TYPES = knowledge_base.load().fact_types()


@pytest.mark.parametrize("condition, words", [
    ("brainstem.band <= mild and diencephalon.band <= mild",
     "brainstem is mild or better and diencephalon is mild or better"),
    ("arousal.current <= alert", "the client is alert or calmer"),
    ("arousal.current in {calm, alert}", "the client is calm or alert"),
    ("relational_health.lowest >= adequate",
     "the weakest part of relational health is adequate or stronger"),
    ("history.infancy.adversity <= mild", "adversity in infancy is mild or better"),
    ("arousal.dissociative = false", "a dissociative indicator is absent"),
    ("cortex.score < 1.5", "cortex score is below 1.5"),
    ("caregivers.dysregulated = 0 or caregivers.count > 1",
     "the number of dysregulated trusted adults is 0 or the number of trusted adults is above 1"),
    ("not needs_caregiver_support", "not (needs caregiver support)"),
])
def test_conditions_read_in_plain_words(condition, words):
    rule = parse_text(f"rule r {{ when {condition} then derive x }}", "t.gw").items[0]
    assert plain(rule.when, TYPES) == words
