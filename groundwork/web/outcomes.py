"""Outcome events, client progress and the program report over HTTP: the API routes (token or
session, like the rest of /api) and the signed-in pages (forms post with the session's CSRF token).

- POST /api/outcomes, POST /api/exposures: record an event or an exposure period (201), or 422
  with the field's path; nothing is written on any error.
- GET /api/clients/{client}/progress, GET /api/program/report: the same JSON as the CLI's.
- /outcomes (form), /clients/{client}/progress and /program: the pages, with SVG charts.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from markupsafe import Markup

from dsl.errors import GroundworkError
from engine import __version__
from engine.audit import outcomes
from engine.models import PSEUDONYM
from engine.reports.program import ProgramReport, check_period, program_report
from engine.reports.progress import Progress, client_progress
from explain import program as program_html, progress as progress_html
from groundwork.web import plans
from groundwork.web.api import ERRORS
from groundwork.web.errors import ApiError, ErrorEntry, from_groundwork
from groundwork.web.models import Recorded
from groundwork.web.pages import _page, _to_login
from groundwork.web.security import (acting_user, forbidden, identity_of, page_session,
                                       require_api, same)

api = APIRouter(prefix="/api", dependencies=[Depends(require_api)], responses=ERRORS, tags=["outcomes"])
pages = APIRouter(include_in_schema=False)
Client = Annotated[str, Path(pattern=PSEUDONYM, description="Client pseudonym")]
From = Annotated[str | None, Query(alias="from", max_length=10, description="First day, YYYY-MM-DD")]
To = Annotated[str | None, Query(alias="to", max_length=10, description="Last day, YYYY-MM-DD")]
SettingQuery = Annotated[str | None, Query(max_length=40, description="Only this setting")]


def _record(state, kind: str, data: dict, actor: str | None) -> Recorded:
    """Validate and append; GroundworkError becomes 422 naming the field, nothing written.
    `actor`: the signed-in user, who the record names as recorded_by (None: the operator token)."""
    if actor is not None:
        data = {**data, "recorded_by": actor}
    try:  # validated before the store is opened: bad input writes nothing
        event = outcomes.parse(outcomes.OutcomeEventIn, data, "request body") \
            if kind == "outcome" else None
        period = outcomes.parse(outcomes.ExposureIn, data, "request body") \
            if event is None else None
        with plans.open_store(state.settings, mode="append") as store:
            if event is not None:
                appended = outcomes.record_event(store, event, __version__)
            elif period is not None:
                appended = outcomes.record_exposure(store, period, __version__)
    except GroundworkError as error:
        raise ApiError(422, "", "", entries=[ErrorEntry(
            code=d.code, path=outcomes.field_of(d), message=d.message, hint=d.hint)
            for d in error.shown()]) from None
    return Recorded(audit_id=appended.id, record_hash=appended.record_hash)


@api.post("/outcomes", response_model=Recorded, status_code=201,
          summary="Record an outcome event (restraint, placement move …) in the audit chain")
def record_outcome(body: outcomes.OutcomeEventIn, request: Request) -> Recorded:
    return _record(request.app.state, "outcome", body.model_dump(mode="json"), acting_user(request))


@api.post("/exposures", response_model=Recorded, status_code=201,
          summary="Record days in placement (bed-days), the denominator of the program's rates")
def record_exposure(body: outcomes.ExposureIn, request: Request) -> Recorded:
    return _record(request.app.state, "exposure", body.model_dump(mode="json"),
                   acting_user(request))


def _progress(state, client: str) -> Progress:
    with plans.open_store(state.settings) as store:
        try:
            return client_progress(store, client)
        except GroundworkError as error:
            raise from_groundwork(error, 404, "client") from None


def _report(state, start: str | None, end: str | None, setting: str | None) -> ProgramReport:
    try:
        start, end, setting = check_period(start, end, setting)
    except GroundworkError as error:
        path = error.first.message.split(":", 1)[0]
        raise from_groundwork(error, 422, path) from None
    with plans.open_store(state.settings) as store:
        return program_report(store, start, end, setting)


@api.get("/clients/{client}/progress", response_model=Progress,
         summary="A client's assessments over time: bands, changes and their rules, goals, feedback")
def progress(client: Client, request: Request) -> Progress:
    return _progress(request.app.state, client)


@api.get("/program/report", response_model=ProgramReport,
         summary="Program figures with denominators (observational, uncontrolled)")
async def report(request: Request, start: From = None, end: To = None,
                 setting: SettingQuery = None) -> ProgramReport:
    return await run_in_threadpool(_report, request.app.state, start, end, setting)


# ---- pages ----
def _outcome_page(request: Request, status: int = 200, **values):
    return _page(request, "outcomes.html", status, events=outcomes.EVENTS,
                 settings=outcomes.v.SETTINGS, **values)


@pages.get("/outcomes")
def outcome_form(request: Request, recorded: int | None = None):
    if not page_session(request):
        return _to_login()
    return _outcome_page(request, recorded=recorded)


@pages.post("/outcomes")
async def outcome_post(request: Request):
    session = page_session(request)
    if not session:
        return _to_login()
    form = await request.form()
    if not same(session.csrf, str(form.get("csrf") or "")):
        return _outcome_page(request, 403, problems=[{"path": "(form)", "message":
                                                      "the form is out of date; reload the page"}])
    if not identity_of(session).may_write:
        return _outcome_page(request, 403, problems=[{"path": "(role)",
                                                      "message": forbidden(identity_of(session))
                                                      .entries[0].message}])
    kind = "exposure" if form.get("kind") == "exposure" else "outcome"
    fields = ("client_id", "setting", "start", "end", "recorded_by") if kind == "exposure" \
        else ("client_id", "event", "date", "setting", "code", "recorded_by")
    data = {f: str(form.get(f) or "").strip() or None for f in fields}
    try:
        recorded = await run_in_threadpool(_record, request.app.state, kind, data,
                                           acting_user(request))
    except ApiError as error:
        return _outcome_page(request, error.status, kind=kind, values=data,
                             problems=[{"path": e.path, "message": e.message} for e in error.entries])
    return RedirectResponse(f"/outcomes?recorded={recorded.audit_id}", status_code=303)


@pages.get("/clients/{client}/progress")
def progress_page(request: Request, client: str):
    if not page_session(request):
        return _to_login()
    try:
        result = _progress(request.app.state, client) if _pseudonym(client) else None
    except ApiError as error:
        return _page(request, "error.html", error.status, problems=error.entries)
    if result is None:
        return _page(request, "error.html", 404, problems=[ErrorEntry(
            code="E718", path="client", message="the client must be a pseudonymous id")])
    return _page(request, "progress.html", client=client,
                 body=Markup(progress_html.progress_body(result)))


@pages.get("/program")
def program_page(request: Request, start: From = None, end: To = None, setting: SettingQuery = None):
    if not page_session(request):
        return _to_login()
    try:
        result = _report(request.app.state, start or None, end or None, setting or None)
    except ApiError as error:
        return _page(request, "error.html", error.status, problems=error.entries)
    return _page(request, "program.html", body=Markup(program_html.report_body(result)),
                 settings=outcomes.v.SETTINGS, start=start or "", end=end or "",
                 setting=setting or "")


def _pseudonym(text: str) -> bool:
    return re.fullmatch(PSEUDONYM, text) is not None
