"""Instrument v2 and what the plan makes of single items (issue #15): item flags and referrals,
not-due items, informants, and the coverage of every region at every age."""

from __future__ import annotations

import json

import pytest

import knowledge_base
from engine.models import Assessment
from engine.pipeline import assess, plan_json
from tests.helpers import base_assessment, run_cli

KB = knowledge_base.load()
INSTRUMENT = KB.instrument


def _plan(raw):
    return assess(Assessment.model_validate(raw), raw, KB).plan


def _rated(raw, **values):
    ratings = [dict(r, value=values.get(r["item"].replace("-", "_"), r["value"])) for r in raw["ratings"]]
    return {**raw, "ratings": ratings}


def test_the_instrument_has_a_version_that_the_plan_names():
    plan = _plan(base_assessment())
    assert INSTRUMENT.version == "2.0.0"
    assert (plan.provenance.instrument_name, plan.provenance.instrument_version) == (
        "Groundwork Functional Profile", "2.0.0")


@pytest.mark.parametrize("months", list(range(0, 25 * 12 + 1)) + [40 * 12, 80 * 12])
def test_every_region_has_enough_due_items_at_every_age(months):
    for region in KB.region_names:
        due = [i for i in INSTRUMENT.due_items(months) if i.region == region]
        assert len(due) >= INSTRUMENT.min_known_items, (region, months)


def test_new_kinds_of_item_are_there():
    ids = {i.id for i in INSTRUMENT.items}
    assert {"receptive-language", "remembers-learning", "working-memory", "pleasure-in-activity",
            "waits-for-reward", "close-relationships", "self-managed-routine",
            "manages-own-affairs", "abstract-reasoning", "affect-range"} <= ids
    assert INSTRUMENT.item("names-feelings").text.startswith("Puts own feelings into words")


@pytest.mark.parametrize("item, months", [("reads-faces", 12), ("perspective-taking", 60),
                                          ("accepts-comfort", 2), ("peer-play", 36)])
def test_corrected_typical_from_ages_each_cite_a_developmental_source(item, months):
    found = INSTRUMENT.item(item)
    assert found.typical_from_months == months
    assert found.source and "(" in found.source and ")" in found.source


def test_every_item_cites_a_source_and_has_a_sane_rating_range():
    from dsl.citations import parse_citation
    for item in INSTRUMENT.items:
        assert parse_citation(item.source).problem is None, item.id
        assert item.rated_from_months <= item.typical_from_months or item.rated_until_months, item.id


def test_anchors_for_every_rating_point_in_three_age_bands():
    assert [b.from_months for b in INSTRUMENT.age_bands] == [0, 72, 144]
    for band in INSTRUMENT.age_bands:
        assert len(band.anchors) == len(INSTRUMENT.scale) and all(band.anchors)
    assert INSTRUMENT.age_band(100).name.startswith("school age")


def test_one_sleep_item_at_three_in_a_typical_brainstem_is_shown_with_a_paediatric_referral():
    plan = _plan(_rated(base_assessment(), sleep_onset=3))
    brainstem = next(r for r in plan.regions if r.region == "brainstem")
    assert brainstem.band == "typical"
    (flag,) = plan.item_flags
    assert (flag.item, flag.value, flag.region, flag.referral) == ("sleep-onset", 3, "brainstem", "paediatrics")
    assert "Paediatric review" in flag.message


def test_the_text_plan_shows_items_rated_severely_below_typical(tmp_path):
    path = tmp_path / "case.json"
    path.write_text(json.dumps(_rated(base_assessment(), sleep_onset=3)), encoding="utf-8")
    result = run_cli("assess", str(path), cwd=tmp_path)
    assert "ITEMS RATED SEVERELY BELOW TYPICAL" in result.stdout
    assert "sleep-onset (brainstem, self regulation)" in result.stdout
    assert "consider: Paediatric review" in result.stdout


def test_a_not_due_item_is_neither_known_nor_missing():
    infant = base_assessment(age={"years": 0, "months": 6})
    plan = _plan(infant)
    assert "plans-ahead" in plan.not_due_items and "sleep-wake-rhythm" not in plan.not_due_items
    cortex = next(r for r in plan.regions if r.region == "cortex")
    due = [i for i in INSTRUMENT.due_items(6) if i.region == "cortex"]
    assert (cortex.items, cortex.known_ratings) == (len(due), len(due))
    assert cortex.not_due == sum(1 for i in INSTRUMENT.items if i.region == "cortex") - len(due)
    without = {**infant, "ratings": [r for r in infant["ratings"] if r["item"] not in plan.not_due_items]}
    assert plan_json(_plan(without)).replace(_plan(without).provenance.input_hash, "") == \
        plan_json(plan).replace(plan.provenance.input_hash, "")


