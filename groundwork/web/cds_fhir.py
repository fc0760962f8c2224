"""Where a CDS Hooks call's assessment comes from: the patient's latest completed
QuestionnaireResponse to the instrument's Questionnaire, from the prefetch the service declares or,
without it, from the client's FHIR server (`fhirServer`, with `fhirAuthorization`'s token).

A response about another patient than `context.patientId` is refused: a plan for the wrong
person is the one mistake this service must never make.
"""

from __future__ import annotations

import httpx

from dsl.checked import CheckedKnowledgeBase as KnowledgeBase
from groundwork.fhir.questionnaire import questionnaire_url
from groundwork.web.errors import ApiError

PREFETCH_RESPONSE = "questionnaireResponse"
PREFETCH_PATIENT = "patient"
FETCH_TIMEOUT = 10.0  # seconds for each read from the client's FHIR server
FHIR_JSON = "application/fhir+json"
USABLE = ("completed", "amended")


def prefetch_templates(kb: KnowledgeBase) -> dict[str, str]:
    """CDS Hooks prefetch templates: the patient, and the latest completed response."""
    return {PREFETCH_PATIENT: "Patient/{{context.patientId}}",
            PREFETCH_RESPONSE: _search("{{context.patientId}}", kb)}


def _search(patient: str, kb: KnowledgeBase) -> str:
    return (f"QuestionnaireResponse?subject=Patient/{patient}&questionnaire={questionnaire_url(kb)}"
            "&status=completed&_sort=-authored&_count=1")


def _responses(value, wanted: str) -> list[dict]:
    """The QuestionnaireResponses to `wanted` in a prefetched resource or search Bundle."""
    if not isinstance(value, dict):
        return []
    if value.get("resourceType") == "Bundle":
        found = []
        for entry in value.get("entry") or []:
            found += _responses((entry or {}).get("resource"), wanted)
        return found
    if value.get("resourceType") != "QuestionnaireResponse" or value.get("status") not in USABLE:
        return []
    named = (value.get("questionnaire") or "").split("|", 1)[0]
    return [value] if named in ("", wanted) else []


def latest(responses: list[dict]) -> dict | None:
    """The most recently authored response (ties: the first given)."""
    best = None
    for response in responses:
        if best is None or str(response.get("authored") or "") > str(best.get("authored") or ""):
            best = response
    return best


def from_prefetch(prefetch: dict | None, kb: KnowledgeBase) -> tuple[dict | None, dict | None, bool]:
    """(response, patient, whether the client prefetched the response key at all)."""
    prefetch = prefetch or {}
    wanted = questionnaire_url(kb)
    given = prefetch.get(PREFETCH_RESPONSE)
    found = _responses(given, wanted)
    if not found and given is None:  # a stock client may name its keys otherwise
        for value in prefetch.values():
            found += _responses(value, wanted)
    patient = prefetch.get(PREFETCH_PATIENT)
    patient = patient if isinstance(patient, dict) and patient.get("resourceType") == "Patient" else None
    return latest(found), patient, given is not None or bool(found)


async def from_server(server: str, authorization: dict | None, patient_id: str,
                      kb: KnowledgeBase) -> tuple[dict | None, dict | None]:
    """(latest response, Patient) read from the client's FHIR server."""
    headers = {"Accept": FHIR_JSON}
    token = (authorization or {}).get("access_token")
    if isinstance(token, str) and token:
        headers["Authorization"] = f"Bearer {token}"
    base = server.rstrip("/")
    async with httpx.AsyncClient(timeout=FETCH_TIMEOUT, headers=headers,
                                 follow_redirects=False) as client:
        bundle = await _get(client, f"{base}/{_search(patient_id, kb)}")
        patient = await _get(client, f"{base}/Patient/{patient_id}", missing_ok=True)
    return latest(_responses(bundle, questionnaire_url(kb))), patient


async def _get(client: httpx.AsyncClient, url: str, missing_ok: bool = False) -> dict | None:
    try:
        response = await client.get(url)
    except httpx.HTTPError as error:
        raise _unreachable(f"the FHIR server could not be read ({type(error).__name__})") from None
    if response.status_code == 404 and missing_ok:
        return None
    if response.status_code in (401, 403):
        raise _unreachable(f"the FHIR server refused the read ({response.status_code}): check "
                           "fhirAuthorization's access token and scopes")
    if response.status_code != 200:
        raise _unreachable(f"the FHIR server answered {response.status_code}")
    try:
        data = response.json()
    except ValueError:
        raise _unreachable("the FHIR server did not answer with JSON") from None
    return data if isinstance(data, dict) else None


def _unreachable(message: str) -> ApiError:
    return ApiError(412, "E831", message, path="fhirServer",
                    hint="or prefetch the patient's latest QuestionnaireResponse "
                         "(GET /cds-services lists the template)")


def check_subject(response: dict, patient_id: str | None, where: str) -> None:
    """Refuse a response whose subject is another patient than the one in context."""
    reference = ((response.get("subject") or {}).get("reference") or "")
    kind, _, ident = reference.rpartition("/")
    if patient_id and ident and kind.rsplit("/", 1)[-1] == "Patient" and ident != patient_id:
        raise ApiError(400, "E832", "the QuestionnaireResponse is about another patient than "
                                    "context.patientId", path=f"{where}.subject")
