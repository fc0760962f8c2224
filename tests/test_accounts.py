"""Personal accounts with roles (issue #18 part 4): `groundwork users`, personal tokens over the API
and on the page, sessions in the store, and the audit naming who acted. Each bad input has its
message, its exit code or HTTP status, and a check that nothing was written."""

from __future__ import annotations

import re
import sqlite3

import pytest

from dsl.errors import GroundworkError
from engine.audit import accounts
from engine.audit.store import AuditStore
from groundwork.web.security import CSRF_HEADER
from tests.helpers import run_here
from tests.web_support import AUTH, client, example, example_text, records_in


def _users(db) -> list[tuple]:
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id, role, token_hash, disabled_at FROM users ORDER BY id").fetchall()


def _add(db, user_id: str, role: str) -> str:
    code, out, err = run_here("users", "add", user_id, "--role", role, "--db", str(db))
    assert code == 0, err
    assert "shown once" in err
    return out.strip()


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# ---- the command line ----
def test_add_prints_the_token_once_and_stores_only_a_salted_scrypt_hash(tmp_path):
    db = tmp_path / "audit.sqlite"
    first, second = _add(db, "clin-07", "clinician"), _add(db, "clin-08", "clinician")
    assert re.fullmatch(r"gw_clin-07_[0-9a-f]{64}", first)
    rows = _users(db)
    assert [(r[0], r[1]) for r in rows] == [("clin-07", "clinician"), ("clin-08", "clinician")]
    assert all(r[2].startswith("scrypt$16384$8$1$") for r in rows)
    assert rows[0][2].split("$")[4] != rows[1][2].split("$")[4]  # a salt per user
    secret = first.rsplit("_", 1)[1]
    assert secret.encode() not in db.read_bytes() and first.encode() not in db.read_bytes()
    code, out, _ = run_here("users", "list", "--db", str(db))
    assert code == 0 and "clin-07" in out and "clinician" in out and "active" in out
    assert secret not in out and "scrypt" not in out


def test_a_new_token_replaces_the_old_one(tmp_path):
    db = tmp_path / "audit.sqlite"
    old = _add(db, "clin-07", "clinician")
    code, new, _ = run_here("users", "token", "clin-07", "--db", str(db))
    assert code == 0 and new.strip() != old
    with AuditStore.open(db) as store:
        with pytest.raises(GroundworkError) as refused:
            accounts.identify(store.conn, old, accounts.VerifiedTokens())
        assert refused.value.first.code == "E803"
        assert accounts.identify(store.conn, new.strip(), accounts.VerifiedTokens()).id == "clin-07"


@pytest.mark.parametrize("args, code, where, message", [
    (("add", "clin-07", "--role", "surgeon"), "E850", "--role", "unknown role"),
    (("add", "Jane Smith", "--role", "clinician"), "E851", "ID", "must be pseudonymous"),
    (("add", "a" * 65, "--role", "clinician"), "E851", "ID", "must be pseudonymous"),
    (("disable", "nobody"), "E853", "ID", "no user 'nobody'"),
    (("token", "nobody"), "E853", "ID", "no user 'nobody'"),
])
def test_bad_input_to_users_exits_2_with_one_message_and_writes_nothing(tmp_path, args, code,
                                                                        where, message):
    db = tmp_path / "audit.sqlite"
    _add(db, "admin-1", "admin")
    before = _users(db)
    exit_code, out, err = run_here("users", *args, "--db", str(db))
    assert exit_code == 2 and out == ""  # no token printed
    assert f"{where}: error: {code}: " in err and message in err and "Traceback" not in err
    assert _users(db) == before  # no user added, disabled or given a new token


def test_bad_input_on_a_missing_store_creates_no_store(tmp_path):
    db = tmp_path / "audit.sqlite"
    for args in (("add", "Jane Smith", "--role", "clinician"), ("add", "clin-1", "--role", "boss")):
        exit_code, _, _ = run_here("users", *args, "--db", str(db))
        assert exit_code == 2
    assert not db.exists()


def test_a_user_that_exists_already_is_refused(tmp_path):
    db = tmp_path / "audit.sqlite"
    _add(db, "clin-07", "clinician")
    before = _users(db)
    exit_code, out, err = run_here("users", "add", "clin-07", "--role", "admin", "--db", str(db))
    assert exit_code == 2 and out == "" and "E852" in err and "exists already" in err
    assert _users(db) == before


