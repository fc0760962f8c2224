"""CDS Hooks 2.0: discovery, the `patient-view` service, and its feedback endpoint.

The service reads the patient's latest completed QuestionnaireResponse to the instrument's
Questionnaire: from the prefetch it declares, else from the client's FHIR server (cds_fhir.py).
(A Groundwork assessment passed as `prefetch.groundworkAssessment` or
`context.groundworkAssessment` is still read, for clients set up before FHIR.) The plan is
recorded in the audit store like every other plan, with the hook instance, the calling system and
the user beside it (cds_store.py), and answered as cards (cards.py). A patient without a completed
response gets one card saying how to complete it. Feedback on any card is recorded.
Every route needs a CDS Hooks JWT (cds_auth.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, field_validator

from dsl.errors import GroundworkError
from engine import __version__
from engine.audit.feedback import OVERRIDE_REASONS
from engine.pipeline import canonical_json
from groundwork.fhir.questionnaire import questionnaire_url
from groundwork.fhir.response import assessment_from_fhir
from groundwork.web import cds_fhir, cds_store, plans
from groundwork.web.api import feedback_error
from groundwork.web.cards import (FLAG_CARD, HELD_CARD, NO_ASSESSMENT_CARD, OVERRIDE_SYSTEM,
                                  PHASE_CARD, SUGGESTION, CardsResponse, cards, checks,
                                  no_assessment_card, read_uuid)
from groundwork.web.cds_auth import Caller, require_cds_client
from groundwork.web.errors import ApiError, ErrorEntry, ErrorResponse

SERVICE_ID = "groundwork-plan"
ASSESSMENT_KEY = "groundworkAssessment"
FLAG_PREFIX = "flag:"  # feedback on a critical flag's card is recorded against "flag:<CODE>"
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (400, 401, 404, 412, 413)}
router = APIRouter(prefix="/cds-services", dependencies=[Depends(require_cds_client)],
                   responses=ERRORS, tags=["cds-hooks"])


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")  # CDS clients may send fields of later versions


class ServiceDescription(BaseModel):
    hook: str
    id: str
    title: str
    description: str
    prefetch: dict[str, str]
    usageRequirements: str


class Discovery(BaseModel):
    services: list[ServiceDescription]


class HookRequest(_Open):
    hook: str = Field(description="patient-view")
    hookInstance: str = Field(description="UUID of this hook call")
    fhirServer: str | None = Field(None, description="The client's FHIR base URL (read when the "
                                                     "prefetch is absent)")
    fhirAuthorization: dict | None = Field(None, description="OAuth 2.0 access token for fhirServer")
    context: dict = Field(description="patient-view: patientId, userId (and encounterId)")
    prefetch: dict | None = Field(None, description="patient and questionnaireResponse, as the "
                                                    "discovery's templates describe")


class OverrideReason(_Open):
    reason: dict | None = Field(None, description=f"Coding: a code from the card's "
                                                  f"overrideReasons (system {OVERRIDE_SYSTEM}), or "
                                                  "the client's own")
    userComment: str | None = Field(None, max_length=2000, description="Stored, never logged")


class AcceptedSuggestion(_Open):
    id: str


class CardFeedback(_Open):
    card: str = Field(description="The card's uuid")
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] | None = None
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: str = Field(description="When the user acted (ISO 8601 date and time)")

    @field_validator("outcomeTimestamp")
    @classmethod
    def _instant(cls, value: str) -> str:
        try:
            dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("must be an ISO 8601 date and time, e.g. 2026-12-02T10:15:00Z") from None
        return value


class FeedbackRequest(_Open):
    feedback: list[CardFeedback] = Field(min_length=1, max_length=100)


class FeedbackResult(BaseModel):
    recorded: list[int] | None = Field(None, description="Audit ids of the feedback records written")
    not_recorded: list[str] | None = Field(None, description="Cards that take no feedback (held "
                                                             "back, no assessment)")


def describe(kb) -> ServiceDescription:
    url = questionnaire_url(kb)
    return ServiceDescription(
        hook="patient-view", id=SERVICE_ID, title="Groundwork: a phased, explained intervention plan",
        description="Regulate, relate, reason: a bottom-up plan from a developmental assessment, "
                    "one card per phase with the rules and the client's values behind each "
                    "activity. Decision support for a qualified clinician; never a substitute for "
                    "clinical judgement. Not affiliated with the Neurosequential Network.",
        prefetch=cds_fhir.prefetch_templates(kb),
        usageRequirements=f"The patient's completed QuestionnaireResponse to {url} (version "
                          f"{kb.instrument.version}; `groundwork fhir questionnaire` prints it), "
                          "prefetched or readable on fhirServer with fhirAuthorization.")


@router.get("", response_model=Discovery, response_model_exclude_none=True,
            summary="CDS Hooks discovery")
def discovery(request: Request) -> Discovery:
    return Discovery(services=[describe(request.app.state.kb)])


def _service(service_id: str) -> None:
    if service_id != SERVICE_ID:
        raise ApiError(404, "E806", f"no CDS service '{service_id[:64]}'", path="id",
                       suggestions=[SERVICE_ID])


@router.post("/{service_id}", response_model=CardsResponse, response_model_exclude_none=True,
             summary="Cards for the patient's latest assessment")
async def call_service(service_id: str, body: HookRequest, request: Request,
                       caller: Caller = Depends(require_cds_client)) -> CardsResponse:
    _service(service_id)
    if body.hook != "patient-view":
        raise ApiError(400, "E807", f"this service answers the patient-view hook, not "
                                    f"'{body.hook[:40]}'", path="hook")
    state = request.app.state
    base = state.settings.public_url or str(request.base_url).rstrip("/")
    patient_id = body.context.get("patientId") if isinstance(body.context.get("patientId"), str) else None
    found = await _assessment(body, state.kb, patient_id)
    if found is None:
        kb = state.kb
        return CardsResponse(cards=[no_assessment_card(questionnaire_url(kb), kb.instrument.version,
                                                       f"{base}/")])
    where, raw = found
    try:
        ctx, appended = await run_in_threadpool(plans.assess_and_record, state,
                                                canonical_json(raw), where)
    except GroundworkError as error:
        raise ApiError(400, "", "", entries=[_prefixed(d, where) for d in error.shown()]) from None
    user = body.context.get("userId") if isinstance(body.context.get("userId"), str) else None
    await run_in_threadpool(cds_store.record_call, state.settings, appended.id, body.hook,
                            body.hookInstance[:128], caller.issuer, user[:256] if user else None)
    return CardsResponse(cards=cards(ctx, appended.id, appended.record_hash,
                                     f"{base}/plans/{appended.id}", patient=patient_id))


async def _assessment(body: HookRequest, kb, patient_id: str | None) -> tuple[str, object] | None:
    """(where, Groundwork JSON) for this call, or None when the patient has no assessment."""
    if body.prefetch and body.prefetch.get(ASSESSMENT_KEY) is not None:
        return f"prefetch.{ASSESSMENT_KEY}", body.prefetch[ASSESSMENT_KEY]
    if ASSESSMENT_KEY in body.context:
        return f"context.{ASSESSMENT_KEY}", body.context[ASSESSMENT_KEY]
    response, patient, prefetched = cds_fhir.from_prefetch(body.prefetch, kb)
    where = f"prefetch.{cds_fhir.PREFETCH_RESPONSE}"
    if response is None and not prefetched and body.fhirServer and patient_id:
        response, patient = await cds_fhir.from_server(body.fhirServer, body.fhirAuthorization,
                                                       patient_id, kb)
        where = "fhirServer QuestionnaireResponse"
    if response is None:
        return None
    cds_fhir.check_subject(response, patient_id, where)
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": response}] + ([{"resource": patient}] if patient else [])}
    try:
        _, raw = await run_in_threadpool(assessment_from_fhir, bundle, where, kb)
    except GroundworkError as error:
        raise ApiError(400, "", "", entries=[_prefixed(d, where) for d in error.shown()]) from None
    return where, raw


def _prefixed(diagnostic, where: str) -> ErrorEntry:
    inner = diagnostic.field_path
    if inner in (None, "(top level)", "(file)"):
        path = where
    elif inner.startswith("item '") or " " in where:
        path = f"{where}: {inner}"
    else:
        path = f"{where}.{inner}"
    return ErrorEntry(code=diagnostic.code, path=path, message=diagnostic.message, hint=diagnostic.hint)


@router.post("/{service_id}/feedback", response_model=FeedbackResult,
             response_model_exclude_none=True,
             summary="Record accepted or overridden cards in the audit store")
def feedback(service_id: str, body: FeedbackRequest, request: Request,
             caller: Caller = Depends(require_cds_client)) -> FeedbackResult:
    _service(service_id)
    with plans.open_store(request.app.state.settings, mode="append") as store:
        planned, skipped = [], []
        for index, item in enumerate(body.feedback):  # every item checked before any is written
            found = _decisions(store, index, item)
            planned += found
            skipped += [] if found else [item.card]
        try:
            recorded = [_record(store, caller, *decision) for decision in planned]
        except GroundworkError as error:
            raise feedback_error(error) from None
    return FeedbackResult(recorded=recorded or None, not_recorded=skipped or None)


def _record(store, caller: Caller, record, target: str, item: CardFeedback, reason: str | None,
            client_reason: tuple[str | None, str | None]) -> int:
    comment = item.overrideReason.userComment if item.overrideReason else None
    appended = store.append_feedback(record, target, item.outcome, reason, comment, None, __version__)
    cds_store.record_feedback_details(store, [(appended.id, item.card, item.outcomeTimestamp,
                                               caller.issuer, *client_reason)])
    return appended.id


def _decisions(store, index: int, item: CardFeedback) -> list[tuple]:
    """(record, target, item, reason, client reason) for each intervention or flag the card names."""
    named = read_uuid(item.card)
    if named is not None and named.record_id == 0 and named.kind == NO_ASSESSMENT_CARD \
            and checks(item.card, named, ""):
        return []
    record = store.get(named.record_id) if named and named.record_id else None
    if named is None or record is None or record.kind != "assessment" \
            or not checks(item.card, named, record.record_hash):
        raise ApiError(404, "E809", "no card with this uuid was issued by this server",
                       path=f"feedback[{index}].card")
    if named.kind == HELD_CARD:
        return []
    if named.kind not in (PHASE_CARD, FLAG_CARD):
        raise ApiError(400, "E809", "this uuid names a suggestion, not a card",
                       path=f"feedback[{index}].card")
    reason, client_reason = _reason(index, item)
    if named.kind == FLAG_CARD:
        flags = record.plan.get("flags", [])
        if named.first >= len(flags):
            raise ApiError(404, "E809", "no card with this uuid was issued by this server",
                           path=f"feedback[{index}].card")
        return [(record, FLAG_PREFIX + flags[named.first]["code"], item, reason, client_reason)]
    phases = record.plan.get("phases", [])
    if named.first >= len(phases):
        raise ApiError(404, "E809", "no card with this uuid was issued by this server",
                       path=f"feedback[{index}].card")
    recs = [r["intervention"] for r in phases[named.first]["recommendations"]]
    if item.outcome == "accepted":
        recs = _accepted(record, named.first, index, item) or recs
    return [(record, iv, item, reason, client_reason) for iv in recs]


def _accepted(record, phase: int, index: int, item: CardFeedback) -> list[str]:
    """The interventions of the suggestions accepted on the card of `phase`."""
    out = []
    recs = record.plan.get("phases", [])[phase]["recommendations"]
    for number, suggestion in enumerate(item.acceptedSuggestions or []):
        named = read_uuid(suggestion.id)
        ok = named is not None and named.record_id == record.id and named.kind == SUGGESTION \
            and named.first == phase and checks(suggestion.id, named, record.record_hash)
        if named is None or not ok or named.second >= len(recs):
            raise ApiError(404, "E809", "no suggestion with this id on this card",
                           path=f"feedback[{index}].acceptedSuggestions[{number}].id")
        out.append(recs[named.second]["intervention"])
    return out


def _reason(index: int, item: CardFeedback) -> tuple[str | None, tuple[str | None, str | None]]:
    """(our reason code or None, (the client's own system, code)) for an override.

    CDS Hooks lets a client override with no reason, with only a comment, or with a reason from
    its own code system: all are recorded; only a code of ours goes into the reason column."""
    if item.outcome == "accepted":
        return None, (None, None)
    coding = (item.overrideReason.reason if item.overrideReason else None) or {}
    if not isinstance(coding, dict):
        raise ApiError(400, "E723", "overrideReason.reason must be a Coding {system, code}",
                       path=f"feedback[{index}].overrideReason.reason")
    code, system = coding.get("code"), coding.get("system")
    if code is None:
        return None, (None, None)
    if not isinstance(code, str) or not isinstance(system, (str, type(None))) or len(code) > 64:
        raise ApiError(400, "E723", "overrideReason.reason must be a Coding with a code of at most "
                                    "64 characters", path=f"feedback[{index}].overrideReason.reason")
    if system in (None, OVERRIDE_SYSTEM):
        if code not in OVERRIDE_REASONS:
            raise ApiError(400, "E723", "the override reason is not one of the card's "
                                        "overrideReasons", suggestions=list(OVERRIDE_REASONS),
                           path=f"feedback[{index}].overrideReason.reason.code")
        return code, (None, None)
    return None, ((system or "")[:256], code)
