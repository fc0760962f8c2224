"""No /api or /cds-services route answers without credentials; /healthz is open; the page's
session cookie is HttpOnly and SameSite=Strict and changes need its CSRF token."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Route

from groundwork.web.app import create_app
from groundwork.web.security import CSRF_HEADER, SESSION_COOKIE
from groundwork.web.settings import Settings
from tests.web_support import AUTH, TOKEN, assessed, client, example_text

PLACEHOLDERS = {"plan_id": "1", "intervention": "rhythmic-drumming", "service_id": "groundwork-plan",
                "client": "EX-SA-01"}


def every_route(routes):
    """(method, path) of every route in app.routes, through included routers (which newer FastAPI
    keeps as one entry holding the router's routes)."""
    for route in routes:
        if isinstance(route, (APIRoute, Route)):
            yield from ((method, route.path) for method in route.methods or ())
        elif hasattr(route, "effective_route_contexts"):  # fastapi >= 0.120: an included router
            contexts = route.effective_route_contexts()
            yield from ((m, c.path) for c in contexts for m in (c.methods or ()))


_APP = create_app(Settings(token=TOKEN))  # only its routes are read at collection time
GUARDED = sorted({(method, path) for method, path in every_route(_APP.routes)
                  if path.startswith(("/api", "/cds-services")) and method != "HEAD"})


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PLACEHOLDERS[m.group(1)], path)


def test_every_api_and_cds_route_is_listed():
    paths = {path for _, path in GUARDED}
    assert len([p for p in paths if p.startswith("/api")]) == 10  # the API's and progress's
    assert len([p for p in paths if p.startswith("/cds-services")]) == 3


@pytest.mark.parametrize("method,path", GUARDED, ids=[f"{m} {p}" for m, p in GUARDED])
@pytest.mark.parametrize("credentials", ["none", "wrong-token", "api-token-on-cds", "not-bearer"])
def test_no_guarded_route_answers_without_credentials(tmp_path, method, path, credentials):
    headers = {"none": {}, "wrong-token": {"Authorization": "Bearer " + "y" * 40},
               "not-bearer": {"Authorization": "Basic " + TOKEN},
               "api-token-on-cds": AUTH if path.startswith("/cds-services") else {}}[credentials]
    with client(tmp_path) as test_client:
        response = test_client.request(method, concrete(path), headers=headers, json={})
    assert response.status_code == 401, response.text
    error = response.json()["errors"][0]
    assert error["path"] == "Authorization" and error["code"] in ("E803", "E805")
    assert "www-authenticate" in {k.lower() for k in response.headers}
    assert not (tmp_path / "audit.sqlite").exists()  # nothing was recorded


def test_healthz_is_open_and_says_nothing_more(tmp_path):
    with client(tmp_path) as test_client:
        response = test_client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_the_token_is_never_taken_from_the_url(tmp_path):
    with client(tmp_path) as test_client:
        assert test_client.get(f"/api/knowledge-base?token={TOKEN}").status_code == 401
        assert test_client.get(f"/api/knowledge-base?access_token={TOKEN}").status_code == 401


def _signed_in(test_client: TestClient) -> str:
    response = test_client.post("/login", data={"token": TOKEN}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/assess"
    cookie = response.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    page = test_client.get("/assess")
    return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)


def test_login_with_a_wrong_token_is_refused_and_sets_no_cookie(tmp_path):
    with client(tmp_path) as test_client:
        response = test_client.post("/login", data={"token": "nope"}, follow_redirects=False)
        assert response.status_code == 401 and "set-cookie" not in response.headers
        assert "not this server" in response.text
        assert test_client.get("/assess", follow_redirects=False).headers["location"] == "/login"


def test_session_cookie_reads_the_api_and_changes_need_the_csrf_token(tmp_path):
    with client(tmp_path) as test_client:
        csrf = _signed_in(test_client)
        assert test_client.get("/api/knowledge-base").status_code == 200
        refused = test_client.post("/api/assessments", content=example_text())
        assert refused.status_code == 403 and refused.json()["errors"][0]["path"] == CSRF_HEADER
        accepted = test_client.post("/api/assessments", content=example_text(),
                                    headers={CSRF_HEADER: csrf})
        assert accepted.status_code == 201


def test_the_session_cookie_does_not_open_cds_hooks(tmp_path):
    with client(tmp_path) as test_client:
        _signed_in(test_client)
        assert test_client.get("/cds-services").status_code == 401


def test_logout_ends_the_session(tmp_path):
    with client(tmp_path) as test_client:
        csrf = _signed_in(test_client)
        test_client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
        assert test_client.get("/api/knowledge-base").status_code == 401


def test_pages_need_a_session(tmp_path):
    with client(tmp_path) as test_client:
        plan = assessed(test_client)["audit_id"]
        for path in ("/assess", f"/plans/{plan}", f"/plans/{plan}/report"):
            response = test_client.get(path, follow_redirects=False)
            assert response.status_code == 303 and response.headers["location"] == "/login"