def test_disabling_is_reported_and_a_disabled_user_gets_no_new_token(tmp_path):
    db = tmp_path / "audit.sqlite"
    _add(db, "clin-07", "clinician")
    assert run_here("users", "disable", "clin-07", "--db", str(db))[1].strip() == "user clin-07 disabled"
    assert "disabled already" in run_here("users", "disable", "clin-07", "--db", str(db))[1]
    before = _users(db)
    exit_code, out, err = run_here("users", "token", "clin-07", "--db", str(db))
    assert exit_code == 2 and out == "" and "E854" in err and "is disabled" in err
    assert _users(db) == before
    assert "disabled" in run_here("users", "list", "--db", str(db))[1]


# ---- the server: two users, two roles ----
@pytest.fixture
def team(tmp_path):
    db = tmp_path / "audit.sqlite"
    with AuditStore.open(db, mode="create") as store:
        return {role: accounts.add_user(store.conn, user_id, role) for user_id, role in (
            ("clin-07", "clinician"), ("qa-02", "qa-reviewer"), ("train-1", "trainer"),
            ("admin-1", "admin"))}


def test_the_record_of_an_assessment_names_the_clinician_and_the_reviewer_cannot_assess(tmp_path, team):
    with client(tmp_path) as test_client:
        made = test_client.post("/api/assessments", content=example_text(),
                                headers=_bearer(team["clinician"]))
        assert made.status_code == 201, made.text
        refused = test_client.post("/api/assessments", content=example_text(), headers=_bearer(team["qa-reviewer"]))
        plan = test_client.get(f"/api/plans/{made.json()['audit_id']}",
                               headers=_bearer(team["qa-reviewer"]))
    assert refused.status_code == 403
    error = refused.json()["errors"][0]
    assert error["code"] == "E855" and "qa-reviewer may read but not assess" in error["message"]
    assert plan.status_code == 200  # the reviewer reads
    assert records_in(tmp_path) == 1
    with AuditStore.open(tmp_path / "audit.sqlite") as store:
        record = store.get(1)
    assert record.assessor_id == "clin-07"
    assert '"assessor_id":"' + example()["assessor_id"] + '"' in record.input_json  # the input's own


@pytest.mark.parametrize("role", ["qa-reviewer", "trainer", "admin"])
def test_no_role_but_clinician_writes_anything(tmp_path, team, role):
    with client(tmp_path) as test_client:
        plan_id = test_client.post("/api/assessments", content=example_text(),
                                   headers=_bearer(team["clinician"])).json()["audit_id"]
        headers = _bearer(team[role])
        answers = [
            test_client.post("/api/assessments", content=example_text(), headers=headers),
            test_client.post(f"/api/plans/{plan_id}/feedback", headers=headers,
                             json={"intervention": "x", "outcome": "accepted"}),
            test_client.post("/api/outcomes", headers=headers, json={
                "client_id": "C-1", "event": "restraint", "date": "2026-03-04",
                "setting": "residential", "code": "INC-1"}),
        ]
    assert [a.status_code for a in answers] == [403, 403, 403]
    assert {a.json()["errors"][0]["code"] for a in answers} == {"E855"}
    assert records_in(tmp_path) == 1


def test_feedback_and_outcomes_name_the_signed_in_user_whatever_the_body_says(tmp_path, team):
    with client(tmp_path) as test_client:
        made = test_client.post("/api/assessments", content=example_text(),
                                headers=_bearer(team["clinician"])).json()
        first = made["plan"]["phases"][0]["recommendations"][0]["intervention"]
        feedback = test_client.post(f"/api/plans/{made['audit_id']}/feedback",
                                    headers=_bearer(team["clinician"]),
                                    json={"intervention": first, "outcome": "accepted", "by": "someone-else"})
        event = test_client.post("/api/outcomes", headers=_bearer(team["clinician"]), json={
            "client_id": "C-1", "event": "restraint", "date": "2026-03-04",
            "setting": "residential", "code": "INC-1", "recorded_by": "someone-else"})
    assert feedback.status_code == 201 and event.status_code == 201, (feedback.text, event.text)
    with AuditStore.open(tmp_path / "audit.sqlite") as store:
        assert [r.assessor_id for r in store.records()] == ["clin-07", "clin-07", "clin-07"]


