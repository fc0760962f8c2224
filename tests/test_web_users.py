"""Personal accounts with roles (issue #18 part 4): `groundwork users`, tokens hashed at rest and
shown once, the record names the clinician who assessed, a QA reviewer reads but cannot assess."""

from __future__ import annotations

import json
import sqlite3

import pytest

from groundwork.web import accounts
from tests.helpers import run_here
from tests.web_support import client, example


@pytest.fixture(autouse=True)
def _fresh_cache():
    accounts.forget()
    yield
    accounts.forget()


def _add(db, user_id: str, role: str) -> str:
    code, out, err = run_here("users", "add", user_id, "--role", role, "--db", str(db))
    assert code == 0, err
    assert "shown once" in err
    return out.strip()


def _case(assessor: str) -> str:
    case = example()
    case["assessor_id"] = assessor
    return json.dumps(case)


def test_two_users_two_roles(tmp_path):
    db = tmp_path / "audit.sqlite"
    clinician, reviewer = _add(db, "CLIN-7", "clinician"), _add(db, "QA-2", "qa-reviewer")
    with sqlite3.connect(db) as conn:  # tokens hashed at rest: no secret in the store
        stored = b"".join(row[0] + row[1] for row in conn.execute("SELECT token_salt, token_hash FROM users"))
    for token in (clinician, reviewer):
        assert token.partition(".")[2].encode() not in stored
    json_headers = {"Content-Type": "application/json"}
    with client(tmp_path) as http:
        made = http.post("/api/assessments", content=_case("CLIN-7"),
                         headers={"Authorization": f"Bearer {clinician}"} | json_headers)
        assert made.status_code == 201, made.text
        refused = http.post("/api/assessments", content=_case("QA-2"),
                            headers={"Authorization": f"Bearer {reviewer}"} | json_headers)
        assert refused.status_code == 403 and refused.json()["errors"][0]["code"] == "E813"
        read = http.get(f"/api/plans/{made.json()['audit_id']}",
                        headers={"Authorization": f"Bearer {reviewer}"})
        assert read.status_code == 200, "a QA reviewer reads"
        other = http.post("/api/assessments", content=_case("SOMEONE-ELSE"),
                          headers={"Authorization": f"Bearer {clinician}"} | json_headers)
        assert other.status_code == 403 and other.json()["errors"][0]["code"] == "E814"
        feedback = http.post(f"/api/plans/{made.json()['audit_id']}/feedback", json={
            "intervention": made.json()["plan"]["phases"][0]["recommendations"][0]["intervention"],
            "outcome": "accepted"}, headers={"Authorization": f"Bearer {clinician}"})
        assert feedback.status_code == 201, feedback.text
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT kind, assessor_id FROM records ORDER BY id").fetchall()
    assert rows == [("assessment", "CLIN-7"), ("feedback", "CLIN-7")], "the records name the clinician"
    code, _, _ = run_here("audit", "verify", "--db", str(db))
    assert code == 0


def test_a_disabled_user_and_a_replaced_token_stop_working(tmp_path):
    db = tmp_path / "audit.sqlite"
    old = _add(db, "CLIN-8", "clinician")
    code, out, _ = run_here("users", "token", "CLIN-8", "--db", str(db))
    new = out.strip()
    assert code == 0 and new != old
    with client(tmp_path) as http:
        assert http.get("/api/knowledge-base", headers={"Authorization": f"Bearer {old}"}).status_code == 401
        assert http.get("/api/knowledge-base", headers={"Authorization": f"Bearer {new}"}).status_code == 200
        assert run_here("users", "disable", "CLIN-8", "--db", str(db))[0] == 0
        accounts.forget()  # a running server forgets within a minute (accounts.CACHE_SECONDS)
        assert http.get("/api/knowledge-base", headers={"Authorization": f"Bearer {new}"}).status_code == 401
    code, out, _ = run_here("users", "list", "--db", str(db))
    assert "CLIN-8" in out and "disabled" in out and new not in out


def test_a_qa_reviewer_signs_in_on_the_web_page_and_cannot_assess_there(tmp_path):
    db = tmp_path / "audit.sqlite"
    reviewer = _add(db, "QA-3", "qa-reviewer")
    with client(tmp_path) as http:
        signed = http.post("/login", data={"token": reviewer}, follow_redirects=False)
        assert signed.status_code == 303
        page = http.post("/assess", data={"case_json": _case("QA-3")}, follow_redirects=False)
        assert page.status_code == 403, page.text
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM records").fetchone()[0] == 0


@pytest.mark.parametrize("args, message", [
    (("users", "add", "Jane Doe", "--role", "clinician"), "E718"),
    (("users", "add", "X-1", "--role", "boss"), "E745: unknown role 'boss'"),
    (("users", "disable", "NOBODY"), "E747: no user NOBODY"),
])
def test_users_usage_errors_exit_2(tmp_path, args, message):
    db = tmp_path / "audit.sqlite"
    _add(db, "X-1", "trainer")
    code, out, err = run_here(*args, "--db", str(db))
    assert code == 2 and message in err and out == "", err
    assert "Jane" not in err


def test_an_outcome_event_names_the_user_who_recorded_it(tmp_path):
    db = tmp_path / "audit.sqlite"
    clinician = _add(db, "CLIN-9", "clinician")
    event = {"client_id": "C00001", "event": "restraint", "date": "2025-01-02", "setting": "home",
             "code": "INC-7", "recorded_by": "SOMEONE-ELSE"}
    with client(tmp_path) as http:
        made = http.post("/api/outcomes", json=event, headers={"Authorization": f"Bearer {clinician}"})
    assert made.status_code == 201, made.text
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT assessor_id FROM records").fetchall() == [("CLIN-9",)]


def test_two_workers_share_the_sessions(tmp_path):
    """`groundwork serve --workers 2`: a user signed in on one worker is signed in on the other
    (sessions live in the audit store), request after request on fresh connections."""
    import os
    import subprocess
    import sys
    import time

    import httpx

    from groundwork.web.screenshots import free_port
    from tests.helpers import ROOT
    from tests.web_support import TOKEN
    db = tmp_path / "audit.sqlite"
    clinician = _add(db, "CLIN-W", "clinician")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GROUNDWORK_TOKEN": TOKEN, "GROUNDWORK_DB": str(db)}
    process = subprocess.Popen([sys.executable, "-m", "groundwork", "serve", "--port", str(port),
                                "--workers", "2"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(base + "/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        signed = httpx.post(base + "/login", data={"token": clinician}, follow_redirects=False)
        assert signed.status_code == 303, signed.text
        cookie = {"groundwork_session": signed.cookies["groundwork_session"]}
        for _ in range(12):  # a new connection each time: the workers take turns
            page = httpx.get(base + "/assess", cookies=cookie, headers={"Connection": "close"},
                             follow_redirects=False)
            assert page.status_code == 200, page.status_code
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert stderr.count("Started server process") == 2, stderr