def _two_informants(raw, item, first, second):
    ratings = [r for r in raw["ratings"] if r["item"] != item]
    ratings += [{"item": item, "value": first, "informant": "caregiver"},
                {"item": item, "value": second, "informant": "teacher"}]
    return {**raw, "ratings": ratings}


def test_informants_two_points_apart_ask_for_reconciliation_and_the_higher_rating_is_used():
    plan = _plan(_two_informants(base_assessment(), "transitions", 0, 2))
    flag = next(f for f in plan.flags if f.code == "RATINGS_TO_RECONCILE")
    assert flag.severity == "warning" and "transitions" in flag.message
    diencephalon = next(r for r in plan.regions if r.region == "diencephalon")
    assert diencephalon.score > 0
    close = _plan(_two_informants(base_assessment(), "transitions", 0, 1))
    assert "RATINGS_TO_RECONCILE" not in {f.code for f in close.flags}


def test_the_same_informant_rating_an_item_twice_is_bad_input(tmp_path):
    raw = base_assessment()
    raw["ratings"].append(dict(raw["ratings"][0]))
    path = tmp_path / "case.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    out = tmp_path / "plan.json"
    result = run_cli("assess", str(path), "--out", str(out), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    index = len(raw["ratings"]) - 1
    assert result.stderr.splitlines()[0] == (
        f"{path}: ratings[{index}].item: item '{raw['ratings'][0]['item']}' is rated twice by the "
        "same informant (caregiver); keep one rating per informant")
    assert not out.exists()


def test_a_self_report_alone_counts_only_from_the_declared_age():
    def self_reported(years):
        raw = base_assessment(age={"years": years, "months": 0})
        for rating in raw["ratings"]:
            if rating["item"] == "baseline-calm":
                rating.update(value=3, informant="self_report")
        return _plan(raw)
    child, adolescent = self_reported(9), self_reported(13)
    assert "SELF_REPORT_SET_ASIDE" in {f.code for f in child.flags}
    assert "baseline-calm" not in {f.item for f in child.item_flags}
    assert "SELF_REPORT_SET_ASIDE" not in {f.code for f in adolescent.flags}
    assert "baseline-calm" in {f.item for f in adolescent.item_flags}


def _stage(raw, name):
    from engine.facts import build_facts
    facts = build_facts(Assessment.model_validate(raw), KB)
    return next(s for s in (*facts.domain_stages, *facts.region_stages) if s.name == name)


def test_the_worked_examples_of_docs_scoring_md():
    from tests.helpers import ROOT
    school = json.loads((ROOT / "examples" / "school-age-child.json").read_text())
    assert _stage(school, "sensory_integration").months == 44
    assert _stage(_rated(school, fine_motor_control=3), "sensory_integration").months == 40
    assert {_stage(school, d).months for d in ("relational", "cognitive")} == {59}
    assert _stage(school, "self_regulation").months == 47
    infant = base_assessment(age={"years": 0, "months": 6})
    infant["ratings"] = [r for r in infant["ratings"]
                         if INSTRUMENT.item(r["item"]).domain != "relational" or r["item"] == "accepts-comfort"]
    stage = _stage(infant, "relational")
    assert (stage.months, stage.reason) == (None, "only 1 of 3 due items are rated; at least 3 are "
                                                  "needed for an estimate")
    plan = _plan(school)
    cortex = next(r for r in plan.regions if r.region == "cortex")
    assert cortex.borderline and cortex.borderline_note == (
        "cortex 2.20 is within 0.15 of the band edge at 2.25: one rating decides the band (rating "
        "expressive-language 2 instead of 1 would make cortex severe)")
    text = run_cli("assess", str(ROOT / "examples" / "school-age-child.json")).stdout
    assert "developmental age 3y 0m" not in text and "FUNCTIONAL PROFILE" in text


def test_the_rating_guide_covers_every_item_and_anchor():
    from tests.helpers import ROOT
    guide = (ROOT / "docs" / "rating-guide.md").read_text(encoding="utf-8")
    for item in INSTRUMENT.items:
        assert f"| `{item.id}` | {item.text} |" in guide, item.id
    for band in INSTRUMENT.age_bands:
        for point, anchor in zip(INSTRUMENT.scale, band.anchors):
            assert f"- {point.value}: {anchor}" in guide
    assert f"version {INSTRUMENT.version}" in guide