def test_the_operator_token_keeps_working_and_keeps_the_inputs_assessor(tmp_path, team):
    with client(tmp_path) as test_client:
        made = test_client.post("/api/assessments", content=example_text(), headers=AUTH)
    assert made.status_code == 201
    with AuditStore.open(tmp_path / "audit.sqlite") as store:
        assert store.get(1).assessor_id == example()["assessor_id"]


@pytest.mark.parametrize("token, code, message", [
    ("gw_clin-07_" + "0" * 64, "E803", "not a valid token"),
    ("gw_nobody_" + "0" * 64, "E803", "not a valid token"),
    ("gw_clin-07_short", "E803", "not a valid token"),
    ("not-a-token-at-all-xxxxxxxxx", "E803", "neither this server's API token"),
])
def test_a_wrong_token_is_401_and_writes_nothing(tmp_path, team, token, code, message):
    with client(tmp_path) as test_client:
        answer = test_client.post("/api/assessments", content=example_text(), headers=_bearer(token))
    assert answer.status_code == 401
    error = answer.json()["errors"][0]
    assert error["code"] == code and message in error["message"] and token not in answer.text
    assert records_in(tmp_path) == 0


def test_a_disabled_user_is_refused_at_once_even_with_a_verified_token(tmp_path, team):
    with client(tmp_path) as test_client:
        assert test_client.get("/api/knowledge-base", headers=_bearer(team["clinician"])).status_code == 200
        with AuditStore.open(tmp_path / "audit.sqlite", mode="append") as store:
            accounts.disable_user(store.conn, "clin-07")
        answer = test_client.post("/api/assessments", content=example_text(),
                                  headers=_bearer(team["clinician"]))
    assert answer.status_code == 401
    error = answer.json()["errors"][0]
    assert error["code"] == "E854" and "clin-07' is disabled" in error["message"]
    assert records_in(tmp_path) == 0


# ---- the page ----
def _sign_in(test_client, user: str, token: str):
    return test_client.post("/login", data={"user": user, "token": token}, follow_redirects=False)


def _csrf(test_client) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', test_client.get("/assess").text).group(1)


def test_sign_in_per_user_survives_a_restart_and_names_the_user(tmp_path, team):
    with client(tmp_path) as first:
        answer = _sign_in(first, "clin-07", team["clinician"])
        assert answer.status_code == 303 and answer.headers["location"] == "/assess"
        cookies = dict(first.cookies)
        assert "Signed in as clin-07 (clinician)" in first.get("/assess").text
    with client(tmp_path) as restarted:  # a new app on the same store: another process, a restart
        restarted.cookies.update(cookies)
        page = restarted.get("/assess")
        assert page.status_code == 200 and "clin-07" in page.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        made = restarted.post("/api/assessments", content=example_text(),
                              headers={CSRF_HEADER: csrf, "Content-Type": "application/json"})
    assert made.status_code == 201, made.text
    with AuditStore.open(tmp_path / "audit.sqlite") as store:
        assert store.get(1).assessor_id == "clin-07"
        assert store.conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1
        key = cookies["groundwork_session"]
        assert store.conn.execute("SELECT count(*) FROM sessions WHERE key_hash = ?",
                                  (key,)).fetchone()[0] == 0  # kept as a hash only


@pytest.mark.parametrize("user, token_of, status, message", [
    ("clin-07", "qa-reviewer", 401, "not this user&#39;s token"),
    ("clin-07", None, 401, "not a valid token for this user"),
    ("", None, 401, "not this server&#39;s token"),
])
def test_a_wrong_sign_in_sets_no_session(tmp_path, team, user, token_of, status, message):
    token = team[token_of] if token_of else "wrong-token-" + "x" * 20
    with client(tmp_path) as test_client:
        answer = _sign_in(test_client, user, token)
        assert answer.status_code == status and message in answer.text
        assert "groundwork_session" not in answer.headers.get("set-cookie", "")
    with AuditStore.open(tmp_path / "audit.sqlite") as store:
        assert store.conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0


def test_a_disabled_user_cannot_sign_in_and_their_sessions_end(tmp_path, team):
    with client(tmp_path) as test_client:
        assert _sign_in(test_client, "clin-07", team["clinician"]).status_code == 303
        with AuditStore.open(tmp_path / "audit.sqlite", mode="append") as store:
            accounts.disable_user(store.conn, "clin-07")
        assert test_client.get("/assess", follow_redirects=False).status_code == 303  # to /login
        test_client.cookies.clear()
        answer = _sign_in(test_client, "clin-07", team["clinician"])
    assert answer.status_code == 401 and "is disabled" in answer.text


