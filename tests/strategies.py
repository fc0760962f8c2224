"""Hypothesis strategies for assessments that the model accepts."""

from __future__ import annotations

from hypothesis import strategies as st

from dsl import vocabulary as v


def assessments(items: tuple[str, ...]):
    rating = st.one_of(st.none(), st.integers(0, 3), st.integers(0, 3), st.integers(0, 3))
    caregiver = st.fixed_dictionaries({
        "id": st.sampled_from(["CG-1", "CG-2", "CG-3"]),
        "role": st.sampled_from(v.CAREGIVER_ROLES),
        "settings": st.lists(st.sampled_from(v.SETTINGS), min_size=1, max_size=2, unique=True),
        "regulation": st.sampled_from(v.CAREGIVER_REGULATION),
    })
    history = st.lists(st.fixed_dictionaries({
        "period": st.sampled_from(v.DEVELOPMENTAL_PERIODS),
        "adversity": st.sampled_from(v.HISTORY_SEVERITIES),
        "relational_poverty": st.sampled_from(v.HISTORY_SEVERITIES),
    }), max_size=6, unique_by=lambda h: h["period"])
    return st.fixed_dictionaries({
        "client_id": st.just("GEN-1"),
        "assessor_id": st.just("CLIN-1"),
        "assessment_date": st.just("2026-11-01"),
        "age": st.fixed_dictionaries({"years": st.integers(1, 60), "months": st.integers(0, 11)}),
        "ratings": st.tuples(*[rating for _ in items]).map(
            lambda values: [{"item": i, "value": val, "informant": "caregiver"}
                            for i, val in zip(items, values)]),
        "arousal": st.fixed_dictionaries({
            "baseline": st.sampled_from(v.AROUSAL_STATES),
            "current": st.sampled_from(v.AROUSAL_STATES),
            "dissociative": st.booleans(),
        }),
        "history": history,
        "relational_health": st.fixed_dictionaries(
            {part: st.sampled_from(v.RELATIONAL_LEVELS) for part in v.RELATIONAL_DOMAINS}),
        "caregivers": st.lists(caregiver, max_size=3),
        "safeguarding": st.lists(st.sampled_from(v.SAFEGUARDING_CONCERNS), max_size=3, unique=True),
        "sensitivities": st.lists(st.sampled_from(v.SENSITIVITIES), max_size=2, unique=True),
        "settings": st.lists(st.sampled_from(v.SETTINGS), min_size=1, max_size=3, unique=True),
    }, optional=_safety_fields()).map(_consistent)


def _safety_fields():
    """The optional safety fields (issue #13), each sometimes left out (its safe default)."""
    agreement = st.sampled_from(v.AGREEMENT)
    return {
        "touch": st.fixed_dictionaries({"client_assent": agreement, "carer_consent": agreement}),
        "touch_policies": st.lists(st.fixed_dictionaries({
            "setting": st.sampled_from(v.SETTINGS), "policy": st.sampled_from(v.TOUCH_POLICIES)}),
            max_size=3, unique_by=lambda t: t["setting"]),
        "suspected_harm": st.lists(st.fixed_dictionaries({
            "concern": st.sampled_from(v.HARM_BY_OTHERS), "suspected": st.sampled_from(v.SUSPECTS)}),
            max_size=2),
        "safety_review": st.fixed_dictionaries({
            "date": st.sampled_from(["2026-10-01", "2026-10-25", "2026-11-01"]),
            "evocative_work": st.sampled_from(["may_proceed", "hold"])}),
        "trauma_screen": st.fixed_dictionaries({
            "result": st.sampled_from(v.TRAUMA_SCREEN_RESULTS),
            "screen": st.sampled_from(v.TRAUMA_SCREENS)}),
        "established": st.lists(st.sampled_from(["psychoeducation", "cbt-skills", "tf-cbt-referral"]),
                                max_size=2, unique=True),
    }


def _consistent(raw: dict) -> dict:
    """A suspect is recorded only for a concern the assessment records."""
    if "suspected_harm" in raw:
        raw["suspected_harm"] = [s for s in raw["suspected_harm"]
                                 if s["concern"] in raw["safeguarding"]]
    return raw
