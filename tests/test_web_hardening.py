"""The server under unauthenticated load and bad credentials (issue #18 part 3): credentials are
checked before a body is read, sign-in is rate limited, tokens must be strong, and /readyz says
whether the server can serve."""

from __future__ import annotations

import asyncio

import pytest

from groundwork.web.app import create_app
from tests.web_support import AUTH, client, settings

MB = 1_000_000


def _call(app, method: str, path: str, headers: list[tuple[bytes, bytes]], body_size: int):
    """One request straight into the ASGI app; returns (status, body read from the client)."""
    read = {"bytes": 0, "calls": 0}
    sent: list[dict] = []

    async def receive():
        read["calls"] += 1
        read["bytes"] += body_size
        return {"type": "http.request", "body": b"x" * body_size, "more_body": False}

    async def send(event):
        sent.append(event)

    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(),
             "query_string": b"", "headers": headers, "http_version": "1.1", "scheme": "http",
             "server": ("testserver", 80), "client": ("203.0.113.9", 5000), "root_path": "",
             "app": app}
    asyncio.run(app(scope, receive, send))
    start = next(e for e in sent if e["type"] == "http.response.start")
    return start["status"], read


@pytest.fixture
def app(tmp_path):
    return create_app(settings(tmp_path))


@pytest.mark.parametrize("path, headers", [
    ("/api/assessments", []),
    ("/api/assessments", [(b"authorization", b"Bearer " + b"w" * 43)]),
    ("/api/plans/1/feedback", [(b"cookie", b"groundwork_session=forged")]),
    ("/cds-services/groundwork-plan", [(b"authorization", b"Bearer not-a-jwt")]),
    ("/assess", []),
])
def test_an_unauthenticated_upload_is_refused_before_its_body_is_read(app, path, headers):
    length = [(b"content-type", b"application/json"), (b"content-length", str(MB).encode())]
    for _ in range(100):
        status, read = _call(app, "POST", path, headers + length, MB)
        assert status == 401, status
        assert read["calls"] == 0, "not one byte of the body was read"


def test_the_sign_in_form_takes_a_small_body_only(app):
    status, read = _call(app, "POST", "/login", [(b"content-type", b"application/x-www-form-urlencoded"),
                                                 (b"content-length", str(MB).encode())], MB)
    assert status == 413 and read["calls"] == 0


def test_an_authenticated_upload_is_read(app, tmp_path):
    with client(tmp_path) as http:
        response = http.post("/api/assessments", content=b"{}", headers=AUTH | {
            "Content-Type": "application/json"})
    assert response.status_code == 422  # read, and refused for what it says
