"""The HTTP API under /api: assess and record a case, read a stored plan, ask why and why not,
record feedback, read the knowledge base. Every route needs the API token (see security.py).

Explanations are of the plan as stored: rebuilt from the record's own input and knowledge base
(groundwork/service.py), never from whatever the server would decide today.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse

from dsl.errors import GroundworkError
from dsl.checked import CheckedKnowledgeBase
from engine import __version__
from engine.audit.feedback import record_feedback
from engine.audit.store import Record
from engine.plan import Plan
from explain.evidence import location
from explain.html_parts import why_html, why_not_html
from explain.models import Why
from explain.why_not import explain_why_not
from groundwork import service
from groundwork.web import plans
from groundwork.web.errors import ApiError, ErrorResponse, from_groundwork
from groundwork.web.models import (AssessmentResult, FeedbackEntry, FeedbackIn, FeedbackOut,
                                   InterventionInfo, KnowledgeBaseInfo, RuleInfo, StoredPlan)
from groundwork.web.security import acting_user, require_api

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (401, 403, 404, 409, 413, 422)}
router = APIRouter(prefix="/api", dependencies=[Depends(require_api)], responses=ERRORS, tags=["api"])

PlanId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Audit id of the plan (assessment record)")]
InterventionPath = Annotated[str, Path(min_length=1, max_length=120,
                                       description="Catalog id or name of an intervention")]
ASSESSMENT_BODY = {"requestBody": {"required": True, "description": "An assessment, exactly as "
                                   "`groundwork assess CASE.json` reads it (`groundwork schema`)",
                                   "content": {"application/json": {
                                       "schema": {"$ref": "#/components/schemas/Assessment"}}}}}
# The explanation models are published from pydantic directly (app.openapi): FastAPI's schema
# generator would alter pydantic's cached schema of the recursive Check model in this process.
def _explained_by(*models: str) -> dict:
    refs = [{"$ref": f"#/components/schemas/{m}"} for m in models]
    return {200: {"description": "The explanation as JSON; or, with `Accept: text/html`, as an "
                                 "HTML fragment (what the web page shows)",
                  "content": {"application/json": {"schema": refs[0] if len(refs) == 1
                                                   else {"oneOf": refs}},
                              "text/html": {"schema": {"type": "string"}}}}}
FEEDBACK_PATHS = {"E712": "intervention", "E720": "outcome", "E721": "reason", "E722": "reason",
                  "E723": "reason", "E724": "comment", "E725": "outcome"}


@router.post("/assessments", response_model=AssessmentResult, status_code=201,
             openapi_extra=ASSESSMENT_BODY, summary="Validate, assess and record a case")
async def create_assessment(request: Request) -> JSONResponse:
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(422, "E201", "the body is not UTF-8 text", path="(body)") from None
    ctx, appended = await run_in_threadpool(plans.assess_and_record, request.app.state, text,
                                            "request body", acting_user(request))
    result = AssessmentResult(audit_id=appended.id, record_hash=appended.record_hash, plan=ctx.plan)
    return JSONResponse(result.model_dump(mode="json"), status_code=201,
                        headers={"Location": f"/api/plans/{appended.id}"})


@router.get("/plans/{plan_id}", response_model=StoredPlan, summary="A stored plan and its feedback")
def get_plan(plan_id: PlanId, request: Request) -> StoredPlan:
    with plans.open_store(request.app.state.settings) as store:
        record = plans.assessment_record(store, plan_id)
        feedback = store.feedback_for(record.id)
    return StoredPlan(audit_id=record.id, record_hash=record.record_hash,
                      recorded_at=record.recorded_at, plan=stored_plan(record),
                      feedback=[FeedbackEntry(audit_id=f.id, recorded_at=f.recorded_at,
                                              intervention=f.intervention, outcome=f.outcome,
                                              reason=f.reason) for f in feedback])


def stored_plan(record: Record) -> Plan:
    try:
        return Plan.model_validate(record.plan)
    except ValueError:
        raise ApiError(409, "E801", f"plan {record.id} is stored in an older plan format",
                       path="id", hint=f"`groundwork audit show {record.id} --format json` "
                                       "shows it as stored") from None


def _explained(request: Request, plan_id: int, intervention: str):
    state = request.app.state
    with plans.open_store(state.settings) as store:
        record = plans.assessment_record(store, plan_id)
    ctx = plans.context_of(state, record)
    return ctx, plans.intervention_id(ctx.kb, intervention)


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept


@router.get("/plans/{plan_id}/why/{intervention}", response_model=None,
            responses=_explained_by("Why", "WhyNot"),
            summary="Why this intervention (why not, when it is not active)")
def why(plan_id: PlanId, intervention: InterventionPath, request: Request):
    ctx, intervention_id = _explained(request, plan_id, intervention)
    answer = service.explanation(ctx, intervention_id)
    if _wants_html(request):
        return HTMLResponse(why_html(answer) if isinstance(answer, Why) else why_not_html(answer))
    return JSONResponse(answer.model_dump(mode="json"))


@router.get("/plans/{plan_id}/why-not/{intervention}", response_model=None,
            responses=_explained_by("WhyNot"), summary="Why not this intervention")
def why_not(plan_id: PlanId, intervention: InterventionPath, request: Request):
    ctx, intervention_id = _explained(request, plan_id, intervention)
    answer = explain_why_not(ctx, intervention_id)
    if _wants_html(request):
        return HTMLResponse(why_not_html(answer))
    return JSONResponse(answer.model_dump(mode="json"))


@router.post("/plans/{plan_id}/feedback", response_model=FeedbackOut, status_code=201,
             summary="Record a clinician's acceptance or override of one recommendation")
def feedback(plan_id: PlanId, body: FeedbackIn, request: Request) -> FeedbackOut:
    with plans.open_store(request.app.state.settings, mode="append") as store:
        plans.assessment_record(store, plan_id)
        try:
            appended = record_feedback(store, plan_id, body.intervention, body.outcome, body.reason,
                                       body.comment, acting_user(request) or body.by,
                                       __version__)
        except GroundworkError as error:
            raise feedback_error(error) from None
    return FeedbackOut(audit_id=appended.id, record_hash=appended.record_hash, plan_id=plan_id,
                       intervention=body.intervention, outcome=body.outcome)


def feedback_error(error: GroundworkError) -> ApiError:
    path = FEEDBACK_PATHS.get(error.first.code)
    api_error = from_groundwork(error, 422 if path else 500, path or "(audit store)")
    for entry in api_error.entries:  # the shared messages speak of the CLI's option
        entry.message = entry.message.replace("--reason", "reason")
        entry.hint = entry.hint.replace("--reason", "reason") if entry.hint else None
    return api_error


@router.get("/knowledge-base", response_model=KnowledgeBaseInfo,
            summary="The knowledge base this server assesses with: rules and interventions with sources")
def knowledge_base_info(request: Request) -> KnowledgeBaseInfo:
    return describe(request.app.state.kb)


def describe(kb: CheckedKnowledgeBase) -> KnowledgeBaseInfo:
    rules = [RuleInfo(id=r.id, version=r.version, title=r.title, status=r.status, evidence=r.evidence,
                      source=r.source, rationale=r.rationale, location=location(r)) for r in kb.rules]
    catalog = [InterventionInfo(id=i.id, name=i.name, region=i.region,
                                phase=kb.phase_of_region(i.region).value if i.region else None,
                                modality=i.modality,
                                min_developmental_age_months=i.min_developmental_age_months,
                                requires=list(i.requires), contraindicated=list(i.contraindicated),
                                source=i.source) for _, i in sorted(kb.interventions.items())]
    return KnowledgeBaseInfo(name=kb.name, version=kb.version, hash=kb.content_hash,
                             instrument=kb.instrument, rules=rules, interventions=catalog)
