"""CDS Hooks against things not written here: the request, prefetch and JWT shapes of the official
CDS Hooks sandbox (tests/fixtures/cds_sandbox, recorded from github.com/cds-hooks/sandbox:
src/retrieve-data-helpers/service-exchange.js, jwt-generator.js, src/.well-known/jwks.json; the
fixture README names the commits), a FHIR server on loopback, key rotation through a JWK Set,
every feedback shape the specification allows, and no null or empty element in any answer.
HealthChain's SandboxClient: test_cds_healthchain.py."""

from __future__ import annotations

import json
import re
import time
import uuid
from urllib.parse import quote

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from fhir.resources.R4B.careplan import CarePlan

import knowledge_base
from engine.audit.store import AuditStore
from groundwork.fhir.response import response_from_assessment
from groundwork.web import cds_store
from groundwork.web.app import create_app
from groundwork.web.settings import CdsClient
from tests.cds_support import FhirStub
from tests.helpers import ROOT
from tests.test_fhir import no_null_or_empty
from tests.web_support import BASE, example, settings

FIXTURES = ROOT / "tests" / "fixtures" / "cds_sandbox"
SANDBOX = json.loads((FIXTURES / "jwt.json").read_text())
SANDBOX_REQUEST = json.loads((FIXTURES / "request.json").read_text())
ISSUER = SANDBOX["claims"]["iss"]
KID = SANDBOX["header"]["kid"]
KEY = ec.generate_private_key(ec.SECP256R1())  # ours, published under the sandbox's kid
SERVICE = "/cds-services/groundwork-plan"
PATIENT = SANDBOX_REQUEST["context"]["patientId"]
USER = SANDBOX_REQUEST["context"]["userId"]
ACCESS_TOKEN = "fhir-access-token"
KB = knowledge_base.load()
STAMP = "2026-12-02T10:15:00Z"


def sandbox_jwks(*keys) -> dict:
    """The sandbox's JWK Set (its shape: EC P-256, "use": "enc", alg ES256) holding our keys."""
    template = json.loads((FIXTURES / "jwks.json").read_text())["keys"][0]
    out = []
    for kid, private in keys or ((KID, KEY),):
        public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
        out.append(template | {"kid": kid, "x": public["x"], "y": public["y"]})
    return {"keys": out}


def sandbox_jwt(url: str, key=KEY, kid: str = KID, **header) -> str:
    """A token as jwt-generator.js makes one: ES256, kid and jku; aud the URL; exp = iat + 300."""
    now = int(time.time())
    claims = SANDBOX["claims"] | {"aud": url, "iat": now, "exp": now + SANDBOX["lifetime_seconds"],
                                  "jti": str(uuid.uuid4())}
    return jwt.encode(claims, key, algorithm="ES256",
                      headers={**SANDBOX["header"], "kid": kid, **header})


def auth(url: str, **options) -> dict:
    return {"Authorization": "Bearer " + sandbox_jwt(BASE + url, **options)}


def app_client(tmp_path, **client_options) -> TestClient:
    client = CdsClient(ISSUER, **(client_options or {"jwks": json.dumps(sandbox_jwks())}))
    return TestClient(create_app(settings(tmp_path, cds_clients={ISSUER: client})))


def questionnaire_response(patient: str = PATIENT, name: str = "school-age-child.json") -> dict:
    response = response_from_assessment(example(name), KB)
    return response | {"subject": {"reference": f"Patient/{patient}"}}


def sandbox_request(stub: FhirStub, prefetch_templates: dict | None) -> dict:
    """The request callServices() builds, with the prefetch prefetchDataPromises() fetches."""
    text = json.dumps(SANDBOX_REQUEST).replace("{{fhirServer}}", stub.base)
    request = json.loads(text.replace("{{access_token}}", ACCESS_TOKEN))
    request["hookInstance"] = str(uuid.uuid4())
    prefetch = {}
    for key, template in (prefetch_templates or {}).items():
        filled = re.sub(r"{{\s*context\.patientId\s*}}", PATIENT, template)
        filled = re.sub(r"{{\s*context\.userId\s*}}", USER, filled)
        path, _, query = filled.partition("?")
        if query:  # encodeUriParameters: each value URI-encoded
            query = "&".join(f"{k}={quote(v, safe='')}" for k, v in
                             (pair.split("=", 1) for pair in query.split("&")))
        import httpx
        answer = httpx.get(f"{stub.base}/{path}" + (f"?{query}" if query else ""),
                           headers={"Accept": "application/json+fhir",
                                    "Authorization": f"Bearer {ACCESS_TOKEN}"})
        if answer.status_code == 200 and answer.json():
            prefetch[key] = answer.json()
    if prefetch:
        request["prefetch"] = prefetch
    return request


def _stub_with_response() -> FhirStub:
    stub = FhirStub(ACCESS_TOKEN)
    stub.responses.append(questionnaire_response())
    stub.patients[PATIENT] = {"resourceType": "Patient", "id": PATIENT, "birthDate": "2018-06-01"}
    return stub


