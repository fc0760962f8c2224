"""The HTTP API: every endpoint, the plan it returns equals the CLI's, explanations of the plan as
stored, error shapes (422 with field paths, 404 with suggestions), feedback in the audit store."""

from __future__ import annotations

import json
import shutil

import pytest

import knowledge_base
from engine.audit.store import AuditStore
from engine.pipeline import plan_json
from explain.models import Why, WhyNot
from groundwork import service
from tests.helpers import CORE_KB, EXAMPLES, example_paths
from tests.web_support import AUTH, assessed, client, example, example_text


def _cli_plan(path) -> dict:
    kb = knowledge_base.load()
    ctx, _ = service.assess_text(path.read_text(encoding="utf-8"), str(path), kb)
    return json.loads(plan_json(ctx.plan))


@pytest.mark.parametrize("case", example_paths(), ids=lambda p: p.stem)
def test_post_assessment_returns_the_cli_plan_and_records_it(tmp_path, case):
    with client(tmp_path) as test_client:
        response = test_client.post("/api/assessments", content=case.read_text(), headers=AUTH)
    assert response.status_code == 201
    body = response.json()
    assert body["plan"] == _cli_plan(case)
    assert response.headers["location"] == f"/api/plans/{body['audit_id']}"
    with AuditStore.open(tmp_path / "audit.sqlite") as store:
        record = store.record(body["audit_id"], kind="assessment")
    assert record.record_hash == body["record_hash"] and json.loads(record.plan_json) == body["plan"]


