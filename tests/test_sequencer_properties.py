"""Clinical invariants of every plan, over generated assessments (issue #4, point 5)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings

import knowledge_base
from engine.models import Assessment
from engine.pipeline import assess, plan_json
from tests.strategies import assessments

KB = knowledge_base.load()
ITEMS = tuple(item.id for item in KB.instrument.items)
ORDER = {"regulate": 1, "relate": 2, "reason": 3}
COMPROMISED = {"moderate", "severe"}
HIGH_AROUSAL = {"alarm", "fear", "terror"}
SETTINGS = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _plan(raw):
    return assess(Assessment.model_validate(raw), raw, KB).plan


@SETTINGS
@given(assessments(ITEMS))
def test_plans_keep_the_bottom_up_invariants(raw):
    plan = _plan(raw)
    names = [phase.name for phase in plan.phases]
    assert names == sorted(names, key=ORDER.get) and len(names) == len(set(names))
    assert all(phase.recommendations for phase in plan.phases), "empty phases are omitted"
    bands = {r.region: r.band for r in plan.regions}
    lower_compromised = bands["brainstem"] in COMPROMISED or bands["diencephalon"] in COMPROMISED
    # The bottom-up order binds the client's own work; work for the adults around the client
    # (track support) starts on day one whatever the bands and state (CLINICAL.md section 1).
    client = {phase.name for phase in plan.phases
              if any(rec.track == "client" for rec in phase.recommendations)}
    # CLINICAL.md section 2: the day's state does not freeze the plan. Relate work may be active
    # on a fear day (the state guidance says which activities fit which moments); reasoning and
    # processing work never in alarm or above.
    if lower_compromised or raw["arousal"]["current"] in HIGH_AROUSAL:
        assert "reason" not in client
    if bands["limbic"] in COMPROMISED:
        assert "reason" not in client
    if lower_compromised:
        assert "relate" not in client
    assert {g.state for g in plan.state_guidance} == {"calm", "alarm", "fear", "dissociated"}
    for guidance in plan.state_guidance:
        if guidance.state in ("fear", "dissociated", "alarm"):
            assert not {a for a in guidance.activities
                        if KB.phase_of_region(KB.interventions[a].region).value == "reason"}
    recommended = {r.intervention for phase in plan.phases for r in phase.recommendations}
    for phase in plan.phases:
        for rec in phase.recommendations:
            assert rec.rules, f"{rec.intervention} names no rule"
            assert KB.phase_of_region(rec.target_region).value == phase.name
    for item in plan.deferred:
        assert item.gate.startswith("until ") and len(item.gate) > len("until ")
    avoided = {a.intervention for a in plan.avoided}
    deferred = {d.intervention for d in plan.deferred}
    assert not recommended & avoided
    assert not recommended & deferred


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assessments(ITEMS))
def test_the_same_input_gives_the_same_bytes(raw):
    first = plan_json(_plan(raw))
    second = plan_json(_plan(json.loads(json.dumps(raw))))
    assert first == second


@SETTINGS
@given(assessments(ITEMS))
def test_prerequisites_start_first(raw):
    plan = _plan(raw)
    position = {r.intervention: (ORDER[p.name], i) for p in plan.phases
                for i, r in enumerate(p.recommendations)}
    for intervention, where in position.items():
        for prerequisite in KB.interventions[intervention].requires:
            assert prerequisite in position and position[prerequisite] < where


@SETTINGS
@given(assessments(ITEMS))
def test_work_for_the_adults_is_never_held_by_the_clients_profile(raw):
    """No activity for the adults around the client is ever excluded by the client's
    developmental estimate, held by a compromised region or by the day's arousal state (CLINICAL.md
    sections 1 and 6): a support-track intervention its rule recommends is active unless a rule
    avoids or defers it, it is outside its own age range, the client is in none of its settings,
    or the load budget offers it on the menu."""
    outcome = assess(Assessment.model_validate(raw), raw, KB)
    for iv_id, decision in outcome.decisions.by_intervention.items():
        if KB.interventions[iv_id].track != "support" or not decision.proposed_by:
            continue
        assert decision.kind not in ("developmental_age", "region", "arousal"), (iv_id, decision)
        held_by_its_own_rules = (decision.kind in ("avoid", "contraindication", "rule",
                                                   "age_range", "budget")
                                 or decision.rule_gate is not None)
        if not held_by_its_own_rules and decision.settings:
            assert decision.status.value == "active" or decision.kind == "prerequisite", \
                (iv_id, decision)
