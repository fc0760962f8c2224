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
        assert status in (401, 429), status  # a wrong token is rate limited after 10 tries
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


def test_sign_in_is_rate_limited_per_address_with_retry_after(tmp_path):
    with client(tmp_path) as http:
        for _ in range(10):
            assert http.post("/login", data={"token": "wrong"}).status_code == 401
        refused = http.post("/login", data={"token": "wrong"})
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        # the right token waits too: guessing costs the window, not a round trip
        from tests.web_support import TOKEN
        assert http.post("/login", data={"token": TOKEN}, follow_redirects=False).status_code == 429


def test_wrong_bearer_tokens_are_rate_limited_too(tmp_path):
    with client(tmp_path) as http:
        wrong = {"Authorization": "Bearer " + "z" * 40}
        for _ in range(10):
            assert http.get("/api/plans/1", headers=wrong).status_code == 401
        refused = http.get("/api/plans/1", headers=wrong)
        assert refused.status_code == 429 and refused.json()["errors"][0]["code"] == "E811"
        assert int(refused.headers["Retry-After"]) > 0
        post = http.post("/api/assessments", content=b"{}", headers=AUTH | {
            "Content-Type": "application/json"})
        assert post.status_code == 429, "the address waits, whatever it sends"


@pytest.mark.parametrize("token", ["aaaaaaaaaaaaaaaa", "abababababababababab", "1234123412341234"])
def test_a_guessable_token_is_refused_at_start(token):
    from dsl.errors import GroundworkError
    from groundwork.web.settings import token_from
    with pytest.raises(GroundworkError) as raised:
        token_from({"GROUNDWORK_TOKEN": token})
    assert raised.value.first.code == "E810" and "too easy to guess" in raised.value.first.message
    assert token_from({"GROUNDWORK_TOKEN": "Xq3-vT9_pL2mZ8wK"})[0] == "Xq3-vT9_pL2mZ8wK"


def test_readyz_says_ready_and_healthz_alive(tmp_path):
    with client(tmp_path) as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        ready = http.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready" and ready.json()["records"] == 0


def test_readyz_is_503_when_the_store_is_damaged_while_healthz_stays_ok(tmp_path):
    from tests.helpers import EXAMPLES, run_here
    db = tmp_path / "audit.sqlite"
    assert run_here("assess", str(EXAMPLES / "adult.json"), "--db", str(db), "--format", "json")[0] == 0
    db.write_bytes(b"")  # truncated
    with client(tmp_path, db=db) as http:
        assert http.get("/healthz").status_code == 200
        ready = http.get("/readyz")
    assert ready.status_code == 503 and ready.json()["errors"][0]["code"] == "E812", ready.text
    assert "truncated" in ready.json()["errors"][0]["message"]
    assert db.read_bytes() == b""


def test_100_unauthenticated_1_mb_uploads_leave_the_servers_memory_flat(tmp_path):
    """The acceptance figure, on a real `groundwork serve`: within 10 MB of where it started."""
    import os
    import subprocess
    import sys
    import threading
    import time

    import httpx

    from groundwork.web.screenshots import free_port
    from tests.helpers import ROOT
    from tests.web_support import TOKEN
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GROUNDWORK_TOKEN": TOKEN,
           "GROUNDWORK_DB": str(tmp_path / "audit.sqlite")}
    process = subprocess.Popen([sys.executable, "-m", "groundwork", "serve", "--port", str(port)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)

        def rss_mb() -> float:
            with open(f"/proc/{process.pid}/status") as status:
                return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024

        for _ in range(3):  # warm the paths up
            httpx.post(base + "/api/assessments", content=b"{}", headers={"Content-Type": "application/json"})
        before, statuses = rss_mb(), []

        def upload():
            try:
                statuses.append(httpx.post(base + "/api/assessments", content=b"x" * MB, timeout=60,
                                           headers={"Content-Type": "application/json"}).status_code)
            except httpx.HTTPError as error:  # the server may close before reading the body
                statuses.append(type(error).__name__)

        threads = [threading.Thread(target=upload) for _ in range(100)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        time.sleep(0.5)
        grown = rss_mb() - before
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert set(statuses) <= {401, "RemoteProtocolError", "WriteError", "ReadError"}, statuses
    assert grown < 10, f"the server grew by {grown:.1f} MB"