def test_get_plan_returns_the_stored_plan_and_its_feedback_without_comments(tmp_path):
    with client(tmp_path) as test_client:
        created = assessed(test_client)
        plan_id = created["audit_id"]
        first = created["plan"]["phases"][0]["recommendations"][0]["intervention"]
        test_client.post(f"/api/plans/{plan_id}/feedback", headers=AUTH, json={
            "intervention": first, "outcome": "overridden", "reason": "client_declined",
            "comment": "PRIVATE-COMMENT", "by": "CLIN-9"})
        response = test_client.get(f"/api/plans/{plan_id}", headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    assert body["plan"] == created["plan"] and body["audit_id"] == plan_id
    assert [(f["intervention"], f["outcome"], f["reason"]) for f in body["feedback"]] == [
        (first, "overridden", "client_declined")]
    assert "PRIVATE-COMMENT" not in response.text


def test_why_shows_the_rules_and_the_clients_values(tmp_path):
    with client(tmp_path) as test_client:
        created = assessed(test_client)
        rec = created["plan"]["phases"][0]["recommendations"][0]
        response = test_client.get(f"/api/plans/{created['audit_id']}/why/{rec['intervention']}",
                                   headers=AUTH)
    assert response.status_code == 200
    why = Why.model_validate(response.json())
    assert [r.rule for r in why.rules] == list(rec["rules"])
    held = [p for p in why.rules[0].conditions.parts or (why.rules[0].conditions,) if p.combine == "fact"]
    assert held and all(p.holds for p in held)
    values = {(c["condition"], c["actual"]) for r in rec["because"] for c in r["conditions"]}
    assert {(p.condition, p.actual) for p in held} <= values
    assert why.provenance.kb_hash == created["plan"]["provenance"]["kb_hash"]


def test_why_by_name_and_why_of_a_held_back_intervention_answers_why_not(tmp_path):
    with client(tmp_path) as test_client:
        created = assessed(test_client)
        deferred = created["plan"]["deferred"][0]
        by_name = test_client.get(f"/api/plans/{created['audit_id']}/why/{deferred['name']}", headers=AUTH)
        why_not = test_client.get(f"/api/plans/{created['audit_id']}/why-not/{deferred['intervention']}",
                                  headers=AUTH)
    answer = WhyNot.model_validate(by_name.json())
    assert answer.status == "deferred" and answer.intervention == deferred["intervention"]
    assert why_not.json() == by_name.json()
    assert deferred["holding_value"] in answer.summary


def test_explanations_as_html_fragments_for_the_page(tmp_path):
    with client(tmp_path) as test_client:
        created = assessed(test_client)
        rec = created["plan"]["phases"][0]["recommendations"][0]["intervention"]
        response = test_client.get(f"/api/plans/{created['audit_id']}/why/{rec}",
                                   headers={**AUTH, "Accept": "text/html"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert '<div class="rule">' in response.text and "<script" not in response.text


def test_explanation_of_a_plan_recorded_under_another_knowledge_base(tmp_path):
    """The server's KB changed since the plan was recorded: the stored KB explains it."""
    with client(tmp_path) as old:
        created = assessed(old)
    changed = tmp_path / "kb"
    shutil.copytree(CORE_KB, changed)
    rule_file = sorted(changed.glob("*.gw"))[1]
    rule_file.write_text(rule_file.read_text() + "\n# a later edit\n")
    with client(tmp_path, kb=changed) as new:
        assert new.get("/api/knowledge-base", headers=AUTH).json()["hash"] != \
            created["plan"]["provenance"]["kb_hash"]
        rec = created["plan"]["phases"][0]["recommendations"][0]["intervention"]
        response = new.get(f"/api/plans/{created['audit_id']}/why/{rec}", headers=AUTH)
    assert response.status_code == 200
    assert response.json()["provenance"] == created["plan"]["provenance"]


def test_a_plan_this_engine_cannot_reproduce_is_not_explained(tmp_path, monkeypatch):
    with client(tmp_path) as test_client:
        created = assessed(test_client)
        test_client.app.state.contexts = type(test_client.app.state.contexts)()  # forget the cache
        monkeypatch.setattr(service, "plan_json", lambda plan: "a different plan")
        rec = created["plan"]["phases"][0]["recommendations"][0]["intervention"]
        response = test_client.get(f"/api/plans/{created['audit_id']}/why/{rec}", headers=AUTH)
    assert response.status_code == 409
    error = response.json()["errors"][0]
    assert error["code"] == "E801" and "different plan" in error["message"]
    assert "audit replay" in error["hint"]


@pytest.mark.parametrize("path", ["/api/plans/99", "/api/plans/99/why/rhythmic-drumming",
                                  "/api/plans/99/why-not/rhythmic-drumming"])
def test_unknown_plan_is_404_naming_the_id(tmp_path, path):
    with client(tmp_path) as test_client:
        assessed(test_client)
        response = test_client.get(path, headers=AUTH)
    assert response.status_code == 404
    assert response.json() == {"status": 404, "title": "not found", "errors": [{
        "code": "E710", "path": "id", "message": "no plan 99 (plans have ids 1 to 1)",
        "hint": None, "suggestions": []}]}


def test_a_feedback_record_is_not_a_plan(tmp_path):
    with client(tmp_path) as test_client:
        created = assessed(test_client)
        rec = created["plan"]["phases"][0]["recommendations"][0]["intervention"]
        feedback = test_client.post(f"/api/plans/1/feedback", headers=AUTH,
                                    json={"intervention": rec, "outcome": "accepted"}).json()
        response = test_client.get(f"/api/plans/{feedback['audit_id']}", headers=AUTH)
    assert response.status_code == 404 and response.json()["errors"][0]["code"] == "E711"


def test_unknown_intervention_is_404_with_the_nearest_ids(tmp_path):
    with client(tmp_path) as test_client:
        assessed(test_client)
        response = test_client.get("/api/plans/1/why-not/drumming", headers=AUTH)
    assert response.status_code == 404
    error = response.json()["errors"][0]
    assert error["code"] == "E220" and error["path"] == "intervention"
    assert "rhythmic-drumming" in error["suggestions"]


@pytest.mark.parametrize("mutate,path,code", [
    (lambda a: a["ratings"][0].update(value=7), "ratings[0].value", "E200"),
    (lambda a: a["ratings"][2].update(item="no-such-item"), "ratings[2].item", "E200"),
    (lambda a: a.pop("arousal"), "arousal", "E200"),
    (lambda a: a.update(client_id="Jane Doe"), "client_id", "E200"),
    (lambda a: a.update(nickname="x"), "nickname", "E200"),
    (lambda a: a["age"].update(months=14), "age.months", "E200"),
])
def test_invalid_assessment_is_422_with_the_field_path_and_nothing_recorded(tmp_path, mutate, path, code):
    case = example()
    mutate(case)
    with client(tmp_path) as test_client:
        response = test_client.post("/api/assessments", json=case, headers=AUTH)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert (code, path) in [(e["code"], e["path"]) for e in errors]
    assert "Jane" not in response.text  # messages never echo a case's values
    assert not (tmp_path / "audit.sqlite").exists()


@pytest.mark.parametrize("body,code,path", [
    (b'{"client_id": ', "E203", "(body):1:15"), (b"", "E202", "(body)"),
    (b"[1, 2]", "E200", "(top level)"), (b"\xff\xfe", "E201", "(body)")])
def test_unreadable_body_is_422(tmp_path, body, code, path):
    with client(tmp_path) as test_client:
        response = test_client.post("/api/assessments", content=body, headers=AUTH)
    assert response.status_code == 422
    assert [(e["code"], e["path"]) for e in response.json()["errors"]] == [(code, path)]


def test_feedback_is_recorded_in_the_audit_store(tmp_path):
    with client(tmp_path) as test_client:
        created = assessed(test_client)
        recs = created["plan"]["phases"][0]["recommendations"]
        plan_id = created["audit_id"]
        accepted = test_client.post(f"/api/plans/{plan_id}/feedback", headers=AUTH,
                                    json={"intervention": recs[0]["intervention"], "outcome": "accepted"})
        overridden = test_client.post(f"/api/plans/{plan_id}/feedback", headers=AUTH, json={
            "intervention": recs[1]["intervention"], "outcome": "overridden",
            "reason": "resource_unavailable", "comment": "no drum in the house", "by": "CLIN-7"})
    assert accepted.status_code == overridden.status_code == 201
    with AuditStore.open(tmp_path / "audit.sqlite") as store:
        records = store.feedback_for(plan_id)
    assert [(r.id, r.intervention, r.outcome, r.reason, r.comment, r.assessor_id) for r in records] == [
        (accepted.json()["audit_id"], recs[0]["intervention"], "accepted", None, None, None),
        (overridden.json()["audit_id"], recs[1]["intervention"], "overridden",
         "resource_unavailable", "no drum in the house", "CLIN-7")]


@pytest.mark.parametrize("body,path,code", [
    ({"intervention": "X", "outcome": "overridden"}, "reason", "E721"),
    ({"outcome": "accepted", "reason": "other"}, "reason", "E722"),
    ({"outcome": "overridden", "reason": "because"}, "reason", "E200"),
    ({"outcome": "maybe"}, "outcome", "E200"),
    ({"outcome": "accepted", "intervention": "cbt-skill"}, "intervention", "E712"),
    ({"outcome": "accepted", "comment": "x" * 2001}, "comment", "E200"),
    ({"outcome": "accepted", "by": "Dr Smith"}, "by", "E200"),
    ({"outcome": "accepted", "extra": 1}, "extra", "E200"),
])
def test_bad_feedback_is_422_with_the_field_and_nothing_recorded(tmp_path, body, path, code):
    with client(tmp_path) as test_client:
        created = assessed(test_client)
        rec = created["plan"]["phases"][0]["recommendations"][0]["intervention"]
        payload = {"intervention": rec, **body}
        if payload["intervention"] == "X":
            payload["intervention"] = rec
        response = test_client.post(f"/api/plans/{created['audit_id']}/feedback", json=payload,
                                    headers=AUTH)
    assert response.status_code == 422
    assert (code, path) in [(e["code"], e["path"]) for e in response.json()["errors"]]
    assert "--reason" not in response.text and "Dr Smith" not in response.text
    with AuditStore.open(tmp_path / "audit.sqlite") as store:
        assert store.feedback_for(created["audit_id"]) == []


def test_knowledge_base_lists_rules_and_interventions_with_sources(tmp_path):
    kb = knowledge_base.load()
    with client(tmp_path) as test_client:
        body = test_client.get("/api/knowledge-base", headers=AUTH).json()
    assert (body["name"], body["version"], body["hash"]) == (kb.name, kb.version, kb.content_hash)
    assert [r["id"] for r in body["rules"]] == [r.id for r in kb.rules]
    assert all(r["source"] for r in body["rules"] if r["status"] == "approved")
    assert sorted(i["id"] for i in body["interventions"]) == sorted(kb.interventions)
    assert all(i["source"] and i["phase"] in ("regulate", "relate", "reason") for i in body["interventions"])
    assert len(body["instrument"]["items"]) == len(kb.instrument.items)


def test_openapi_publishes_the_shared_models(tmp_path):
    with client(tmp_path) as test_client:
        schema = test_client.get("/openapi.json").json()
    models = schema["components"]["schemas"]
    for name in ("Assessment", "Plan", "Why", "WhyNot", "ErrorResponse", "KnowledgeBaseInfo"):
        assert name in models
    body = schema["paths"]["/api/assessments"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Assessment"}
    assert schema["paths"]["/api/knowledge-base"]["get"]["security"] == [{"apiToken": []}, {"session": []}]
    assert "/login" not in schema["paths"]


def test_examples_are_all_there():
    assert len(example_paths()) >= 3 and (EXAMPLES / "school-age-child.json").exists()
    assert example_text()


def test_generating_the_openapi_leaves_the_published_schemas_alone(tmp_path):
    """Regression: FastAPI's schema generator altered pydantic's cached schema of the recursive
    Check model, so docs/explanation.schema.json no longer matched in the same process."""
    from explain.models import schema_json
    from groundwork.cli.schema import assessment_schema_json
    before = (schema_json(), assessment_schema_json())
    with client(tmp_path) as test_client:
        test_client.app.openapi_schema = None
        test_client.get("/openapi.json")
    assert (schema_json(), assessment_schema_json()) == before
