"""FHIR R4 in and out: the Questionnaire and its CodeSystems, a QuestionnaireResponse (or a Bundle
with its Patient) read by `groundwork assess` to the same plan as Groundwork's JSON, bad responses
refused naming the linkId, and `--format fhir` a deterministic Bundle. Every resource produced is
validated by fhir.resources (R4B), a library not written here."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from hypothesis import HealthCheck, given, settings

import knowledge_base
from dsl.errors import GroundworkError
from engine.models import Assessment
from groundwork.fhir.form import form, unmapped_fields, walk
from groundwork.fhir.response import assessment_from_fhir, response_from_assessment
from tests.helpers import base_assessment, example_paths, run_cli
from tests.strategies import assessments

KB = knowledge_base.load()


def valid_resources(bundle: dict) -> list:
    """Each entry's resource validated by fhir.resources' model for its resourceType."""
    return [get_fhir_model_class(e["resource"]["resourceType"]).model_validate(e["resource"])
            for e in bundle["entry"]]


def no_null_or_empty(value, where="$") -> list[str]:
    """Every place in a JSON value holding null, [] or {} (FHIR and CDS Hooks forbid them)."""
    if value is None or value == [] or value == {}:
        return [where]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in no_null_or_empty(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in no_null_or_empty(v, f"{where}[{i}]")]
    return []


def _sorted(assessment: Assessment) -> Assessment:
    return assessment.model_copy(update={"ratings": tuple(sorted(assessment.ratings,
                                                                 key=lambda r: r.item))})


def test_the_questionnaire_has_the_instrument_its_version_url_and_answer_options():
    result = run_cli("fhir", "questionnaire")
    assert result.returncode == 0, result.stderr
    bundle = json.loads(result.stdout)
    Bundle.model_validate(bundle)
    assert [r.__resource_type__ for r in valid_resources(bundle)][:2] == ["Questionnaire", "CodeSystem"]
    assert no_null_or_empty(bundle) == []
    resources = [e["resource"] for e in bundle["entry"]]
    questionnaire = Questionnaire.model_validate(resources[0])
    assert questionnaire.version == KB.instrument.version and questionnaire.url.startswith("https://")
    link_ids = {i["linkId"] for i in _items(resources[0]["item"])}
    assert {f"ratings.{item.id}.value" for item in KB.instrument.items} <= link_ids
    assert {"client_id", "age.years", "arousal.current", "history.period", "caregivers.settings"} <= link_ids
    value = next(i for i in _items(resources[0]["item"]) if i["linkId"].endswith(".value"))
    assert [o["valueCoding"]["code"] for o in value["answerOption"]] == ["0", "1", "2", "3", "unknown"]
    systems = {r["url"].rsplit("/", 1)[1]: r for r in resources[1:]}
    assert {"interventions", "flags", "bands", "override-reasons", "rating-scale",
            "arousal-states"} <= set(systems)
    assert {c["code"] for c in systems["interventions"]["concept"]} == set(KB.interventions)
    assert [c["code"] for c in systems["bands"]["concept"]][:4] == ["typical", "mild", "moderate", "severe"]


def _items(items):
    for item in items:
        yield item
        yield from _items(item.get("item", []))


def test_every_model_field_is_a_question_or_an_extension():
    asked = {q.link_id.split(".")[0] for q in walk(form(KB.instrument))}
    for name in Assessment.model_fields:
        assert name in asked or name in unmapped_fields() or name == "schema_version", name


@pytest.mark.parametrize("case", example_paths(), ids=lambda p: p.stem)
def test_a_questionnaire_response_gives_the_same_plan_as_the_groundwork_json(tmp_path, case):
    response = run_cli("fhir", "response", str(case), "-o", str(tmp_path / "qr.json"))
    assert response.returncode == 0, response.stderr
    QuestionnaireResponse.model_validate_json((tmp_path / "qr.json").read_text())
    from_fhir = run_cli("assess", str(tmp_path / "qr.json"), "--format", "json", "--no-audit")
    from_json = run_cli("assess", str(case), "--format", "json", "--no-audit")
    assert from_fhir.returncode == from_json.returncode == 0, from_fhir.stderr
    fhir_plan, json_plan = json.loads(from_fhir.stdout), json.loads(from_json.stdout)
    # The input hash names the input document, which differs; everything else is the same plan.
    fhir_plan["provenance"].pop("input_hash"), json_plan["provenance"].pop("input_hash")
    assert fhir_plan == json_plan


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assessments(tuple(i.id for i in KB.instrument.items)))
def test_round_trip_through_a_questionnaire_response(raw):
    response = response_from_assessment(raw, KB)
    assert no_null_or_empty(response) == []
    assessment, _ = assessment_from_fhir(response, "qr.json", KB)
    assert _sorted(assessment) == _sorted(Assessment.model_validate(raw))


def test_a_bundle_with_the_patient_fills_client_and_age():
    raw = base_assessment()
    response = response_from_assessment(raw, KB)
    response["item"] = [i for i in response["item"] if i["linkId"] not in ("client_id", "age")]
    patient = {"resourceType": "Patient", "id": "pat-7", "birthDate": "2018-03-02"}
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": response}, {"resource": patient}]}
    assessment, data = assessment_from_fhir(bundle, "bundle.json", KB)
    assert assessment.client_id == "pat-7"
    assert (assessment.age.years, assessment.age.months) == (8, 7)  # born 2018-03-02, seen 2026-11-01


def _broken(change: str) -> dict:
    response = response_from_assessment(base_assessment(), KB)
    top = {i["linkId"]: i for i in response["item"]}
    if change == "missing-years":
        top["age"]["item"] = [i for i in top["age"]["item"] if i["linkId"] != "age.years"]
    elif change == "missing-informant":
        group = top["ratings"]["item"][2]
        group["item"] = [i for i in group["item"] if not i["linkId"].endswith(".informant")]
    elif change == "bad-code":
        top["arousal"]["item"][0]["answer"] = [{"valueCoding": {"code": "panic"}}]
    elif change == "wrong-type":
        top["age"]["item"][0]["answer"] = [{"valueString": "eight"}]
    elif change == "unknown-question":
        response["item"].append({"linkId": "favourite-colour", "answer": [{"valueString": "x"}]})
    elif change == "bad-pseudonym":
        top["client_id"]["answer"] = [{"valueString": "Jane Doe"}]
    elif change == "in-progress":
        response["status"] = "in-progress"
    elif change == "other-questionnaire":
        response["questionnaire"] = "https://example.org/Questionnaire/phq-9"
    elif change == "not-fhir":
        response["item"] = "everything"
    return response


@pytest.mark.parametrize("change,where", [
    ("missing-years", "item 'age.years': required answer is missing"),
    ("missing-informant", "informant': required answer is missing"),
    ("bad-code", "item 'arousal.baseline': the answer is not one of the question's answerOptions"),
    ("wrong-type", "item 'age.years': expects valueInteger"),
    ("unknown-question", "item 'favourite-colour': is not a question"),
    ("bad-pseudonym", "item 'client_id': must be a pseudonymous id"),
    ("in-progress", "status: the response is in-progress, not completed"),
    ("other-questionnaire", "questionnaire: the response answers another questionnaire"),
    ("not-fhir", "not a valid FHIR R4 QuestionnaireResponse"),
])
def test_a_bad_response_is_refused_naming_the_link_id(tmp_path, change, where):
    case = tmp_path / "qr.json"
    case.write_text(json.dumps(_broken(change)))
    db = tmp_path / "audit.sqlite"
    result = run_cli("assess", str(case), "--db", str(db), "-o", str(tmp_path / "plan.txt"))
    assert result.returncode == 2 and result.stdout == ""
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{case}: ") and where in first, result.stderr
    assert "Traceback" not in result.stderr and "Jane" not in result.stderr
    assert not db.exists() and not (tmp_path / "plan.txt").exists()


def test_the_fhir_plan_is_a_valid_deterministic_bundle(tmp_path):
    case = str(example_paths()[0].parent / "child-in-crisis.json")
    first = run_cli("assess", case, "--format", "fhir", "--no-audit")
    second = run_cli("assess", case, "--format", "fhir", "--no-audit")
    assert first.returncode == 0 and first.stdout == second.stdout
    bundle = json.loads(first.stdout)
    Bundle.model_validate(bundle)
    valid_resources(bundle)
    assert no_null_or_empty(bundle) == []
    plan = json.loads(run_cli("assess", case, "--format", "json", "--no-audit").stdout)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds == ["CarePlan"] + ["DetectedIssue"] * len(plan["flags"]) + ["Provenance"]
    care_plan = CarePlan.model_validate(bundle["entry"][0]["resource"])
    recommended = [r["intervention"] for p in plan["phases"] for r in p["recommendations"]]
    codes = [a.detail.code.coding[0].code for a in care_plan.activity]
    assert codes[:len(recommended)] == recommended  # phase order
    first_activity = care_plan.activity[0].detail
    dose = plan["phases"][0]["recommendations"][0]["dose"]
    assert first_activity.scheduledTiming.repeat.duration == dose["minutes"]
    assert first_activity.performer[0].display == dose["delivered_by"]
    held = {a.detail.code.coding[0].code: a.detail for a in care_plan.activity[len(recommended):]}
    for deferred in plan["deferred"]:
        assert deferred["gate"] in held[deferred["intervention"]].statusReason.text
    issues = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "DetectedIssue"]
    assert [i["code"]["coding"][0]["code"] for i in issues] == [f["code"] for f in plan["flags"]]
    provenance = bundle["entry"][-1]["resource"]
    named = json.dumps(provenance)
    assert plan["provenance"]["kb_hash"] in named and plan["provenance"]["engine_version"] in named
    for rule in plan["phases"][0]["recommendations"][0]["rules"]:
        assert f'"value": "{rule}"' in named


def test_an_item_rated_only_at_some_ages_is_enabled_by_age():
    from groundwork.fhir.form import Question
    from groundwork.fhir.questionnaire import _item
    question = Question(link_id="ratings.x", key="x", text="X", type="group", shape="object",
                        age_range=(30, 131))
    item = _item(question)
    assert item["enableBehavior"] == "all"
    assert item["enableWhen"] == [
        {"question": "age.years", "operator": ">=", "answerInteger": 2},
        {"question": "age.years", "operator": "<=", "answerInteger": 10}]
    Questionnaire.model_validate({"resourceType": "Questionnaire", "status": "active", "item": [
        {"linkId": "age.years", "type": "integer"}, item | {"item": [
            {"linkId": "ratings.x.value", "type": "string"}]}]})


def test_a_field_without_a_question_travels_in_an_extension(monkeypatch):
    """A field the form cannot ask (a type added to the model later) rides in the extension."""
    from groundwork.fhir import response as module
    raw = base_assessment(safeguarding=["self_harm_risk"])
    monkeypatch.setattr(module, "unmapped_fields", lambda: ("safeguarding",))
    written = response_from_assessment(raw, KB)
    (extension,) = written["extension"]
    assert extension["url"].endswith("/assessment-field")
    written["item"] = [i for i in written["item"] if i["linkId"] != "safeguarding"]
    assessment, _ = assessment_from_fhir(written, "qr.json", KB)
    assert assessment.safeguarding == ("self_harm_risk",)
    monkeypatch.setattr(module, "unmapped_fields", lambda: ())
    with pytest.raises(GroundworkError) as refused:  # a field that has a question is answered, not extended
        assessment_from_fhir(written, "qr.json", KB)
    assert refused.value.first.code == "E263"