def test_a_qa_reviewer_signed_in_on_the_page_cannot_assess(tmp_path, team):
    with client(tmp_path) as test_client:
        assert _sign_in(test_client, "qa-02", team["qa-reviewer"]).status_code == 303
        csrf = _csrf(test_client)
        upload = test_client.post("/assess", data={"csrf": csrf},
                                  files={"case_file": ("case.json", example_text(), "application/json")})
        api = test_client.post("/api/assessments", content=example_text(),
                               headers={CSRF_HEADER: csrf, "Content-Type": "application/json"})
        outcome = test_client.post("/outcomes", data={"csrf": csrf, "kind": "outcome",
                                                      "client_id": "C-1", "event": "restraint",
                                                      "date": "2026-03-04", "setting": "residential",
                                                      "code": "INC-1"})
    assert "assessing and recording need a clinician" in upload.text  # said on every page
    assert upload.status_code == 403 and "qa-reviewer may read but not assess" in upload.text
    assert api.status_code == 403 and api.json()["errors"][0]["code"] == "E855"
    assert outcome.status_code == 403 and "qa-reviewer may read" in outcome.text
    assert records_in(tmp_path) == 0


def test_the_store_migrates_to_the_accounts_tables(tmp_path):
    from engine.audit import schema
    with AuditStore.open(tmp_path / "audit.sqlite", mode="create") as store:
        tables = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"users", "sessions"} <= tables
        assert schema.user_version(store.conn) == schema.CURRENT_VERSION >= 5  # accounts: version 5


def test_a_reviewers_upload_is_refused_by_the_gate_from_its_headers(tmp_path, team):
    def body():  # streamed: no Content-Length, so only the gate (not a route) can refuse it early
        yield example_text().encode()

    with client(tmp_path) as test_client:
        answer = test_client.post("/api/assessments", content=body(),
                                  headers=_bearer(team["qa-reviewer"]) | {"Content-Type": "application/json"})
    assert answer.status_code == 403 and answer.json()["errors"][0]["code"] == "E855"
    assert "www-authenticate" not in answer.headers
    assert records_in(tmp_path) == 0


def test_wrong_personal_tokens_are_rate_limited_per_address_and_per_account(tmp_path, team):
    from groundwork.web.security import Throttle
    with client(tmp_path) as http:
        for _ in range(10):  # the page: a real user id, a wrong token
            assert _sign_in(http, "clin-07", "gw_clin-07_" + "0" * 64).status_code == 401
        refused = _sign_in(http, "clin-07", team["clinician"])  # the right token waits too
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        bearer = http.get("/api/knowledge-base", headers=_bearer(team["clinician"]))
        assert bearer.status_code == 429 and bearer.json()["errors"][0]["code"] == "E811"
        # per account: many addresses guessing one user's token lock that account only
        http.app.state.throttle = Throttle(per_address=1000, per_account=3)
        for _ in range(3):
            wrong = http.get("/api/knowledge-base", headers=_bearer("gw_qa-02_" + "1" * 64))
            assert wrong.status_code == 401
        assert http.get("/api/knowledge-base", headers=_bearer(team["qa-reviewer"])).status_code == 429
        assert http.get("/api/knowledge-base", headers=_bearer(team["clinician"])).status_code == 200
    assert records_in(tmp_path) == 0


def test_a_sign_in_does_not_make_the_next_append_walk_the_whole_chain(tmp_path, team, monkeypatch):
    import json

    from engine.audit import integrity
    checks = []
    real = integrity.check_before_append
    monkeypatch.setattr(integrity, "check_before_append",
                        lambda conn, store, full=True: checks.append(full) or real(conn, store, full))

    def assess(http, n):
        case = json.loads(example_text()) | {"client_id": f"X-{n}"}
        assert http.post("/api/assessments", content=json.dumps(case),
                         headers=_bearer(team["clinician"])).status_code == 201

    with client(tmp_path) as http:
        assess(http, 1)
        assess(http, 2)  # the server's idle connection opened the log after record 1
        assess(http, 3)
        assert _sign_in(http, "clin-07", team["clinician"]).status_code == 303  # writes a session
        assess(http, 4)
    assert checks[2:] == [False, False]  # the last record only, before and after the sign-in
