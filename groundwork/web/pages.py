"""The clinician's web page: server-rendered Jinja2 templates, a little vanilla JavaScript in
static/app.js (no build step), no inline script or style.

Sign in (a token, or the agency's identity provider through oidc.py -> session cookie) ->
assessment form or JSON upload -> the recorded plan: region map, phases with doses, why / why not
(fetched from the API), deferred and avoided lists, feedback buttons, and a printable report.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from dsl.errors import GroundworkError
from engine.audit.feedback import OVERRIDE_REASONS
from engine.pipeline import canonical_json
from explain.html import region_map_html, render_report
from explain.html_profile import item_flags_html, profile_html
from explain.plain import DISCLAIMER
from explain.text import nothing_active
from groundwork.web import forms, plans
from groundwork.web.errors import ApiError
from engine.audit import accounts
from groundwork.web.security import (OPERATOR, SESSION_COOKIE, Identity, acting_user,
                                       client_address, forbidden, identity_of, page_session, same)

TEMPLATES = Jinja2Templates(directory=str(resources.files("groundwork.web").joinpath("templates")))
router = APIRouter(include_in_schema=False)


def _page(request: Request, name: str, status: int = 200, **values) -> HTMLResponse:
    session = page_session(request)
    values |= {"disclaimer": DISCLAIMER, "csrf": session.csrf if session else "",
               "signed_in": session is not None,
               "signed_in_as": (session.user_id or "operator token") if session else None,
               "role": session.role if session else None,
               "may_write": session is not None and identity_of(session).may_write,
               "oidc": request.app.state.settings.oidc is not None}
    return TEMPLATES.TemplateResponse(request, name, values, status_code=status)


def _to_login() -> RedirectResponse:
    return RedirectResponse("/login", status_code=303)


@router.get("/")
def home(request: Request):
    return RedirectResponse("/assess" if page_session(request) else "/login", status_code=303)


@router.get("/login")
def login_form(request: Request):
    if page_session(request):
        return RedirectResponse("/assess", status_code=303)
    return _page(request, "login.html")


@router.post("/login")
async def login(request: Request):
    """Sign in with a personal token (its user id, if typed, must be the token's) or, as before
    personal accounts, with the server's shared operator token and no user id. Failures count
    against the address and the account (the typed user id, else the token's): past the limit,
    429 with Retry-After, even for the right token."""
    form = await request.form()
    token, user_id = str(form.get("token") or ""), str(form.get("user") or "").strip()
    personal = accounts.TOKEN.fullmatch(token)
    account = user_id or (personal.group(1) if personal else "token")
    throttle, address = request.app.state.throttle, client_address(request)
    wait = throttle.retry_after(address, account)
    if wait:
        refused = _page(request, "login.html", 429, user=user_id,
                        error=f"Too many failed sign-ins: try again in {wait} seconds.")
        refused.headers["Retry-After"] = str(wait)
        return refused
    if not user_id and same(request.app.state.settings.token, token):
        identity = OPERATOR
    elif accounts.is_personal(token):
        try:
            identity = request.app.state.sessions.identify(token)
        except ApiError as error:
            if error.status == 401:
                throttle.failed(address, account)
            return _page(request, "login.html", error.status, user=user_id,
                         error=f"{error.entries[0].message}.")
        if user_id and user_id != identity.user_id:
            throttle.failed(address, account)
            return _page(request, "login.html", 401, user=user_id,
                         error="That token is not this user's token.")
    else:
        throttle.failed(address, account)
        return _page(request, "login.html", 401, user=user_id,
                     error="That is not this server's token." if not user_id else
                     "That is not a valid token for this user.")
    return with_session(request, identity, RedirectResponse("/assess", status_code=303))


def with_session(request: Request, identity: Identity, response: Response) -> Response:
    """A new session for `identity` in the store, and its cookie on `response`: the one way in,
    for a token and for the identity provider alike."""
    key, _ = request.app.state.sessions.create(identity)
    response.set_cookie(SESSION_COOKIE, key, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https",
                        max_age=request.app.state.settings.session_hours * 3600)
    return response


def _may_not_write(request: Request) -> ApiError | None:
    """The 403 for a signed-in role that may not assess or record (a qa-reviewer), else None."""
    session = page_session(request)
    identity = identity_of(session) if session else None
    return forbidden(identity) if identity is not None and not identity.may_write else None


@router.post("/logout")
async def logout(request: Request):
    form = await request.form()
    session = page_session(request)
    if session and same(session.csrf, str(form.get("csrf") or "")):
        request.app.state.sessions.drop(request.cookies.get(SESSION_COOKIE))
    response = _to_login()
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _form_page(request: Request, status: int = 200, **values) -> HTMLResponse:
    kb = request.app.state.kb
    age_months = forms.posted_age_months(values.get("values"))
    return _page(request, "assess.html", status, regions=forms.layout(kb), scale=kb.instrument.scale,
                 age_months=age_months,
                 instrument=kb.instrument, kb=kb, v=forms.vocabulary(),
                 established=forms.established_choices(kb),
                 values=forms.Values(values.pop("values", None)), **values)


@router.get("/assess")
def assess_form(request: Request):
    if not page_session(request):
        return _to_login()
    return _form_page(request)


@router.post("/assess")
async def assess(request: Request):
    session = page_session(request)
    if not session:
        return _to_login()
    form = await request.form()
    if not same(session.csrf, str(form.get("csrf") or "")):
        return _form_page(request, 403, problems=[{"path": "(form)", "anchor": None, "message":
                                                   "the form is out of date; reload the page"}])
    refused = _may_not_write(request)
    if refused is not None:
        return _form_page(request, 403, problems=[{"path": "(role)", "anchor": None,
                                                   "message": refused.entries[0].message}])
    upload = form.get("case_file")
    built = None
    if upload is not None and not isinstance(upload, str) and upload.filename:
        data = await upload.read()
        text, display = data.decode("utf-8", errors="replace"), "uploaded file"
    else:
        built = forms.from_form(form, request.app.state.kb)
        text, display = canonical_json(built.raw), "form"
    try:
        _, appended = await run_in_threadpool(plans.assess_and_record, request.app.state, text, display,
                                              acting_user(request))
    except GroundworkError as error:
        problems = [{"path": d.field_path or (f"line {d.line}" if d.line else "(file)"),
                     "anchor": built.anchor(d.field_path) if built else "case_file",
                     "message": d.message} for d in error.shown()]
        return _form_page(request, 422, problems=problems, values=form if built else None)
    return RedirectResponse(f"/plans/{appended.id}", status_code=303)


def _stored(request: Request, plan_id: int):
    with plans.open_store(request.app.state.settings) as store:
        record = plans.assessment_record(store, plan_id)
        feedback = store.feedback_for(record.id)
    return record, feedback, plans.context_of(request.app.state, record)


@router.get("/plans/{plan_id}")
def plan_page(request: Request, plan_id: int):
    if not page_session(request):
        return _to_login()
    try:
        record, feedback, ctx = _stored(request, plan_id)
    except ApiError as error:
        return _page(request, "error.html", error.status, problems=error.entries)
    latest = {f.intervention: f for f in feedback}  # the newest response to each recommendation
    catalog = sorted(ctx.kb.interventions.values(), key=lambda i: (i.name or i.id).lower())
    return _page(request, "plan.html", record=record, plan=ctx.plan, kb=ctx.kb, catalog=catalog,
                 region_map=Markup(region_map_html(ctx)), item_flags=Markup(item_flags_html(ctx)),
                 profile=Markup(profile_html(ctx)), feedback=latest, reasons=OVERRIDE_REASONS,
                 nothing_active=nothing_active(ctx.plan))


@router.get("/plans/{plan_id}/report")
def report(request: Request, plan_id: int):
    """The explain report, as `groundwork assess -f html` writes it: its inline style is allowed by
    its hash, and nothing else (it has no script)."""
    if not page_session(request):
        return _to_login()
    try:
        _, _, ctx = _stored(request, plan_id)
    except ApiError as error:
        return _page(request, "error.html", error.status, problems=error.entries)
    html = render_report(ctx)
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode() if style else ""
    policy = (f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; base-uri 'none'; "
              "form-action 'none'; frame-ancestors 'none'")
    return HTMLResponse(html, headers={"Content-Security-Policy": policy})


@router.get("/assets/report.css")
def report_css() -> Response:
    """explain's report stylesheet, shared by the page so that the region map looks the same."""
    css = resources.files("explain").joinpath("templates/report.css").read_text(encoding="utf-8")
    return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=3600"})
