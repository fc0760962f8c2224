"""The reasoning behind lint: exact against the reference evaluator, and the couplings it models."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import knowledge_base
from dsl.analysis.logic import Logic
from dsl.analysis.space import SCORE_SCALE, Values
from dsl.evaluate import fire_reference
from dsl.parser import parse_text
from dsl.vocabulary import SCALE_OF_KIND
from engine.facts import build_facts
from engine.models import Assessment
from tests.strategies import assessments

KB = knowledge_base.load()
ITEMS = tuple(item.id for item in KB.instrument.items)
LOGIC = Logic(KB)


def point(values: dict, name: str):
    """The value of one analysis variable for a real client's facts (None: unknown)."""
    if " has " in name:
        path, member = name.split(" has ")
        return int(member in values[path])
    if name.endswith(".score"):
        score = values[name]
        return None if score is None else round(score * SCORE_SCALE)
    value = values[name]
    if value is None:  # unknown: a history period not recorded, a rating not given
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return int(value)
    kind = KB.fact_types()[name].kind
    return SCALE_OF_KIND[kind].index(value)


def holds_somewhere(branches, values) -> bool:
    for branch in branches:
        inside = True
        for name, allowed in branch.values.items():
            value = point(values, name)
            if not (allowed.unknown if value is None else allowed.contains(value)):
                inside = False
                break
        if inside:
            return True
    return False


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assessments(ITEMS))
def test_a_client_lies_in_a_rule_s_alternatives_exactly_when_the_rule_fires(raw):
    facts = build_facts(Assessment.model_validate(raw), KB).values
    fired, _ = fire_reference(KB.active_rules(), facts, KB.fact_types())
    for rule in KB.active_rules():
        assert holds_somewhere(LOGIC.branches(rule.when), facts) == (rule.id in set(fired)), rule.id


def condition(text: str):
    source = (f'rule r {{ version "1.0.0" title "t" status approved evidence practice source "s" '
              f'author "a" rationale "r" when {text} then flag info X "x" }}')
    return parse_text(source, "x.gw").items[0].when


def impossible(text: str) -> bool:
    return Logic(KB, rules=[]).why_impossible(condition(text)) is not None


def test_values_intersect_subtract_and_keep_unknown_apart():
    a = Values.span(0, 10, unknown=True)
    assert (a & Values.span(5, 20)) == Values(((5, 10),))
    assert a.minus(Values.span(3, 4)) == Values(((0, 2), (5, 10)), True)
    assert Values((), True).empty is False and Values().empty


def test_band_and_score_are_one_fact():
    assert impossible("limbic.band = severe and limbic.score < 2")
    assert not impossible("limbic.band = severe and limbic.score >= 2.25")
    assert impossible("limbic.band = insufficient and limbic.score >= 0")
    assert not impossible("not limbic.band >= mild and not limbic.band = typical")  # insufficient


def test_years_are_a_view_of_months():
    assert impossible("age.years < 3 and age.months >= 36")
    assert not impossible("age.years = 2 and age.months >= 35")
    assert impossible("age.years between 3 and 5 and age.months > 71")


def test_lowest_and_worst_follow_their_parts():
    assert impossible("relational_health.lowest = poor and relational_health.family >= limited "
                      "and relational_health.community >= limited and relational_health.cultural >= limited")
    assert impossible("history.worst_adversity = none and history.infancy.adversity = severe")
    assert not impossible("history.worst_adversity >= moderate and history.infancy.adversity = none")


def test_linked_counts_and_ages_keep_their_order():
    assert impossible("caregivers.dysregulated > 2 and caregivers.count < 2")
    assert impossible("developmental_age.months > 100 and age.years < 5")
    assert not impossible("caregivers.dysregulated = 1 and caregivers.count = 1")


def test_an_example_shows_only_what_differs_from_a_typical_calm_client():
    branch = LOGIC.satisfiable((condition("brainstem.band >= moderate and age.years < 3 "
                                          "and arousal.current <= alert"), False))
    assert LOGIC.example(branch, typical=False) == [
        "age.months = 35 (2 years 11 months)", "brainstem.band = moderate"]


RULES = KB.active_rules()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(RULES), st.sampled_from(RULES), st.booleans())
def test_satisfiable_finds_the_first_alternative_of_the_full_product(first, second, negate):
    """The depth-first search with its pruning answers exactly as the full expansion did."""
    from dsl.analysis.logic import TooComplex
    logic = Logic(KB)
    try:
        full = logic.conjoin_all([(first.when, False, ()), (second.when, negate, ())])
    except TooComplex:
        return
    found = logic.satisfiable((first.when, False), (second.when, negate))
    if not full:
        assert found is None
    else:
        assert found is not None and found.values == full[0].values