def test_the_sandbox_with_prefetch_gets_cards_and_accepting_creates_a_care_plan(tmp_path):
    with _stub_with_response() as stub, app_client(tmp_path) as client:
        discovery = client.get("/cds-services", headers=auth("/cds-services"))
        templates = discovery.json()["services"][0]["prefetch"]
        request = sandbox_request(stub, templates)
        assert request["prefetch"]["questionnaireResponse"]["resourceType"] == "Bundle"
        stub.seen.clear()
        answer = client.post(SERVICE, json=request, headers=auth(SERVICE))
        assert answer.status_code == 200, answer.text
        assert stub.seen == []  # everything came in the prefetch
        cards = answer.json()["cards"]
        phase = next(c for c in cards if c.get("suggestions"))
        suggestion = phase["suggestions"][0]
        (action,) = suggestion["actions"]
        care_plan = CarePlan.model_validate(action["resource"])
        assert action["type"] == "create" and care_plan.subject.reference == f"Patient/{PATIENT}"
        assert care_plan.status == "active" and len(care_plan.activity) == 1
        feedback = client.post(SERVICE + "/feedback", headers=auth(SERVICE + "/feedback"), json={
            "feedback": [{"card": phase["uuid"], "outcome": "accepted", "outcomeTimestamp": STAMP,
                          "acceptedSuggestions": [{"id": suggestion["uuid"]}]}]})
    assert feedback.status_code == 200, feedback.text
    for body in (discovery.json(), answer.json(), feedback.json()):
        assert no_null_or_empty(body) == []
    with AuditStore.open(tmp_path / "audit.sqlite") as store:
        (plan,) = [r for r in store.records() if r.kind == "assessment"]
        (recorded,) = store.feedback_for(plan.id)
        call = cds_store.call_of(store, plan.id)
        details = cds_store.feedback_details(store, recorded.id)
    assert call == {"hook": "patient-view", "hook_instance": request["hookInstance"],
                    "issuer": ISSUER, "user_id": USER}
    assert recorded.outcome == "accepted" and details["outcome_timestamp"] == STAMP


def test_without_prefetch_the_response_is_read_from_the_fhir_server(tmp_path):
    with _stub_with_response() as stub, app_client(tmp_path) as client:
        answer = client.post(SERVICE, json=sandbox_request(stub, None), headers=auth(SERVICE))
    assert answer.status_code == 200, answer.text
    assert any(c.get("suggestions") for c in answer.json()["cards"])
    paths = [(path, query.get("subject"), header) for path, query, header in stub.seen]
    assert ("/fhir/QuestionnaireResponse", f"Patient/{PATIENT}", f"Bearer {ACCESS_TOKEN}") in paths
    assert ("/fhir/Patient/" + PATIENT, None, f"Bearer {ACCESS_TOKEN}") in paths


@pytest.mark.parametrize("with_prefetch", [True, False])
def test_a_patient_without_a_response_gets_one_info_card(tmp_path, with_prefetch):
    with FhirStub(ACCESS_TOKEN) as stub, app_client(tmp_path) as client:
        templates = client.get("/cds-services", headers=auth("/cds-services")).json()["services"][0]["prefetch"]
        request = sandbox_request(stub, templates if with_prefetch else None)
        answer = client.post(SERVICE, json=request, headers=auth(SERVICE))
        card = answer.json()["cards"][0]
        later = client.post(SERVICE + "/feedback", headers=auth(SERVICE + "/feedback"), json={
            "feedback": [{"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": STAMP}]})
    assert answer.status_code == 200 and len(answer.json()["cards"]) == 1
    assert card["indicator"] == "info" and "questionnaire" in card["detail"].lower()
    assert len(card["summary"]) < 140 and no_null_or_empty(answer.json()) == []
    assert later.status_code == 200 and later.json() == {"not_recorded": [card["uuid"]]}


def test_a_fhir_server_that_refuses_the_token_is_412(tmp_path):
    with FhirStub("another-token") as stub, app_client(tmp_path) as client:
        answer = client.post(SERVICE, json=sandbox_request(stub, None), headers=auth(SERVICE))
    assert answer.status_code == 412 and answer.json()["errors"][0]["code"] == "E831"
    assert no_null_or_empty(answer.json()) == []


def test_a_response_about_another_patient_is_refused(tmp_path):
    with FhirStub(ACCESS_TOKEN) as stub, app_client(tmp_path) as client:
        stub.responses.append(questionnaire_response(patient="someone-else"))
        request = sandbox_request(stub, None)
        request["prefetch"] = {"questionnaireResponse": questionnaire_response(patient="someone-else")}
        answer = client.post(SERVICE, json=request, headers=auth(SERVICE))
    assert answer.status_code == 400 and answer.json()["errors"][0]["code"] == "E832"


