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
        "adversity": st.sampled_from(v.SEVERITIES),
        "relational_poverty": st.sampled_from(v.SEVERITIES),
    }), max_size=3, unique_by=lambda h: h["period"])
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
        "safeguarding": st.lists(st.sampled_from(v.SAFEGUARDING_CONCERNS), max_size=2, unique=True),
        "sensitivities": st.lists(st.sampled_from(v.SENSITIVITIES), max_size=2, unique=True),
        "settings": st.lists(st.sampled_from(v.SETTINGS), min_size=1, max_size=3, unique=True),
    })
