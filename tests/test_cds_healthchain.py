"""A stock CDS client against the live server: HealthChain's SandboxClient (PyPI `healthchain`)
builds patient-view requests with its own request models and sends them to Groundwork running
under uvicorn on loopback; its CDSResponse model reads the cards.

SandboxClient sends no Authorization header (it targets services without auth), so the test adds
one the way an EHR's HTTP layer would: an httpx Auth that signs a fresh ES384 JWT (kid from the
EHR's JWK Set, aud the service URL) for every request it sends.
"""

from __future__ import annotations

import time
import uuid

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fhir.resources.R4B.careplan import CarePlan

pytest.importorskip("healthchain", reason="healthchain is in the test extra")
from healthchain.models.requests.cdsrequest import CDSRequest, FHIRAuthorization  # noqa: E402
from healthchain.models.responses.cdsresponse import CDSResponse  # noqa: E402
from healthchain.sandbox import SandboxClient  # noqa: E402
from healthchain.sandbox import sandboxclient as sandbox_module  # noqa: E402
from healthchain.sandbox.requestconstructors import CdsRequestConstructor  # noqa: E402
from healthchain.sandbox.workflows import Workflow  # noqa: E402

from groundwork.web.settings import CdsClient, Settings  # noqa: E402
from tests.cds_support import FhirStub, live_server  # noqa: E402
from tests.test_cds_fhir import questionnaire_response  # noqa: E402
from tests.test_fhir import no_null_or_empty  # noqa: E402
from tests.web_support import TOKEN, jwk_set  # noqa: E402

ISSUER = "https://ehr.example.org"
KID = "ehr-2026-12"
KEY = ec.generate_private_key(ec.SECP384R1())
PATIENT = "pat-0042"
USER = "Practitioner/prac-7"
ACCESS = "fhir-access-token"


class SignedJwt(httpx.Auth):
    """A new CDS Hooks JWT for each request: one use per jti."""

    def auth_flow(self, request):
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": "ehr-client", "aud": str(request.url), "iat": now,
                  "exp": now + 300, "jti": str(uuid.uuid4())}
        token = jwt.encode(claims, KEY, algorithm="ES384", headers={"kid": KID})
        request.headers["Authorization"] = f"Bearer {token}"
        yield request


class SigningClient(httpx.Client):
    def __init__(self, **options):
        super().__init__(auth=SignedJwt(), **options)


@pytest.fixture
def server(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox_module.httpx, "Client", SigningClient)
    stub = FhirStub(ACCESS)
    stub.jwks = jwk_set((KID, KEY))
    with stub:
        def settings_of(base: str) -> Settings:
            client = CdsClient(ISSUER, jwks_url=stub.jwks_url)
            return Settings(token=TOKEN, db=tmp_path / "audit.sqlite", public_url=base,
                            cds_clients={ISSUER: client})
        with live_server(settings_of) as base:
            yield base, stub


def _request(**fields) -> CDSRequest:
    request = CdsRequestConstructor().construct_request(
        prefetch_data=fields.pop("prefetch", None), workflow=Workflow.patient_view,
        context={"patientId": PATIENT, "userId": USER})
    if "fhirAuthorization" in fields:  # HealthChain's own model of the request's FHIR access
        fields["fhirAuthorization"] = FHIRAuthorization(**fields["fhirAuthorization"])
    return CDSRequest(hook=request.hook, hookInstance=request.hookInstance,
                      context=request.context, prefetch=request.prefetch, **fields)


def _send(base: str, *requests: CDSRequest) -> list[dict]:
    client = SandboxClient(url=f"{base}/cds-services/groundwork-plan", workflow="patient-view")
    client.requests.extend(requests)
    return client.send_requests()


def test_healthchain_with_prefetch_gets_cards_and_a_care_plan(server):
    base, _ = server
    (answer,) = _send(base, _request(prefetch={"questionnaireResponse": questionnaire_response(PATIENT)}))
    response = CDSResponse.model_validate(answer)  # HealthChain's own model of the answer
    phases = [c for c in response.cards if c.suggestions]
    assert phases and len(response.cards) >= len(phases)
    action = phases[0].suggestions[0].actions[0]
    care_plan = CarePlan.model_validate(action.resource)  # accepting it creates this CarePlan
    assert care_plan.subject.reference == f"Patient/{PATIENT}" and care_plan.activity
    assert no_null_or_empty(answer) == []


def test_healthchain_without_prefetch_reads_the_fhir_server(server):
    base, stub = server
    stub.responses.append(questionnaire_response(PATIENT))
    authorization = {"access_token": ACCESS, "token_type": "Bearer", "expires_in": 300,
                     "scope": "patient/QuestionnaireResponse.read patient/Patient.read",
                     "subject": "ehr-client"}
    (answer,) = _send(base, _request(fhirServer=stub.base, fhirAuthorization=authorization))
    assert any(card.suggestions for card in CDSResponse.model_validate(answer).cards)
    searched = [query for path, query, header in stub.seen
                if path == "/fhir/QuestionnaireResponse" and header == f"Bearer {ACCESS}"]
    assert searched and searched[0]["subject"] == f"Patient/{PATIENT}"


def test_healthchain_for_a_patient_without_an_assessment(server):
    base, _ = server
    (answer,) = _send(base, _request(prefetch={"questionnaireResponse": {
        "resourceType": "Bundle", "type": "searchset", "total": 0}}))
    (card,) = CDSResponse.model_validate(answer).cards
    assert card.indicator.value == "info" and "questionnaire" in card.detail.lower()
    assert no_null_or_empty(answer) == []