def test_every_feedback_shape_the_specification_allows_is_recorded(tmp_path):
    response = questionnaire_response(name="child-in-crisis.json")
    with FhirStub(ACCESS_TOKEN) as stub, app_client(tmp_path) as client:
        request = sandbox_request(stub, None) | {"prefetch": {"questionnaireResponse": response}}
        cards = client.post(SERVICE, json=request, headers=auth(SERVICE)).json()["cards"]
        critical = [c for c in cards if c["indicator"] == "critical" and not c.get("suggestions")]
        phases = [c for c in cards if c.get("suggestions")]
        items = [
            {"card": phases[0]["uuid"], "outcome": "overridden", "outcomeTimestamp": STAMP},
            {"card": phases[-1]["uuid"], "outcome": "overridden", "outcomeTimestamp": STAMP,
             "overrideReason": {"userComment": "family prefers to wait"}},
            {"card": critical[0]["uuid"], "outcome": "overridden", "outcomeTimestamp": STAMP,
             "overrideReason": {"reason": {"system": "http://ehr.example/cds-reasons",
                                           "code": "handled-elsewhere", "display": "Handled"}}},
            {"card": critical[1]["uuid"], "outcome": "accepted", "outcomeTimestamp": STAMP}]
        answer = client.post(SERVICE + "/feedback", headers=auth(SERVICE + "/feedback"),
                             json={"feedback": items})
    assert answer.status_code == 200, answer.text
    with AuditStore.open(tmp_path / "audit.sqlite") as store:
        records = store.feedback_for(1)
        details = {r.id: cds_store.feedback_details(store, r.id) for r in records}
    assert len(records) == len(answer.json()["recorded"])
    flags = [r for r in records if r.intervention.startswith("flag:")]
    assert [(r.outcome, r.reason) for r in flags] == [("overridden", None), ("accepted", None)]
    assert details[flags[0].id]["client_reason_code"] == "handled-elsewhere"
    assert {r.comment for r in records if not r.intervention.startswith("flag:")} >= {
        None, "family prefers to wait"}
    assert all(d["outcome_timestamp"] == STAMP and d["issuer"] == ISSUER for d in details.values())


def test_keys_rotate_through_the_issuers_jwk_set_url(tmp_path):
    old, new = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    with FhirStub(None) as stub:
        stub.jwks = sandbox_jwks(("old", old))
        with app_client(tmp_path, jwks_url=stub.jwks_url, cache_seconds=0.2) as client:
            def status(key, kid):
                return client.get("/cds-services", headers=auth("/cds-services", key=key, kid=kid)).status_code
            assert status(old, "old") == 200
            stub.jwks = sandbox_jwks(("new", new))  # the EHR rotates: new key in, old key out
            assert status(new, "new") == 200  # unknown kid: the set is fetched again
            time.sleep(0.3)
            assert status(old, "old") == 401


def test_keys_rotate_through_a_jwks_file(tmp_path):
    old, new = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(sandbox_jwks(("old", old))))
    with app_client(tmp_path, jwks_file=str(path)) as client:
        def answer(key, kid):
            return client.get("/cds-services", headers=auth("/cds-services", key=key, kid=kid))
        assert answer(old, "old").status_code == 200
        path.write_text(json.dumps(sandbox_jwks(("new", new), ("newer", new))))
        assert answer(new, "new").status_code == 200
        refused = answer(old, "old")
    assert refused.status_code == 401 and "rotated out" in refused.json()["errors"][0]["message"]


@pytest.mark.parametrize("token,reason", [
    ("hs256", "asymmetric"), ("no-kid", "no kid"), ("other-key", "signature")])
def test_sandbox_shaped_tokens_with_a_flaw_are_refused(tmp_path, token, reason):
    now = int(time.time())
    claims = SANDBOX["claims"] | {"aud": BASE + "/cds-services", "iat": now, "exp": now + 300,
                                  "jti": str(uuid.uuid4())}
    if token == "hs256":
        bearer = jwt.encode(claims, "s" * 40, algorithm="HS256", headers={"kid": KID})
    elif token == "no-kid":
        bearer = jwt.encode(claims, KEY, algorithm="ES256")
    else:
        bearer = jwt.encode(claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256",
                            headers={"kid": KID})
    with app_client(tmp_path) as client:
        answer = client.get("/cds-services", headers={"Authorization": f"Bearer {bearer}"})
    assert answer.status_code == 401 and reason in answer.json()["errors"][0]["message"]
    assert no_null_or_empty(answer.json()) == []


def test_a_used_token_stays_used_after_a_restart(tmp_path):
    token = sandbox_jwt(BASE + "/cds-services")
    with app_client(tmp_path) as client:
        assert client.get("/cds-services", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with app_client(tmp_path) as client:  # a new server on the same store
        again = client.get("/cds-services", headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 401 and "jti" in again.json()["errors"][0]["message"]
