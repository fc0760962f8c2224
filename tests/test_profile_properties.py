"""Properties of the ratings, over generated assessments (issue #15, point 8): the functional
stage estimate is monotone in each rating, a not-due item never changes a plan, an item rated
severely below typical is always listed, and a borderline band is always marked, with a single
rating that really does change it."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import knowledge_base
from engine.facts import build_facts
from engine.models import Assessment
from engine.pipeline import assess
from engine.scoring import band_for
from tests.strategies import assessments

KB = knowledge_base.load()
INSTRUMENT = KB.instrument
ITEMS = tuple(item.id for item in INSTRUMENT.items)
EDGES = [t.from_score for t in KB.thresholds[1:]]
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ENGINE = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def any_age(raw_strategy):
    """Assessments at any age from birth, not only from one year."""
    ages = st.fixed_dictionaries({"years": st.integers(0, 40), "months": st.integers(0, 11)})
    return st.tuples(raw_strategy, ages).map(lambda pair: {**pair[0], "age": pair[1]})


def _facts(raw):
    return build_facts(Assessment.model_validate(raw), KB)


def _stages(facts):
    return {s.name: s.months for s in (*facts.domain_stages, *facts.region_stages, facts.overall_stage)}


def _with(raw, item, value):
    ratings = [dict(r, value=value) if r["item"] == item else r for r in raw["ratings"]]
    return {**raw, "ratings": ratings}


@FAST
@given(any_age(assessments(ITEMS)), st.sampled_from(ITEMS))
def test_rating_an_item_worse_never_makes_an_estimate_older(raw, item):
    value = next(r["value"] for r in raw["ratings"] if r["item"] == item)
    if value is None or value == INSTRUMENT.max_value:
        return
    before, after = _stages(_facts(raw)), _stages(_facts(_with(raw, item, value + 1)))
    for name, months in before.items():
        assert (months is None) == (after[name] is None), name
        if months is not None:
            assert after[name] <= months, (name, item)


@FAST
@given(any_age(assessments(ITEMS)))
def test_an_estimate_never_exceeds_the_chronological_age_and_says_why_when_missing(raw):
    facts = _facts(raw)
    age = raw["age"]["years"] * 12 + raw["age"]["months"]
    for stage in (*facts.domain_stages, *facts.region_stages, facts.overall_stage):
        if stage.months is None:
            assert stage.reason
        else:
            assert 0 <= stage.months <= age and stage.reason is None
            assert set(stage.known) <= set(stage.due)
    assert facts.developmental_age_months <= age


def _plan_without_input_hash(raw):
    plan = assess(Assessment.model_validate(raw), raw, KB).plan.model_dump(mode="json")
    plan["provenance"].pop("input_hash")
    return plan


@ENGINE
@given(any_age(assessments(ITEMS)), st.data())
def test_a_not_due_item_never_changes_a_plan(raw, data):
    age = raw["age"]["years"] * 12 + raw["age"]["months"]
    not_due = [i.id for i in INSTRUMENT.items if not i.due_at(age)]
    if not not_due:
        return
    item = data.draw(st.sampled_from(not_due))
    value = data.draw(st.one_of(st.none(), st.integers(0, INSTRUMENT.max_value)))
    assert _plan_without_input_hash(raw) == _plan_without_input_hash(_with(raw, item, value))


@ENGINE
@given(any_age(assessments(ITEMS)))
def test_an_item_rated_severely_below_typical_is_always_listed(raw):
    plan = assess(Assessment.model_validate(raw), raw, KB).plan
    age = raw["age"]["years"] * 12 + raw["age"]["months"]
    listed = {f.item for f in plan.item_flags}
    for rating in raw["ratings"]:
        item = INSTRUMENT.item(rating["item"])
        severe = rating["value"] == INSTRUMENT.max_value and item.due_at(age)
        assert (rating["item"] in listed) == severe
    for flag in plan.item_flags:
        referral = INSTRUMENT.item(flag.item).referral
        assert flag.referral == referral
        if referral:
            assert INSTRUMENT.referral(referral).name in flag.message


@FAST
@given(any_age(assessments(ITEMS)))
def test_a_borderline_band_is_always_marked_and_one_rating_changes_it(raw):
    facts = _facts(raw)
    values = {r["item"]: r["value"] for r in raw["ratings"]}
    for score in (*facts.regions, *facts.domains):
        if score.score is None:
            assert not score.borderline
            continue
        near = any(abs(score.score - edge) < INSTRUMENT.borderline_margin for edge in EDGES)
        assert score.borderline == near, score
        if not near or "no single rating" in score.borderline_note:
            continue
        # "rating ITEM NEW instead of OLD would make NAME BAND": apply it and see.
        words = score.borderline_note.split("(rating ", 1)[1].split()
        item, new, old, band = words[0], int(words[1]), int(words[4]), words[-1].rstrip(")")
        assert values[item] == old
        changed = _facts(_with(raw, item, new))
        after = {s.name: s for s in (*changed.regions, *changed.domains)}[score.name]
        assert after.band == band != score.band
        assert band_for(after.score, KB) == band
