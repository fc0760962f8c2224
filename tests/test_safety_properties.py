"""Clinical safety invariants of every plan, over generated assessments (issue #13, point 6).

(a) no client-directed relate or reason work is active while a lower region is insufficient,
    moderate or severe; (b) no body-contact work is active unless every touch condition holds;
(c) every critical flag has at least one active action; (d) no "no action needed" beside a
critical flag; (e) at most one trauma-processing intervention is active, and none without a
trauma screen above threshold. Each property runs over at least 500 generated assessments, which
include the optional safety fields and their absence (tests/strategies.py).

The touch conditions are restated here from the assessment itself (not from the engine's facts),
so that the property checks the engine against CLINICAL.md section 4, not against itself.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, example, given, settings

import knowledge_base
from engine.models import Assessment
from engine.pipeline import assess
from tests.helpers import EXAMPLES
from tests.strategies import assessments

KB = knowledge_base.load()
ITEMS = tuple(item.id for item in KB.instrument.items)
SETTINGS = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HELD = {"insufficient", "moderate", "severe"}
LOWER = {"regulate": (), "relate": ("brainstem", "diencephalon"),
         "reason": ("brainstem", "diencephalon", "limbic")}
TOUCH_DELIVERERS = {"parent", "foster_carer", "kinship_carer", "residential_staff"}


def _outcome(raw):
    assessment = Assessment.model_validate(raw)
    return assessment, assess(assessment, raw, KB).plan


def _active(plan):
    return [rec for phase in plan.phases for rec in phase.recommendations]


@SETTINGS
@given(assessments(ITEMS))
def test_a_no_client_work_above_a_held_lower_region(raw):
    _, plan = _outcome(raw)
    bands = {r.region: r.band for r in plan.regions}
    for phase in plan.phases:
        held = [r for r in LOWER[phase.name] if bands[r] in HELD]
        client = [rec.intervention for rec in phase.recommendations if rec.track == "client"]
        assert not (held and client), f"{client} active in {phase.name} while {held} is held"


def _touch_conditions_hold(assessment: Assessment, rec) -> bool:
    touch = [r.value for r in assessment.ratings if r.item == "tolerates-touch" and r.value is not None]
    named = {h.concern for h in assessment.suspected_harm}
    suspects = {h.suspected for h in assessment.suspected_harm} | {
        "unknown" for c in assessment.safeguarding
        if c in ("ongoing_maltreatment", "exploitation") and c not in named}
    policies = {p.setting: p.policy for p in assessment.touch_policies}
    allowed = {s for s in assessment.settings if policies.get(s, "allowed" if s == "home" else "") == "allowed"}
    return (assessment.touch.client_assent == "given" and assessment.touch.carer_consent == "given"
            and bool(touch) and max(touch) <= 1 and "touch_aversion" not in assessment.sensitivities
            and not suspects & (TOUCH_DELIVERERS | {"unknown"})
            and bool(rec.settings) and set(rec.settings) <= allowed)


# The school-age example records every touch condition, so massage is active there: the property's
# positive side is checked on every run, not only when generation happens to reach it.
SCHOOL_AGE = json.loads((EXAMPLES / "school-age-child.json").read_text(encoding="utf-8"))


@SETTINGS
@given(assessments(ITEMS))
@example(SCHOOL_AGE)
def test_b_body_contact_only_when_every_touch_condition_holds(raw):
    assessment, plan = _outcome(raw)
    for rec in _active(plan):
        if "body_contact" in KB.interventions[rec.intervention].marks:
            assert _touch_conditions_hold(assessment, rec), rec.intervention


def test_b_the_example_exercises_active_body_contact():
    assessment, plan = _outcome(SCHOOL_AGE)
    active = [r for r in _active(plan) if "body_contact" in KB.interventions[r.intervention].marks]
    assert [r.intervention for r in active] == ["rhythmic-patting-massage"]
    assert _touch_conditions_hold(assessment, active[0])


@SETTINGS
@given(assessments(ITEMS))
def test_c_every_critical_flag_has_an_active_action(raw):
    _, plan = _outcome(raw)
    active = {rec.intervention for rec in _active(plan)}
    for flag in plan.flags:
        if flag.severity == "critical":
            assert flag.actions, f"{flag.code} names no action"
            assert set(flag.actions) & active, f"{flag.code}: none of {flag.actions} is active"


@SETTINGS
@given(assessments(ITEMS))
def test_d_no_action_never_beside_a_critical_flag(raw):
    _, plan = _outcome(raw)
    if any(flag.severity == "critical" for flag in plan.flags):
        assert plan.no_action == ()


@SETTINGS
@given(assessments(ITEMS))
def test_e_one_trauma_protocol_and_only_on_symptoms(raw):
    assessment, plan = _outcome(raw)
    processing = [rec.intervention for rec in _active(plan)
                  if "trauma_processing" in KB.interventions[rec.intervention].marks]
    assert len(processing) <= 1, processing
    if processing:
        assert assessment.trauma_screen.result == "above_threshold"
