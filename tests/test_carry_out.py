"""A plan people can carry out (issue #14): two tracks, state guidance, a load budget, who does
what where, age fit, and handouts. Properties over generated assessments, then the bundled
examples through the CLI, then the handouts."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import knowledge_base
from engine.models import Assessment
from engine.pipeline import assess
from tests.helpers import ROOT, run_cli
from tests.strategies import assessments

KB = knowledge_base.load()
ITEMS = tuple(item.id for item in KB.instrument.items)
SETTINGS = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Any age the model takes, infants included (tests/strategies.py starts at one year).
ANY_AGE = st.tuples(assessments(ITEMS), st.integers(0, 80 * 12 + 11)).map(
    lambda pair: {**pair[0], "age": {"years": pair[1] // 12, "months": pair[1] % 12}})


def _outcome(raw):
    return assess(Assessment.model_validate(raw), raw, KB)


def _active(plan):
    return [r for phase in plan.phases for r in phase.recommendations]


def _in_range(intervention: str, months: int) -> bool:
    iv = KB.interventions[intervention]
    return (iv.min_age_months or 0) <= months and (iv.max_age_months is None
                                                   or months < iv.max_age_months)


@SETTINGS
@given(ANY_AGE)
def test_plans_stay_within_budget_fit_the_age_and_name_who_delivers(raw):
    outcome = _outcome(raw)
    plan, assessment = outcome.plan, outcome.assessment
    months = assessment.age.total_months
    # the budget: every line within its limits, and the plan says so
    load = plan.load
    assert load is not None and load.within_budget
    for line in load.deliverers + load.settings:
        assert line.budget_activities is None or line.activities <= line.budget_activities
        assert line.budget_minutes is None or line.minutes_per_day <= line.budget_minutes + 1e-6
    active = _active(plan)
    # age fit: nothing active outside its age range
    assert all(_in_range(r.intervention, months) for r in active)
    # delivery: a named adult present in that setting, the therapist, the client's own
    # practice, or the setting's staff with the action to name a person on the support track
    people = assessment.caregivers  # generated ids may repeat: look for any adult with the id
    key_adult = {s for r in active if r.intervention == "name-a-key-adult" for s in r.settings}
    for rec in active:
        assert [e.setting for e in rec.delivery] == list(rec.settings)
        for entry in rec.delivery:
            for adult in entry.adults:
                assert any(c.id == adult and entry.setting in c.settings
                           and c.regulation != "dysregulated" for c in people), (adult, entry)
            if entry.find_person:
                assert entry.setting in key_adult, (rec.intervention, entry)
            if not entry.adults:
                assert entry.professional or entry.delivered_by == "self" or entry.find_person \
                    or rec.dose.period == "week", (rec.intervention, entry)


@SETTINGS
@given(ANY_AGE)
def test_support_work_is_never_held_by_the_clients_bands_or_state(raw):
    outcome = _outcome(raw)
    plan, decisions = outcome.plan, outcome.decisions.by_intervention
    fired = {rule for rule in outcome.decisions.findings.recommends}
    for intervention in fired:
        if KB.interventions[intervention].track != "support":
            continue
        decision = decisions[intervention]
        # Its rule fired: it is in the plan from day one, unless a rule avoids it, it is outside
        # its age or settings, a rule's own gate on the adults holds it, or the load budget puts
        # it on the menu; never the region or the arousal gate, never the developmental profile.
        assert decision.kind not in ("region", "arousal", "developmental_age"), decision
    for item in plan.deferred:
        if item.track == "support":
            assert item.gate_kind in ("rule", "prerequisite")


@SETTINGS
@given(ANY_AGE)
def test_state_guidance_covers_every_state_and_keeps_reasoning_for_calm(raw):
    plan = _outcome(raw).plan
    guidance = {g.state: g for g in plan.state_guidance}
    assert set(guidance) == {"calm", "alarm", "fear", "dissociated"}
    assert sum(g.lead for g in plan.state_guidance) == 1
    for state in ("alarm", "fear", "dissociated"):
        assert not [a for a in guidance[state].activities
                    if KB.phase_of_region(KB.interventions[a].region).value == "reason"]
    assert all(g.do for g in plan.state_guidance), "a rule gives guidance at every age"


def test_every_core_activity_states_its_ages_and_adult_work_is_written_for_adults():
    for iv in KB.interventions.values():
        assert iv.min_age_months is not None and iv.max_age_months is not None, iv.id
    adult = [iv for iv in KB.interventions.values() if iv.min_age_months == 18 * 12]
    infant = [iv for iv in KB.interventions.values() if iv.max_age_months == 24]
    assert len(adult) >= 5 and len(infant) >= 4
    # adult work is written as adult work, not a child's activity renamed
    assert not [iv.id for iv in adult if re.search(r"\bchild", iv.description or "", re.I)]


# ---- the bundled examples ----

EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


def _plan_json(path) -> dict:
    result = run_cli("assess", str(path), "-f", "json", "--no-audit")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _recs(plan: dict) -> list[dict]:
    return [r for p in plan["phases"] for r in p["recommendations"]]


@pytest.mark.parametrize("case", EXAMPLES, ids=[c.stem for c in EXAMPLES])
def test_every_example_is_within_its_budget_and_shows_its_load(case):
    plan = _plan_json(case)
    assert plan["load"]["within_budget"] is True and plan["load"]["deliverers"]
    text = run_cli("assess", str(case), "--no-audit").stdout
    assert "LOAD (budget for ages" in text and "within budget" in text
    assert "IN EACH STATE" in text


def test_the_school_age_carer_gets_co_regulation_coaching_on_day_one():
    plan = _plan_json(ROOT / "examples" / "school-age-child.json")
    coaching = next(r for r in _recs(plan) if r["intervention"] == "co-regulation-coaching")
    assert coaching["track"] == "support" and "support-carers-variable" in coaching["rules"]
    assert plan["arousal"]["current"] == "alarm"  # whatever the client's state and bands
    text = run_cli("assess", "examples/school-age-child.json", "--no-audit").stdout
    assert text.index("FOR THE ADULTS AROUND THE CLIENT") < text.index("PHASE 1: REGULATE")


def test_the_child_in_crisis_gets_a_key_worker_and_staff_carry_the_daily_work():
    plan = _plan_json(ROOT / "examples" / "child-in-crisis.json")
    recs = _recs(plan)
    key = next(r for r in recs if r["intervention"] == "name-a-key-adult")
    assert key["track"] == "support" and key["settings"] == ["residential"]
    daily = [r for r in recs if r["track"] == "client" and r["dose"]["period"] == "day"]
    assert daily
    for rec in daily:
        assert rec["dose"]["delivered_by"] == "residential_staff"
        assert [(e["setting"], e["delivered_by"]) for e in rec["delivery"]] == \
            [("residential", "residential_staff")]


def test_a_nine_month_old_gets_only_infant_work(tmp_path):
    raw = json.loads((ROOT / "examples" / "young-child.json").read_text()) | {
        "client_id": "EX-IN-01", "age": {"years": 0, "months": 9}}
    case = tmp_path / "infant.json"
    case.write_text(json.dumps(raw))
    plan = _plan_json(case)
    client = {r["intervention"] for r in _recs(plan) if r["track"] == "client"}
    # Being held and rocked is body contact: this example records a touch aversion and no consent,
    # so singing face to face is offered in its place; with consent and assent (read from the
    # infant's cues) recorded, no aversion and home allowing touch, the carer holds and rocks.
    assert "infant-sung-to" in client and "infant-held-and-rocked" not in client
    agreed = tmp_path / "infant-agreed.json"
    agreed.write_text(json.dumps(raw | {
        "sensitivities": [], "touch": {"client_assent": "given", "carer_consent": "given"},
        "touch_policies": [{"setting": "home", "policy": "allowed"}]}))
    assert "infant-held-and-rocked" in {r["intervention"] for r in _recs(_plan_json(agreed))}
    for intervention in client | {m["intervention"] for m in plan["menu"]}:
        assert _in_range(intervention, 9)
    assert "dyadic-attunement-play" in {n["intervention"] for n in plan["not_suitable"]}
    why_not = run_cli("why-not", str(case), "dyadic-attunement-play")
    assert "outside its age range" in why_not.stdout


def test_a_thirty_year_old_gets_only_adult_work():
    plan = _plan_json(ROOT / "examples" / "adult.json")
    for intervention in [r["intervention"] for r in _recs(plan)] + \
            [m["intervention"] for m in plan["menu"]]:
        assert _in_range(intervention, 30 * 12 + 4), intervention
        assert (KB.interventions[intervention].max_age_months or 0) > 18 * 12
    assert not [r for r in _recs(plan) if r["intervention"] in ("patterned-walking",
                                                                "slowed-breathing")]


# ---- handouts ----

JARGON = re.compile(r"\b(band|brainstem|diencephalon|limbic|cortex|score|rule|regulate|relate|"
                    r"reason)\b", re.I)


def test_the_school_age_handout_has_a_carer_page_and_a_school_page_in_plain_words():
    result = run_cli("assess", "examples/school-age-child.json", "--format", "handout",
                     "--no-audit")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "FOR THE CARER EX-SA-01-K1 AT HOME" in text
    assert "FOR THE SCHOOL STAFF EX-SA-01-T1 AT SCHOOL" in text
    for heading in ("WHAT TO DO THIS WEEK", "WHAT TO DO IN EACH STATE"):
        assert text.count(heading) == 2
    assert "When:" in text and "minutes each time" in text and "Why:" in text
    plan = _plan_json(ROOT / "examples" / "school-age-child.json")
    for rec in _recs(plan):  # no catalog ids, no rule ids
        assert f"[{rec['intervention']}]" not in text
        for rule in rec["rules"]:
            assert rule not in text
    assert not JARGON.search(text), JARGON.search(text)
    assert not re.search(r"\d\.\d\d", text), "no scores"


def test_the_residential_handout_is_a_shift_page():
    text = run_cli("assess", "examples/child-in-crisis.json", "--format", "handout",
                   "--no-audit").stdout
    assert "FOR THE RESIDENTIAL STAFF ON EACH SHIFT IN RESIDENTIAL CARE" in text
    assert "every shift change" in text and "No key adult is named here yet" in text


def test_the_html_handout_is_one_printable_page_per_adult():
    html = run_cli("assess", "examples/school-age-child.json", "--format", "handout-html",
                   "--no-audit").stdout
    assert html.count('<section class="page"') == 2 and "page-break-after: always" in html
    assert "<script" not in html and "http" not in html.split("<body>")[1]


@pytest.mark.browser
def test_the_handout_and_the_printed_report_show_what_they_should(tmp_path):
    from tests.helpers import browser_or_skip
    browser_or_skip()
    from playwright.sync_api import sync_playwright

    from explain.screenshots import launch

    handout = tmp_path / "handout.html"
    handout.write_text(run_cli("assess", "examples/school-age-child.json", "--format",
                               "handout-html", "--no-audit").stdout, encoding="utf-8")
    report = tmp_path / "report.html"
    report.write_text(run_cli("assess", "examples/school-age-child.json", "--format", "html",
                              "--no-audit").stdout, encoding="utf-8")
    plan = _plan_json(ROOT / "examples" / "school-age-child.json")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page()
        page.goto(handout.as_uri())
        page.emulate_media(media="print")
        shown = page.inner_text("body")
        assert "For the carer EX-SA-01-K1 at home" in shown
        assert "For the school staff EX-SA-01-T1 at school" in shown
        assert len(page.pdf(format="A4")) > 1000
        page.goto(report.as_uri())
        page.emulate_media(media="screen")
        hidden_on_screen = page.inner_text("body")
        page.emulate_media(media="print")
        printed = page.inner_text("body")
        pdf = page.pdf(format="A4")
        browser.close()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10000
    # printed, every recommendation's reasons are expanded: each rule's title is in the text, in
    # the print rendering and in the PDF Chromium made of it (text read back with pypdf)
    import io
    import unicodedata

    from pypdf import PdfReader
    text = " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
    in_pdf = " ".join(unicodedata.normalize("NFKC", text).split())  # the fonts' ligatures: ﬁ → fi
    for rec in _recs(plan):
        for reason in rec["because"]:
            assert reason["title"] in printed, reason["title"]
            assert " ".join(reason["title"].split()) in in_pdf, reason["title"]
    assert len(printed) > len(hidden_on_screen)
