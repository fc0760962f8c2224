"""CDS Hooks 2.0: discovery, the `patient-view` service, and its feedback endpoint.

The CDS client (an electronic record system) passes a Groundwork assessment as
`prefetch.groundworkAssessment` (or `context.groundworkAssessment`). The plan is recorded in the
audit store like every other plan, and answered as cards (cards.py). Feedback on a card is
recorded against the plan's interventions with the shared override-reason vocabulary.
Every route needs a JWT from a configured CDS client (security.require_cds_client).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from dsl.errors import GroundworkError
from engine import __version__
from engine.audit.feedback import OVERRIDE_REASONS, record_feedback
from engine.pipeline import canonical_json
from groundwork.web import plans
from groundwork.web.api import feedback_error
from groundwork.web.cards import (FLAG_CARD, HELD_CARD, OVERRIDE_SYSTEM, PHASE_CARD, SUGGESTION,
                                  CardsResponse, cards, checks, read_uuid)
from groundwork.web.errors import ApiError, ErrorEntry, ErrorResponse
from groundwork.web.security import require_cds_client

SERVICE_ID = "groundwork-plan"
ASSESSMENT_KEY = "groundworkAssessment"
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
    prefetch: dict[str, str] = {}
    usageRequirements: str


class Discovery(BaseModel):
    services: list[ServiceDescription]


class HookRequest(_Open):
    hook: str = Field(description="patient-view")
    hookInstance: str = Field(description="UUID of this hook call")
    context: dict = Field(description=f"The hook's context; may carry `{ASSESSMENT_KEY}`")
    prefetch: dict | None = Field(None, description=f"`{ASSESSMENT_KEY}`: the assessment JSON")


class OverrideReason(_Open):
    reason: dict | None = Field(None, description=f"Coding: code from the card's overrideReasons "
                                                  f"(system {OVERRIDE_SYSTEM})")
    userComment: str | None = Field(None, max_length=2000, description="Stored, never logged")


class AcceptedSuggestion(_Open):
    id: str


class CardFeedback(_Open):
    card: str = Field(description="The card's uuid")
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] = []
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: str | None = None


class FeedbackRequest(_Open):
    feedback: list[CardFeedback] = Field(min_length=1, max_length=100)


class FeedbackResult(BaseModel):
    recorded: list[int] = Field(description="Audit ids of the feedback records written")
    not_recorded: list[str] = Field(description="Cards that take no feedback (flags, held back)")


SERVICE = ServiceDescription(
    hook="patient-view", id=SERVICE_ID, title="Groundwork: a phased, explained intervention plan",
    description="Regulate, relate, reason: a bottom-up plan from a developmental assessment, one "
                "card per phase with the rules and the client's values behind each activity. "
                "Decision support for a qualified clinician; never a substitute for clinical "
                "judgement. Not affiliated with the Neurosequential Network.",
    usageRequirements=f"Pass the Groundwork assessment (the Assessment schema in /openapi.json) "
                      f"as prefetch.{ASSESSMENT_KEY} or context.{ASSESSMENT_KEY}.")


@router.get("", response_model=Discovery, summary="CDS Hooks discovery")
def discovery() -> Discovery:
    return Discovery(services=[SERVICE])


def _service(service_id: str) -> None:
    if service_id != SERVICE_ID:
        raise ApiError(404, "E806", f"no CDS service '{service_id[:64]}'", path="id",
                       suggestions=[SERVICE_ID])


@router.post("/{service_id}", response_model=CardsResponse, summary="Cards for one assessment")
async def call_service(service_id: str, body: HookRequest, request: Request) -> CardsResponse:
    _service(service_id)
    if body.hook != "patient-view":
        raise ApiError(400, "E807", f"this service answers the patient-view hook, not "
                                    f"'{body.hook[:40]}'", path="hook")
    where, raw = _assessment(body)
    state = request.app.state
    try:
        ctx, appended = await run_in_threadpool(plans.assess_and_record, state,
                                                canonical_json(raw), where)
    except GroundworkError as error:
        raise ApiError(400, "", "", entries=[_prefixed(d, where) for d in error.diagnostics]) from None
    base = state.settings.public_url or str(request.base_url).rstrip("/")
    return CardsResponse(cards=cards(ctx, appended.id, appended.record_hash,
                                     f"{base}/plans/{appended.id}"))


def _assessment(body: HookRequest) -> tuple[str, object]:
    if body.prefetch and ASSESSMENT_KEY in body.prefetch:
        return f"prefetch.{ASSESSMENT_KEY}", body.prefetch[ASSESSMENT_KEY]
    if ASSESSMENT_KEY in body.context:
        return f"context.{ASSESSMENT_KEY}", body.context[ASSESSMENT_KEY]
    raise ApiError(412, "E808", f"no assessment: pass it as prefetch.{ASSESSMENT_KEY} or "
                                f"context.{ASSESSMENT_KEY}", path=f"prefetch.{ASSESSMENT_KEY}")


def _prefixed(diagnostic, where: str) -> ErrorEntry:
    inner = diagnostic.field_path
    path = where if inner in (None, "(top level)", "(file)") else f"{where}.{inner}"
    return ErrorEntry(code=diagnostic.code, path=path, message=diagnostic.message, hint=diagnostic.hint)


@router.post("/{service_id}/feedback", response_model=FeedbackResult,
             summary="Record accepted or overridden cards in the audit store")
def feedback(service_id: str, body: FeedbackRequest, request: Request) -> FeedbackResult:
    _service(service_id)
    with plans.open_store(request.app.state.settings, mode="append") as store:
        planned, skipped = [], []
        for index, item in enumerate(body.feedback):  # every item checked before any is written
            found = _decisions(store, index, item)
            planned += found
            skipped += [] if found else [item.card]
        try:
            recorded = [record_feedback(store, *decision, __version__).id for decision in planned]
        except GroundworkError as error:
            raise feedback_error(error) from None
    return FeedbackResult(recorded=recorded, not_recorded=skipped)


Decision = tuple[int, str, str, "str | None", "str | None", "str | None"]


def _decisions(store, index: int, item: CardFeedback) -> list[Decision]:
    """(plan id, intervention, outcome, reason, comment, by) for each intervention the card named."""
    named = read_uuid(item.card)
    record = store.get(named.record_id) if named and named.record_id else None
    if named is None or record is None or record.kind != "assessment" \
            or not checks(item.card, named, record.record_hash):
        raise ApiError(404, "E809", "no card with this uuid was issued by this server",
                       path=f"feedback[{index}].card")
    if named.kind in (FLAG_CARD, HELD_CARD):
        return []
    if named.kind != PHASE_CARD:
        raise ApiError(400, "E809", "this uuid names a suggestion, not a card",
                       path=f"feedback[{index}].card")
    phases = record.plan.get("phases", [])
    if named.first >= len(phases):
        raise ApiError(404, "E809", "no card with this uuid was issued by this server",
                       path=f"feedback[{index}].card")
    recs = [r["intervention"] for r in phases[named.first]["recommendations"]]
    comment = item.overrideReason.userComment if item.overrideReason else None
    if item.outcome == "accepted":
        chosen = _accepted(record, named.first, index, item) or recs
        return [(record.id, iv, "accepted", None, None, None) for iv in chosen]
    reason = _reason(index, item)
    return [(record.id, iv, "overridden", reason, comment, None) for iv in recs]


def _accepted(record, phase: int, index: int, item: CardFeedback) -> list[str]:
    """The interventions of the suggestions accepted on the card of `phase`."""
    out = []
    recs = record.plan.get("phases", [])[phase]["recommendations"]
    for number, suggestion in enumerate(item.acceptedSuggestions):
        named = read_uuid(suggestion.id)
        ok = named is not None and named.record_id == record.id and named.kind == SUGGESTION \
            and named.first == phase and checks(suggestion.id, named, record.record_hash)
        if named is None or not ok or named.second >= len(recs):
            raise ApiError(404, "E809", "no suggestion with this id on this card",
                           path=f"feedback[{index}].acceptedSuggestions[{number}].id")
        out.append(recs[named.second]["intervention"])
    return out


def _reason(index: int, item: CardFeedback) -> str:
    coding = (item.overrideReason.reason if item.overrideReason else None) or {}
    code = coding.get("code") if isinstance(coding, dict) else None
    if code not in OVERRIDE_REASONS or coding.get("system", OVERRIDE_SYSTEM) != OVERRIDE_SYSTEM:
        raise ApiError(400, "E723", "an overridden card needs overrideReason.reason with a code "
                                    "from the card's overrideReasons",
                       path=f"feedback[{index}].overrideReason.reason",
                       suggestions=list(OVERRIDE_REASONS))
    return code

