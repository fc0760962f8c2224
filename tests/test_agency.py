"""The synthetic agency: deterministic by seed, plausible, and its reused plans are exactly what the
engine produces for each assessment."""

from __future__ import annotations

import json

import pytest

import knowledge_base
from engine.synthetic.agency import BASE_RATES, Agency, AgencyShape, PlanCache, fill, intensity
from engine.audit.outcomes import EVENTS, OutcomeEventIn
from engine.audit.store import AuditStore, assessment_fields
from engine.audit.verify import verify
from engine.intake import validate_assessment
from engine.pipeline import assess


@pytest.fixture(scope="module")
def kb():
    return knowledge_base.load(None)


def test_every_event_has_a_base_rate_and_rates_rise_with_severity():
    assert set(BASE_RATES) == set(EVENTS)
    assert intensity(0) < intensity(1) < intensity(2) < intensity(3)


def test_the_same_seed_gives_the_same_agency_and_another_seed_another(kb):
    one, same, other = (Agency(kb, AgencyShape(seed=s)).client(3) for s in (7, 7, 8))
    assert json.dumps(one, sort_keys=True) == json.dumps(same, sort_keys=True)
    assert json.dumps(one, sort_keys=True) != json.dumps(other, sort_keys=True)


def test_clients_are_reassessed_about_quarterly_over_two_years_and_events_are_valid(kb):
    agency = Agency(kb, AgencyShape(seed=5))
    for index in range(1, 6):
        assessments, _, events = agency.client(index)
        dates = [a["assessment_date"] for a in assessments]
        assert dates == sorted(dates) and 5 <= len(dates) <= 9
        assert all("2024-01-01" <= d <= "2025-12-31" for d in dates)
        for event in events:
            payload = json.loads(event["input_json"])
            if event["kind"] == "outcome":
                OutcomeEventIn.model_validate({"client_id": event["client_id"], **{
                    k: payload[k] for k in ("event", "date", "setting", "code")}})


def test_a_reused_plan_is_byte_for_byte_the_engines_plan(kb):
    cache = PlanCache(kb)
    assessments, _, _ = Agency(kb, AgencyShape(seed=11)).client(1)
    first = dict(assessments[0])
    cache.fields(first)  # made by the engine, kept
    twin = dict(first, client_id="C99999", assessor_id="CLIN-99", assessment_date="2025-06-30")
    reused = cache.fields(twin)
    made = assessment_fields(assess(validate_assessment(twin, "(test)", kb), twin, kb), twin)
    assert reused == made


def test_a_filled_store_verifies(kb, tmp_path):
    with AuditStore.open(tmp_path / "a.sqlite", mode="create") as store:
        written = fill(store, kb, AgencyShape(clients=3, seed=2))
        report = verify(store)
    assert report.intact, [p.render() for p in report.problems]
    assert report.records == written.assessments + written.feedback + written.events + \
        written.exposures
