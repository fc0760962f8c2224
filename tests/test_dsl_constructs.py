"""Each construct of the rule language end to end: text → typed AST (with positions) → compiled
durable-rules rule sets → fired on a client's facts, when it should and not when it should not.

The knowledge bases here are the core model (00-model.gw, instrument.toml) plus small rule files
written by the tests, so that these tests do not depend on the shipped rules.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dsl import ast
from dsl.compile import compile_knowledge_base
from dsl.errors import GroundworkError
from dsl.kb import load_knowledge_base
from dsl.parser import parse_text
from engine.facts import build_facts
from engine.models import Assessment
from engine.pipeline import assess
from engine.runtime import runner_for
from tests.kbfactory import rule

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "knowledge_base" / "core"

WHEN_LINE = 9  # `rule` on line 1, seven header lines, then `  when …` (column 8)

CATALOG = '''
intervention rhythmic-walk {
  name "Rhythmic walking"
  region brainstem
  modality motor
  dose 2 per day, 10 minutes, by caregiver or therapist
  settings home, school, clinic
  contraindicated limited_mobility
  source "Perry & Dobson (2013)"
}
intervention dyadic-play {
  name "Dyadic play"
  region limbic
  modality relational
  dose 3 per week, 20 minutes, by caregiver or therapist
  settings home, clinic
  source "Practitioner descriptions"
}
intervention talking-therapy {
  name "Talking therapy"
  region cortex
  modality cognitive
  dose 1 per week, 50 minutes, by therapist
  settings clinic
  min_developmental_age 7 years
  source "Practitioner descriptions"
}
'''


def make_kb(directory: Path, rules_text: str):
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(CORE / "00-model.gw", directory / "00-model.gw")
    shutil.copy(CORE / "instrument.toml", directory / "instrument.toml")
    (directory / "10-catalog.gw").write_text(CATALOG, encoding="utf-8")
    (directory / "20-rules.gw").write_text(rules_text, encoding="utf-8")
    return load_knowledge_base(directory)


def raw_assessment(kb, bands: dict[str, str] | None = None, **overrides) -> dict:
    """A valid assessment: a calm 8-year-old, every region at the band asked for (else typical)."""
    value_for = {"typical": 0, "mild": 1, "moderate": 2, "severe": 3}
    data = {
        "client_id": "TEST-01", "assessor_id": "CLIN-01", "assessment_date": "2026-11-01",
        "age": {"years": 8, "months": 0},
        "ratings": [{"item": i.id, "value": value_for[(bands or {}).get(i.region, "typical")],
                     "informant": "caregiver"} for i in kb.instrument.items],
        "arousal": {"baseline": "calm", "current": "calm", "dissociative": False},
        "relational_health": {"family": "adequate", "community": "adequate", "cultural": "adequate"},
        "caregivers": [{"id": "CG-1", "role": "parent", "settings": ["home"],
                        "regulation": "well_regulated"}],
        "settings": ["home", "school", "clinic"],
    }
    data.update(overrides)
    return data


def plan_for(kb, raw: dict, drafts: bool = False):
    return assess(Assessment.model_validate(raw), raw, kb, drafts=drafts).plan


def fired(kb, values: dict, drafts: bool = False) -> set[str]:
    firings, _ = runner_for(kb, drafts).run(values)
    return {f.rule_id for f in firings}


# ---- conditions: one rule per construct in one knowledge base, fired on chosen values ----

# (name, condition, AST type of the condition, values that fire it, values that must not)
CONDITIONS = [
    ("band-equals", "limbic.band = severe", ast.Comparison,
     [{"limbic.band": "severe"}], [{"limbic.band": "moderate"}, {"limbic.band": "insufficient"}]),
    ("band-ordering", "limbic.band >= moderate", ast.Comparison,
     [{"limbic.band": "moderate"}, {"limbic.band": "severe"}],
     [{"limbic.band": "mild"}, {"limbic.band": "insufficient"}]),
    ("band-below", "cortex.band < moderate", ast.Comparison,
     [{"cortex.band": "typical"}, {"cortex.band": "mild"}],
     [{"cortex.band": "moderate"}, {"cortex.band": "insufficient"}]),
    ("band-not-equal", "limbic.band != severe", ast.Comparison,
     [{"limbic.band": "mild"}], [{"limbic.band": "severe"}, {"limbic.band": "insufficient"}]),
    ("band-insufficient", "limbic.band = insufficient", ast.Comparison,
     [{"limbic.band": "insufficient"}], [{"limbic.band": "typical"}]),
    ("band-known", "limbic.band != insufficient", ast.Comparison,
     [{"limbic.band": "typical"}], [{"limbic.band": "insufficient"}]),
    ("score-number", "limbic.score > 1.5", ast.Comparison,
     [{"limbic.score": 2.0}], [{"limbic.score": 1.5}, {"limbic.score": None}]),
    ("arousal-ordering", "arousal.current >= alarm", ast.Comparison,
     [{"arousal.current": "alarm"}, {"arousal.current": "terror"}], [{"arousal.current": "alert"}]),
    ("severity-ordering", "history.infancy.adversity >= moderate", ast.Comparison,
     [{"history.infancy.adversity": "severe"}], [{"history.infancy.adversity": "mild"}]),
    ("level-ordering", "relational_health.lowest <= limited", ast.Comparison,
     [{"relational_health.lowest": "poor"}], [{"relational_health.lowest": "adequate"}]),
    ("yes-no", "arousal.dissociative = true", ast.Comparison,
     [{"arousal.dissociative": True}], [{"arousal.dissociative": False}]),
    ("age-years", "age.years >= 12", ast.Comparison,
     [{"age.years": 12.0}], [{"age.years": 11.0}]),
    ("developmental-age", "developmental_age.months < 36", ast.Comparison,
     [{"developmental_age.months": 30.0}], [{"developmental_age.months": 36.0}]),
    ("in-set", "arousal.current in {alarm, fear}", ast.Membership,
     [{"arousal.current": "fear"}], [{"arousal.current": "terror"}, {"arousal.current": "calm"}]),
    ("in-with-insufficient", "limbic.band in {severe, insufficient}", ast.Membership,
     [{"limbic.band": "severe"}, {"limbic.band": "insufficient"}], [{"limbic.band": "moderate"}]),
    ("between", "age.years between 6 and 12", ast.Between,
     [{"age.years": 6.0}, {"age.years": 12.0}], [{"age.years": 5.0}, {"age.years": 13.0}]),
    ("between-unknown", "limbic.score between 0 and 3", ast.Between,
     [{"limbic.score": 0.0}], [{"limbic.score": None}]),
    ("has-safeguarding", "safeguarding has self_harm_risk", ast.Has,
     [{"safeguarding": frozenset({"self_harm_risk"})}], [{"safeguarding": frozenset()}]),
    ("has-role", "caregivers.roles has foster_carer", ast.Has,
     [{"caregivers.roles": frozenset({"foster_carer", "teacher"})}],
     [{"caregivers.roles": frozenset({"parent"})}]),
    ("has-setting", "settings has school", ast.Has,
     [{"settings": frozenset({"school"})}], [{"settings": frozenset({"home"})}]),
    ("and", "limbic.band >= moderate and age.years < 18", ast.And,
     [{"limbic.band": "severe", "age.years": 10.0}],
     [{"limbic.band": "severe", "age.years": 20.0}, {"limbic.band": "mild", "age.years": 10.0}]),
    ("or", "limbic.band = severe or cortex.band = severe", ast.Or,
     [{"limbic.band": "severe"}, {"cortex.band": "severe"}], [{}]),
    ("not", "not limbic.band >= moderate", ast.Not,
     [{"limbic.band": "mild"}, {"limbic.band": "insufficient"}], [{"limbic.band": "severe"}]),
    ("not-over-or", "not (cortex.band = typical or cortex.band = mild)", ast.Not,
     [{"cortex.band": "severe"}, {"cortex.band": "insufficient"}], [{"cortex.band": "mild"}]),
    # `and` binds tighter than `or`: a or (b and c)
    ("precedence", "limbic.band = severe or cortex.band = severe and age.years < 10", ast.Or,
     [{"limbic.band": "severe", "age.years": 15.0}, {"cortex.band": "severe", "age.years": 8.0}],
     [{"cortex.band": "severe", "age.years": 15.0}]),
    ("parentheses", "(limbic.band = severe or cortex.band = severe) and age.years < 10", ast.And,
     [{"cortex.band": "severe", "age.years": 8.0}], [{"limbic.band": "severe", "age.years": 15.0}]),
]


@pytest.fixture(scope="module")
def condition_kb(tmp_path_factory):
    text = "".join(rule(f"when-{name}", when, f'flag info {name.upper().replace("-", "_")} "fired"')
                   for name, when, *_ in CONDITIONS)
    return make_kb(tmp_path_factory.mktemp("conditions"), text)


@pytest.fixture(scope="module")
def typical_values(condition_kb):
    """The facts of a typical, calm 8-year-old: the background every case changes a little."""
    raw = raw_assessment(condition_kb)
    return build_facts(Assessment.model_validate(raw), condition_kb).values


@pytest.mark.parametrize("name, when, node_type, fires, silent", CONDITIONS,
                         ids=[c[0] for c in CONDITIONS])
def test_condition_construct(name, when, node_type, fires, silent, condition_kb, typical_values):
    rule_id = f"when-{name}"  # rule ids cannot be keywords such as `and` or `between`
    parsed = parse_text(rule(rule_id, when, "derive x"), "t.gw").items[0]
    assert isinstance(parsed.when, node_type)
    assert (parsed.when.pos.line, parsed.when.pos.column) == (WHEN_LINE, 8)
    compiled = compile_knowledge_base(condition_kb)
    assert any(rule_id in rs.definition for rs in compiled.rulesets)
    for changes in fires:
        assert rule_id in fired(condition_kb, {**typical_values, **changes}), changes
    for changes in silent:
        assert rule_id not in fired(condition_kb, {**typical_values, **changes}), changes


def test_conditions_fire_on_facts_built_from_an_assessment(condition_kb):
    raw = raw_assessment(condition_kb, {"limbic": "severe"}, age={"years": 9, "months": 0},
                         safeguarding=["self_harm_risk"])
    values = build_facts(Assessment.model_validate(raw), condition_kb).values
    assert {f"when-{name}" for name in ("band-equals", "band-ordering", "between",
                                        "has-safeguarding", "and", "or", "precedence")} \
        <= fired(condition_kb, values)


def test_leaf_nodes_carry_their_parts_and_positions():
    text = rule("r", "limbic.band >= moderate and arousal.current in {alarm, fear}\n"
                "    and age.years between 6 and 12 and safeguarding has self_harm_risk", "derive x")
    when = parse_text(text, "kb/r.gw").items[0].when
    comparison, membership, between, has = when.operands
    assert (comparison.path, comparison.op, comparison.value) == ("limbic.band", ">=", "moderate")
    assert comparison.value_pos == ast.Pos("kb/r.gw", WHEN_LINE, 23)
    assert (membership.path, membership.values) == ("arousal.current", ("alarm", "fear"))
    assert membership.pos == ast.Pos("kb/r.gw", WHEN_LINE, 36)
    assert (between.path, between.low, between.high) == ("age.years", 6.0, 12.0)
    assert between.pos == ast.Pos("kb/r.gw", WHEN_LINE + 1, 9)
    assert (has.path, has.member) == ("safeguarding", "self_harm_risk")
    assert has.member_pos.column == has.pos.column + len("safeguarding has ")


def test_comments_and_string_escapes():
    text = ('# a comment line\nfact quoted "says \\"calm\\" \\\\ and\\nmore"  # trailing comment\n')
    fact = parse_text(text, "t.gw").items[0]
    assert isinstance(fact, ast.FactDecl)
    assert fact.description == 'says "calm" \\ and\nmore'
    assert fact.pos == ast.Pos("t.gw", 2, 1)


# ---- derived facts: chaining and stratified negation ----

CHAIN = (
    'fact first_step "A first conclusion"\nfact second_step "A second conclusion"\n'
    + rule("derive-first", "limbic.band >= moderate", "derive first_step")
    + rule("chain-second", "first_step and age.years < 18", "derive second_step")
    + rule("use-second", "second_step", 'flag info CHAINED "chained"')
    + rule("negate-first", "not first_step", 'flag info NOT_FIRST "no first step"')
)


@pytest.fixture(scope="module")
def chain_kb(tmp_path_factory):
    return make_kb(tmp_path_factory.mktemp("chain"), CHAIN)


def test_derive_and_fact_reference_parse(chain_kb):
    chained = chain_kb.rule("chain-second")
    assert isinstance(chained.when, ast.And)
    assert isinstance(chained.when.operands[0], ast.FactRef)
    assert chained.when.operands[0].name == "first_step"
    assert chained.actions == (ast.Derive("second_step", chained.actions[0].pos),)
    negated = chain_kb.rule("negate-first").when
    assert isinstance(negated, ast.Not) and isinstance(negated.operand, ast.FactRef)


def test_negation_runs_in_a_later_stratum_than_the_rules_deriving_its_fact(chain_kb):
    compiled = compile_knowledge_base(chain_kb)
    stratum = {r: rs.stratum for rs in compiled.rulesets for r in rs.rule_ids}
    assert stratum["negate-first"] > stratum["derive-first"]
    assert stratum["derive-first"] == stratum["chain-second"] == stratum["use-second"]


def test_a_chain_fires_through_derived_facts(chain_kb):
    values = build_facts(Assessment.model_validate(raw_assessment(chain_kb, {"limbic": "severe"})),
                         chain_kb).values
    firings, derived = runner_for(chain_kb).run(values)
    assert {f.rule_id for f in firings} == {"derive-first", "chain-second", "use-second"}
    assert derived == {"first_step": ("derive-first",), "second_step": ("chain-second",)}
    used = next(f for f in firings if f.rule_id == "use-second")
    assert used.derived_from == (("second_step", "chain-second"),)


def test_a_broken_chain_stops_and_the_negation_fires(chain_kb):
    adult = raw_assessment(chain_kb, {"limbic": "severe"}, age={"years": 30, "months": 0})
    values = build_facts(Assessment.model_validate(adult), chain_kb).values
    assert fired(chain_kb, values) == {"derive-first"}
    typical = build_facts(Assessment.model_validate(raw_assessment(chain_kb)), chain_kb).values
    assert fired(chain_kb, typical) == {"negate-first"}


# ---- status ----

def test_draft_fires_only_when_asked_and_retired_never(tmp_path):
    kb = make_kb(tmp_path, rule("approved-rule", "limbic.band >= mild", "derive needs_caregiver_support")
                 + rule("draft-rule", "limbic.band >= mild", 'flag info DRAFT "d"', status="draft")
                 + rule("retired-rule", "limbic.band >= mild", 'flag info OLD "r"', status="retired"))
    assert [r.status for r in kb.rules] == ["approved", "draft", "retired"]
    values = build_facts(Assessment.model_validate(raw_assessment(kb, {"limbic": "severe"})), kb).values
    assert fired(kb, values) == {"approved-rule"}
    assert fired(kb, values, drafts=True) == {"approved-rule", "draft-rule"}
    compiled = [r for rs in compile_knowledge_base(kb, drafts=True).rulesets for r in rs.rule_ids]
    assert "retired-rule" not in compiled


# ---- actions: AST, then their effect in the plan ----

def test_every_action_parses_to_its_node_with_positions():
    text = rule("all-actions", "brainstem.band >= moderate",
                "recommend rhythmic-walk dose 3 per day, 5 minutes, by teacher or caregiver "
                "in school, home priority 1\n"
                '    avoid dyadic-play because "Too close for now."\n'
                "    defer talking-therapy until brainstem.band <= mild\n"
                '    flag critical SAFETY_REVIEW "Review safety."\n'
                "    derive needs_caregiver_support\n"
                '    no action needed because "Nothing else."\n'
                "    scale dose of regulate work minutes by 0.5 frequency by 2")
    actions = parse_text(text, "t.gw").items[0].actions
    recommend, avoid, defer, flag, derive, no_action, scale = actions
    assert recommend.intervention == "rhythmic-walk" and recommend.priority == 1
    assert recommend.settings == ("school", "home")
    assert (recommend.dose.frequency, recommend.dose.period, recommend.dose.minutes,
            recommend.dose.delivered_by) == (3, "day", 5, ("teacher", "caregiver"))
    assert recommend.pos == ast.Pos("t.gw", WHEN_LINE + 2, 15)
    assert (avoid.intervention, avoid.reason) == ("dyadic-play", "Too close for now.")
    assert isinstance(defer.until, ast.Comparison) and defer.intervention == "talking-therapy"
    assert (flag.severity, flag.code, flag.message) == ("critical", "SAFETY_REVIEW", "Review safety.")
    assert flag.pos == ast.Pos("t.gw", WHEN_LINE + 5, 10)
    assert derive.fact == "needs_caregiver_support"
    assert no_action.reason == "Nothing else."
    assert (scale.phase, scale.minutes_factor, scale.frequency_factor) == ("regulate", 0.5, 2.0)


def test_recommend_with_dose_settings_and_priority(tmp_path):
    kb = make_kb(tmp_path, rule(
        "walk", "brainstem.band >= moderate",
        "recommend rhythmic-walk dose 3 per day, 5 minutes, by teacher or caregiver in school priority 1"))
    plan = plan_for(kb, raw_assessment(kb, {"brainstem": "severe"}))
    [regulate] = plan.phases
    [walk] = regulate.recommendations
    assert (walk.intervention, walk.priority, walk.settings, walk.rules) == \
        ("rhythmic-walk", 1, ("school",), ("walk",))
    # no teacher among the trusted adults, but the client is at school and a school has
    # teachers: a teacher gives it there (engine/carry.py), not a parent from home
    assert (walk.dose.frequency, walk.dose.minutes, walk.dose.delivered_by) == (3, 5, "teacher")
    assert [(e.setting, e.delivered_by, e.adults) for e in walk.delivery] == [("school", "teacher", ())]
    assert plan_for(kb, raw_assessment(kb, {"brainstem": "mild"})).phases == ()


def test_avoid_wins_over_recommend(tmp_path):
    kb = make_kb(tmp_path, rule("play", "limbic.band >= moderate", "recommend dyadic-play")
                 + rule("no-play", "sensitivities has touch_aversion",
                        'avoid dyadic-play because "Touch is aversive for this client."'))
    raw = raw_assessment(kb, {"limbic": "severe"}, sensitivities=["touch_aversion"])
    plan = plan_for(kb, raw)
    assert plan.phases == ()
    [avoided] = plan.avoided
    assert (avoided.intervention, avoided.rules, avoided.proposed_by, avoided.reason) == \
        ("dyadic-play", ("no-play",), ("play",), "Touch is aversive for this client.")
    without = plan_for(kb, raw_assessment(kb, {"limbic": "severe"}))
    assert without.avoided == () and without.phases[0].recommendations[0].intervention == "dyadic-play"


def test_defer_until_holds_while_its_condition_is_false(tmp_path):
    kb = make_kb(tmp_path, rule("talk", "cortex.band >= mild",
                                "recommend talking-therapy\n"
                                "    defer talking-therapy until arousal.baseline <= alert"))
    # 12 years: talking therapy needs a cognitive stage of 7 years, which a moderate cortex
    # (stage credit 0.6, docs/scoring.md) reaches from about 12.
    twelve = {"years": 12, "months": 0}
    anxious = raw_assessment(kb, {"cortex": "moderate"}, age=twelve, arousal={
        "baseline": "alarm", "current": "calm", "dissociative": False})
    [deferred] = plan_for(kb, anxious).deferred
    assert (deferred.intervention, deferred.gate_kind, deferred.gate) == \
        ("talking-therapy", "rule", "until the client is usually alert or calmer")
    assert "alarm" in deferred.holding_value
    settled = plan_for(kb, raw_assessment(kb, {"cortex": "moderate"}, age=twelve))
    assert settled.deferred == ()
    assert settled.phases[0].recommendations[0].intervention == "talking-therapy"


def test_flags_with_each_severity_and_the_critical_review(tmp_path):
    kb = make_kb(tmp_path, rule("terror", "arousal.current = terror",
                                'flag critical TERROR_NOW "The client is in terror now." '
                                'brings rhythmic-walk')
                 + rule("alarm", "arousal.current >= alarm", 'flag warning ALARM "Aroused."')
                 + rule("note", "arousal.current >= alarm", 'flag info ALARM "Noted."'))
    raw = raw_assessment(kb, arousal={"baseline": "calm", "current": "terror", "dissociative": False})
    plan = plan_for(kb, raw)
    flags = {f.code: (f.severity, f.rules) for f in plan.flags}
    assert flags == {"TERROR_NOW": ("critical", ("terror",)), "ALARM": ("warning", ("alarm", "note"))}
    # a critical flag brings its action into the plan, recommended by the flag's rule
    assert [f.actions for f in plan.flags if f.code == "TERROR_NOW"] == [("rhythmic-walk",)]
    walk = plan.phases[0].recommendations[0]
    assert (walk.intervention, walk.rules, walk.priority) == ("rhythmic-walk", ("terror",), 1)
    assert plan.review.interval_weeks == 2
    calm = plan_for(kb, raw_assessment(kb))
    assert calm.flags == () and calm.review.interval_weeks == 6


def test_no_action_needed(tmp_path):
    kb = make_kb(tmp_path, rule("typical-profile", "brainstem.band = typical and limbic.band = typical",
                                'no action needed because "Functions are typical for age."'))
    plan = plan_for(kb, raw_assessment(kb))
    assert [(n.reason, n.rules) for n in plan.no_action] == \
        [("Functions are typical for age.", ("typical-profile",))]
    assert plan_for(kb, raw_assessment(kb, {"limbic": "severe"})).no_action == ()


def test_scale_dose_of_a_phase(tmp_path):
    kb = make_kb(tmp_path, rule("walk", "brainstem.band >= moderate", "recommend rhythmic-walk")
                 + rule("short-often", "arousal.baseline >= alarm",
                        "scale dose of regulate work minutes by 0.5 frequency by 2"))
    raw = raw_assessment(kb, {"brainstem": "severe"})
    base = plan_for(kb, raw).phases[0].recommendations[0].dose
    assert (base.frequency, base.minutes) == (2, 10)
    raw["arousal"] = {"baseline": "alarm", "current": "calm", "dissociative": False}
    walk = plan_for(kb, raw).phases[0].recommendations[0]
    assert (walk.dose.frequency, walk.dose.minutes) == (4, 5)
    assert any("short-often" in note for note in walk.dose_notes)


def test_catalog_declares_every_field(tmp_path):
    kb = make_kb(tmp_path, "")
    play, talk = kb.interventions["dyadic-play"], kb.interventions["talking-therapy"]
    assert (play.region, play.modality, play.settings) == ("limbic", "relational", ("home", "clinic"))
    assert (play.dose.frequency, play.dose.period, play.dose.minutes, play.dose.delivered_by) == \
        (3, "week", 20, ("caregiver", "therapist"))
    assert talk.min_developmental_age_months == 84
    assert kb.interventions["rhythmic-walk"].contraindicated == ("limited_mobility",)


def test_region_and_domain_descriptions_are_optional():
    # regression: a declaration without its description crashed the parser with a traceback
    region, domain = parse_text("region insula order 5 phase relate\n"
                                "domain attention primary cortex\n", "t.gw").items
    assert (region.name, region.order, region.phase, region.description) == ("insula", 5, "relate", "")
    assert (domain.name, domain.primary_region, domain.description) == ("attention", "cortex", "")


def test_without_a_reachability_table_the_default_applies(tmp_path):
    # regression: with no `arousal … reaches` lines every phase was unreachable in every state
    make_kb(tmp_path, rule("walk", "arousal.current >= fear", "recommend rhythmic-walk")
            + rule("play", "limbic.band >= moderate", "recommend dyadic-play")
            + rule("talk", "cortex.band >= mild", "recommend talking-therapy"))
    model = (tmp_path / "00-model.gw").read_text(encoding="utf-8")
    (tmp_path / "00-model.gw").write_text(
        "".join(line for line in model.splitlines(True) if not line.startswith("arousal ")),
        encoding="utf-8")
    kb = load_knowledge_base(tmp_path)
    assert kb.reachable["terror"] == ("regulate",) and kb.reachable["alarm"] == ("regulate", "relate")
    raw = raw_assessment(kb, {"cortex": "mild"},
                         arousal={"baseline": "fear", "current": "terror", "dissociative": False})
    plan = plan_for(kb, raw)
    assert [r.intervention for phase in plan.phases for r in phase.recommendations] == ["rhythmic-walk"]
    # In terror, reasoning work waits for a calm or alert state (the default table); relate work
    # would not wait for the day's state (CLINICAL.md section 2).
    [talk] = plan.deferred
    assert (talk.intervention, talk.gate_kind, talk.gate) == \
        ("talking-therapy", "arousal", "until the client is calm or alert")


# ---- safety: rule text is data, never code ----

PYTHON_LOOKING = [
    ("__import__('os').system('touch PWNED')\n", (1, 1)),
    ('rule x { when exec("touch PWNED") then derive y }\n', (1, 19)),
    ("import os\nos.system('touch PWNED')\n", (1, 1)),
]


@pytest.mark.parametrize("text, position", PYTHON_LOOKING)
def test_python_looking_text_is_a_syntax_error_and_runs_nothing(text, position, tmp_path,
                                                                monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "kb"
    root.mkdir()
    shutil.copy(CORE / "00-model.gw", root / "00-model.gw")
    shutil.copy(CORE / "instrument.toml", root / "instrument.toml")
    (root / "evil.gw").write_text(text, encoding="utf-8")
    with pytest.raises(GroundworkError) as raised:
        load_knowledge_base(root)
    first = raised.value.first
    assert (first.code, first.line, first.column) == ("E001", *position)
    assert not (tmp_path / "PWNED").exists()


def test_python_in_strings_and_names_is_only_data(tmp_path, monkeypatch):
    """Rule text never reaches compile/exec/import: watch every such event while it is used."""
    monkeypatch.chdir(tmp_path)
    marker = "GW_MARKER_5f1c"
    payload = f"__import__('os').system('touch {marker}')"
    kb = make_kb(tmp_path / "kb", f'fact {marker} "{payload}"\n'
                 + rule(f"{marker}-rule", "limbic.band >= moderate", f"derive {marker}")
                 .replace('title "Test rule"', f'title "{payload}"'))
    seen = _watch_code_events(lambda: runner_for(kb).run(
        build_facts(Assessment.model_validate(raw_assessment(kb, {"limbic": "severe"})), kb).values))
    assert kb.rule(f"{marker}-rule").title == payload
    assert not [event for event in seen if marker in event]
    assert _watch_code_events(lambda: exec("pass"))  # the watch itself works
    assert not (tmp_path / marker).exists()


_watching: list[list[str]] = []


def _audit(event: str, args) -> None:
    if not _watching or event not in ("compile", "exec", "import", "os.system", "subprocess.Popen"):
        return
    _watching[-1].append(event + " " + " ".join(_code_text(a) for a in args[:2]))


def _code_text(value) -> str:
    if hasattr(value, "co_consts"):
        return " ".join([value.co_filename, value.co_name] + [_code_text(c) for c in value.co_consts])
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


sys.addaudithook(_audit)  # hooks cannot be removed; this one records only inside _watch_code_events


def _watch_code_events(action) -> list[str]:
    _watching.append([])
    try:
        action()
    finally:
        seen = _watching.pop()
    return seen


# ---- through the command line ----

BRAINSTOM = (CATALOG + rule("calm-body", "brainstom.band >= moderate", "recommend rhythmic-walk"))
BRAINSTOM_LINE = ("20-rules.gw:9:8: error: E110: unknown region 'brainstom' "
                  "(did you mean 'brainstem'?)")


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", "from groundwork.cli import main; main()", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _bad_kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    root.mkdir()
    shutil.copy(CORE / "00-model.gw", root / "00-model.gw")
    shutil.copy(CORE / "instrument.toml", root / "instrument.toml")
    (root / "20-rules.gw").write_text(BRAINSTOM.replace(CATALOG, ""), encoding="utf-8")
    (root / "10-catalog.gw").write_text(CATALOG, encoding="utf-8")
    return root


def test_lint_reports_an_unknown_region_and_exits_1(tmp_path):
    root = _bad_kb(tmp_path)
    result = _cli("lint", str(root))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"{root}/{BRAINSTOM_LINE}"
    assert lines[1:3] == ["      when brainstom.band >= moderate", "           ^"]
    assert "Traceback" not in result.stderr


def test_assess_with_a_bad_knowledge_base_exits_2_and_writes_nothing(tmp_path):
    root = _bad_kb(tmp_path)
    case = tmp_path / "case.json"
    case.write_text(json.dumps(raw_assessment(make_kb(tmp_path / "good", ""))), encoding="utf-8")
    out = tmp_path / "plan.json"
    result = _cli("assess", str(case), "--kb", str(root), "--out", str(out))
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == f"{root}/{BRAINSTOM_LINE}"
    assert result.stdout == "" and not out.exists()
    assert "Traceback" not in result.stderr
