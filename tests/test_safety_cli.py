"""Clinical safety through the CLI, as a clinician runs it (issue #13): JSON and text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import knowledge_base
from tests.helpers import EXAMPLES, base_assessment, run_cli

KB = knowledge_base.load()
REGION_OF = {item.id: item.region for item in KB.instrument.items}


def _write(tmp_path: Path, data: dict, name: str = "case.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def _plan(path: str) -> dict:
    result = run_cli("assess", path, "-f", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _text(path: str) -> str:
    result = run_cli("assess", path)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _active(plan: dict) -> list[dict]:
    return [rec for phase in plan["phases"] for rec in phase["recommendations"]]


def _example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


# ---- 1. fail closed ----

@pytest.fixture(scope="module")
def unrated(tmp_path_factory) -> str:
    data = _example("school-age-child")
    for rating in data["ratings"]:
        if REGION_OF[rating["item"]] in ("brainstem", "diencephalon", "limbic"):
            rating["value"] = None
    return _write(tmp_path_factory.mktemp("unrated"), data)


def test_unrated_lower_regions_hold_all_client_relate_and_reason_work(unrated):
    plan = _plan(unrated)
    client_above = [rec["intervention"] for phase in plan["phases"] if phase["name"] != "regulate"
                    for rec in phase["recommendations"] if rec["track"] == "client"]
    assert client_above == []
    held = {d["intervention"]: d for d in plan["deferred"]}
    assert held["psychoeducation"]["gate_kind"] == "region"
    assert "brainstem items not rated: " in held["psychoeducation"]["gate"]
    assert "tolerates-touch" in held["psychoeducation"]["gate"]


def test_unrated_lower_regions_make_completing_the_assessment_the_first_action(unrated):
    plan = _plan(unrated)
    assert plan["phases"][0]["recommendations"][0]["intervention"] == "complete-assessment"
    text = _text(unrated)
    first = next(line for line in text.splitlines() if line.startswith("  1. "))
    assert "Complete the assessment [complete-assessment]" in first
    assert "rated first: brainstem items not rated" in text


def test_a_period_left_out_is_unknown_and_said_so(tmp_path):
    data = base_assessment(history=[{"period": "childhood", "adversity": "none",
                                     "relational_poverty": "none"}])
    plan = _plan(_write(tmp_path, data))
    assert "EARLY_HISTORY_UNKNOWN" in {f["code"] for f in plan["flags"]}
    assert plan["no_action"] == [] or all("state-settled-profile" not in n["rules"]
                                          for n in plan["no_action"])
    assert "complete-assessment" in {r["intervention"] for r in _active(plan)}


def test_a_fully_recorded_typical_calm_client_needs_no_action(tmp_path):
    history = [{"period": p, "adversity": "none", "relational_poverty": "none"}
               for p in ("perinatal", "infancy", "early_childhood", "childhood")]
    plan = _plan(_write(tmp_path, base_assessment(history=history)))
    assert [n["rules"] for n in plan["no_action"]] == [["state-settled-profile"]]
    assert plan["flags"] == [] and plan["phases"] == []


# ---- 2. touch ----

@pytest.fixture(scope="module")
def maltreated(tmp_path_factory) -> str:
    data = _example("school-age-child")
    data["safeguarding"] = ["ongoing_maltreatment"]
    data["suspected_harm"] = [{"concern": "ongoing_maltreatment", "suspected": "kinship_carer"}]
    return _write(tmp_path_factory.mktemp("maltreated"), data)


def test_the_school_age_example_records_agreement_so_massage_is_offered():
    plan = _plan(str(EXAMPLES / "school-age-child.json"))
    massage = next(r for r in _active(plan) if r["intervention"] == "rhythmic-patting-massage")
    assert massage["settings"] == ["home"]  # school's touch policy is none


def test_maltreatment_by_the_carer_holds_all_body_contact(maltreated):
    plan = _plan(maltreated)
    body_contact = {i for i, iv in KB.interventions.items() if "body_contact" in iv.marks}
    assert not body_contact & {r["intervention"] for r in _active(plan)}
    rocking = next(r for r in _active(plan) if r["intervention"] == "rhythmic-rocking")
    assert rocking["in_place_of"] == ["rhythmic-patting-massage"]
    flag = next(f for f in plan["flags"] if f["code"] == "SAFEGUARDING_ONGOING_MALTREATMENT")
    assert set(flag["actions"]) >= {"safeguarding-referral", "identify-safe-adult", "earlier-review"}


def test_why_not_massage_names_the_safeguarding_condition(maltreated):
    result = run_cli("why-not", maltreated, "rhythmic-patting-massage", "-f", "json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["status"] == "deferred"
    assert answer["summary"].endswith("Now: touch.deliverer_safe = false.")
    text = run_cli("why-not", maltreated, "rhythmic-patting-massage").stdout
    assert "a safe deliverer of touch is present" in text and "touch.deliverer_safe = false" in text


def test_unknown_consent_means_not_yet(tmp_path):
    data = _example("school-age-child")
    del data["touch"]
    path = _write(tmp_path, data)
    result = run_cli("why-not", path, "rhythmic-patting-massage")
    assert "Now: touch.client_assent = false, touch.carer_consent = false." in result.stdout
    assert "offered without body contact in place of rhythmic-patting-massage" in _text(path)


# ---- 3. critical flags bring action ----

@pytest.fixture(scope="module")
def self_harm(tmp_path_factory) -> str:
    data = base_assessment(age={"years": 15, "months": 0}, safeguarding=["self_harm_risk"],
                           caregivers=[{"id": "CG-1", "role": "foster_carer", "settings": ["home"],
                                        "regulation": "well_regulated"}])
    return _write(tmp_path_factory.mktemp("self-harm"), data)


def test_a_calm_typical_adolescent_with_self_harm_risk_gets_a_safety_plan(self_harm):
    plan = _plan(self_harm)
    active = {r["intervention"] for r in _active(plan)}
    assert {"safety-plan", "earlier-review"} <= active
    assert "life-story-work" not in active
    assert plan["no_action"] == []
    flag = next(f for f in plan["flags"] if f["code"] == "SAFEGUARDING_SELF_HARM_RISK")
    assert flag["severity"] == "critical" and set(flag["actions"]) <= active
    text = _text(self_harm)
    assert "No action needed" not in text
    assert "Action in the plan: earlier-review, safety-plan." in " ".join(text.split())
    assert "see the deferred list below" in text and "avoided" not in text.split("PHASE")[0].lower()


def test_suicidal_ideation_is_a_concern_of_its_own(tmp_path):
    plan = _plan(_write(tmp_path, base_assessment(age={"years": 16, "months": 0},
                                                  safeguarding=["suicidal_ideation"])))
    codes = {f["code"] for f in plan["flags"]}
    assert "SAFEGUARDING_SUICIDAL_IDEATION" in codes and "SAFEGUARDING_SELF_HARM_RISK" not in codes
    assert {"safety-plan", "earlier-review"} <= {r["intervention"] for r in _active(plan)}


# ---- 4. evocative work waits for a review ----

def test_a_recent_safety_review_releases_held_life_story_work(tmp_path):
    data = base_assessment(age={"years": 15, "months": 0}, safeguarding=["self_harm_risk"],
                           caregivers=[{"id": "CG-1", "role": "foster_carer", "settings": ["home"],
                                        "regulation": "well_regulated"}],
                           safety_review={"date": "2026-10-20", "evocative_work": "may_proceed"})
    plan = _plan(_write(tmp_path, data))
    # released: no longer deferred, offered in the plan or (over the load budget) on its menu
    assert "life-story-work" not in {d["intervention"] for d in plan["deferred"]}
    offered = {r["intervention"] for r in _active(plan)} | {m["intervention"] for m in plan["menu"]}
    assert "life-story-work" in offered
    assert "SAFEGUARDING_SELF_HARM_RISK" in {f["code"] for f in plan["flags"]}


# ---- 5. trauma-focused therapy on symptoms, one at a time ----

def _regulated_13_year_old(**extra) -> dict:
    ratings = [{"item": r, "value": 1 if region == "cortex" else 0, "informant": "caregiver"}
               for r, region in REGION_OF.items()]
    return base_assessment(age={"years": 13, "months": 0}, ratings=ratings,
                           settings=["home", "school", "clinic"],
                           history=[{"period": p, "adversity": "moderate" if p == "childhood"
                                     else "none", "relational_poverty": "none"}
                                    for p in ("perinatal", "infancy", "early_childhood",
                                              "childhood", "adolescence")], **extra)


def test_history_alone_brings_no_trauma_processing(tmp_path):
    plan = _plan(_write(tmp_path, _regulated_13_year_old()))
    processing = {i for i, iv in KB.interventions.items() if "trauma_processing" in iv.marks}
    assert not processing & {r["intervention"] for r in _active(plan)}
    assert "TRAUMA_SCREEN_NOT_DONE" in {f["code"] for f in plan["flags"]}


def test_symptoms_bring_one_protocol_and_prerequisites_mean_established(tmp_path):
    data = _regulated_13_year_old(trauma_screen={"result": "above_threshold", "screen": "cats"},
                                  established=["psychoeducation"])
    plan = _plan(_write(tmp_path, data))
    processing = {i for i, iv in KB.interventions.items() if "trauma_processing" in iv.marks}
    active = {r["intervention"] for r in _active(plan)}
    assert active & processing == {"tf-cbt-referral"}
    held = {d["intervention"]: d for d in plan["deferred"]}
    assert held["trauma-narrative-work"]["gate_kind"] == "prerequisite"
    assert "Cognitive behavioural skills is recorded as established" in held["trauma-narrative-work"]["gate"]
    assert held["emdr-referral"]["gate_kind"] == "protocol"
    text = run_cli("why-not", _write(tmp_path, data, "again.json"), "emdr-referral").stdout
    assert "one trauma-processing protocol at a time" in " ".join(text.split())


# ---- old assessments stay valid; bad input is one precise message ----

def test_an_assessment_without_the_new_fields_is_valid_and_gets_safe_defaults(tmp_path):
    data = base_assessment()
    result = run_cli("assess", _write(tmp_path, data), "-f", "json")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("change, message", [
    ({"suspected_harm": [{"concern": "ongoing_maltreatment", "suspected": "parent"}]},
     "suspected_harm: entry 0 names"),
    ({"safety_review": {"date": "2027-01-01", "evocative_work": "may_proceed"}},
     "safety_review: the review is dated after"),
    ({"touch": {"client_assent": "maybe"}}, "touch.client_assent"),
    ({"established": ["CBT skills"]}, "established[0]"),
])
def test_bad_safety_fields_are_one_precise_message(tmp_path, change, message):
    result = run_cli("assess", _write(tmp_path, base_assessment(**change)))
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
