"""Sign-in with the agency's identity provider (OpenID Connect, #18), against a stand-in provider
on 127.0.0.1 (tests/oidc_provider.py). Each refusal has its status, code and message, and leaves
no session behind; no claim but the pseudonymous id reaches a page, the log or the store."""

from __future__ import annotations

import logging
import re
import sqlite3
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from engine.audit import accounts
from engine.audit.store import AuditStore
from groundwork.web.security import CSRF_HEADER, Throttle
from groundwork.web.settings import OidcProvider, from_environment
from tests.helpers import browser_or_skip, run_cli
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, running_provider, s256, serving
from tests.web_support import BASE, TOKEN, client, example_text, records_in, settings

PERSONAL = ("Jane Example", "jane.example@agency.example")


@pytest.fixture(scope="module")
def provider():
    with running_provider() as running:
        yield running


@pytest.fixture
def idp(provider):
    provider.reset()
    return provider


@pytest.fixture
def team(tmp_path):
    with AuditStore.open(tmp_path / "audit.sqlite", mode="create") as store:
        for user_id, role in (("clin-07", "clinician"), ("qa-02", "qa-reviewer"), ("gone-1", "clinician")):
            accounts.add_user(store.conn, user_id, role)
        accounts.disable_user(store.conn, "gone-1")


def _config(idp, **overrides) -> OidcProvider:
    values = dict(issuer=idp.issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                  redirect_uri=BASE + "/login/oidc")
    return OidcProvider(**(values | overrides))


def _server(tmp_path, idp, **overrides):
    return client(tmp_path, oidc=_config(idp, **overrides))


def _to_provider(http) -> str:
    """The browser asks to sign in with its agency account: the provider's authorization URL."""
    start = http.get("/login/oidc/start", follow_redirects=False)
    assert start.status_code == 303, start.text
    return start.headers["location"]


def _back_from_provider(authorization_url: str) -> str:
    """The person signs in at the provider, which sends the browser back: the callback URL."""
    answer = httpx.get(authorization_url, follow_redirects=False)
    assert answer.status_code == 302
    return answer.headers["location"]


def _sign_in(http):
    return http.get(_back_from_provider(_to_provider(http)))


def _sessions(tmp_path) -> list[tuple]:
    with sqlite3.connect(tmp_path / "audit.sqlite") as conn:
        return conn.execute("SELECT user_id, role FROM sessions").fetchall()


def _refused(answer, status: int, code: str, message: str, tmp_path) -> None:
    assert answer.status_code == status, answer.text
    assert "Sign-in refused" in answer.text and code in answer.text and message in answer.text
    assert "groundwork_session" not in answer.headers.get("set-cookie", "")
    assert _sessions(tmp_path) == []
    assert not any(value in answer.text for value in PERSONAL)


# ---- signing in ----
def test_a_user_signs_in_with_the_provider_and_the_audit_names_them(tmp_path, team, idp, caplog):
    caplog.set_level(logging.INFO, logger="groundwork.web")
    with _server(tmp_path, idp) as http:
        page = _sign_in(http)
        assert page.status_code == 200, page.text
        assert "Signed in as clin-07 (clinician)" in page.text
        assert '<meta http-equiv="refresh" content="0; url=/assess">' in page.text
        assert 'groundwork_oidc=""' in page.headers["set-cookie"]  # the binding cookie is cleared
        csrf = re.search(r'name="csrf" value="([^"]+)"', http.get("/assess").text).group(1)
        made = http.post("/api/assessments", content=example_text(),
                         headers={CSRF_HEADER: csrf, "Content-Type": "application/json"})
    assert made.status_code == 201, made.text
    assert _sessions(tmp_path) == [("clin-07", "clinician")]
    with AuditStore.open(tmp_path / "audit.sqlite") as store:
        assert store.get(1).assessor_id == "clin-07"
        assert store.conn.execute("SELECT count(*) FROM oidc_pending").fetchone()[0] == 0
    stored = (tmp_path / "audit.sqlite").read_bytes()
    logged = caplog.text
    assert "OpenID Connect sign-in: clin-07 (clinician)" in logged
    assert not any(value.encode() in stored or value in logged for value in PERSONAL)


def test_the_pkce_verifier_is_sent_and_matches_the_s256_challenge(tmp_path, team, idp):
    with _server(tmp_path, idp) as http:
        authorization = _to_provider(http)
        assert _sign_in_from(http, authorization).status_code == 200
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorization).query).items()}
    assert query["code_challenge_method"] == "S256" and query["response_type"] == "code"
    assert query["client_id"] == CLIENT_ID and query["redirect_uri"] == BASE + "/login/oidc"
    assert "openid" in query["scope"].split() and query["nonce"] and query["state"]
    verifier = idp.token_requests[0]["code_verifier"]
    assert 43 <= len(verifier) <= 128 and s256(verifier) == query["code_challenge"]
    assert verifier not in authorization  # only its hash travels through the browser


def _sign_in_from(http, authorization: str):
    return http.get(_back_from_provider(authorization))


def test_a_sign_in_begun_in_one_worker_finishes_in_another(tmp_path, team, idp):
    with _server(tmp_path, idp) as first, _server(tmp_path, idp) as second:
        authorization = _to_provider(first)
        second.cookies.update(dict(first.cookies))  # the same browser; another process answers
        assert _sign_in_from(second, authorization).status_code == 200
    assert _sessions(tmp_path) == [("clin-07", "clinician")]


def test_a_key_the_provider_rotates_in_is_fetched_and_accepted(tmp_path, team, idp):
    with _server(tmp_path, idp) as http:
        assert _sign_in(http).status_code == 200  # the JWK Set is fetched and kept
        idp.rotate_key()
        http.cookies.clear()
        assert _sign_in(http).status_code == 200  # an unknown kid: fetched again
    assert len(_sessions(tmp_path)) == 2


def test_the_role_claim_when_configured_must_name_the_users_role(tmp_path, team, idp):
    idp.claims |= {"groups": ["staff", "clinician"]}
    with _server(tmp_path, idp, role_claim="groups") as http:
        assert _sign_in(http).status_code == 200
    assert _sessions(tmp_path) == [("clin-07", "clinician")]


# ---- refusals: the ID token ----
@pytest.mark.parametrize("tamper, message", [
    ({"nonce": "another-nonce"}, "nonce"),
    ({"aud": "another-client"}, "aud"),
    ({"iss": "https://login.example.org"}, "iss"),
    ({"exp": 1_000_000_000, "iat": 999_999_000}, "expired"),
], ids=["wrong-nonce", "wrong-audience", "wrong-issuer", "expired"])
def test_an_id_token_that_does_not_check_is_refused(tmp_path, team, idp, tamper, message):
    idp.tamper = tamper
    with _server(tmp_path, idp) as http:
        answer = _sign_in(http)
    _refused(answer, 401, "E858", "the ID token does not check", tmp_path)
    assert message in answer.text


@pytest.mark.parametrize("signing, message", [
    ("other-key", "bad_signature"),
    # discovery offering them once let an unsigned token through Authlib (a regression test)
    ("client-secret", "not signed with an asymmetric algorithm"),  # HS256: the shared secret
    ("none", "not signed with an asymmetric algorithm"),  # unsigned
])
def test_an_id_token_not_signed_with_the_providers_key_is_refused(tmp_path, team, idp, signing, message):
    idp.signing = signing
    idp.algorithms = ["RS256", "HS256", "none"]  # even when discovery offers them
    with _server(tmp_path, idp) as http:
        answer = _sign_in(http)
    _refused(answer, 401, "E858", message, tmp_path)


def test_a_token_just_expired_is_accepted_within_the_leeway(tmp_path, team, idp):
    import time

    from groundwork.web.oidc import LEEWAY
    now = int(time.time())
    idp.tamper = {"iat": now - 300, "exp": now - LEEWAY // 2}
    with _server(tmp_path, idp) as http:
        assert _sign_in(http).status_code == 200


# ---- refusals: the state ----
@pytest.mark.browser
def test_in_a_browser_the_person_lands_signed_in_from_the_providers_site(tmp_path, team):
    """The session cookie is SameSite=Strict: a redirect in the navigation that comes from the
    provider's site would arrive without it, on the sign-in page (seen in Chromium before the
    callback answered with a page that moves on by itself)."""
    browser_or_skip()
    from playwright.sync_api import sync_playwright

    from explain.screenshots import launch
    from groundwork.web.app import create_app
    from groundwork.web.screenshots import free_port
    with running_provider(host="localhost") as idp:  # localhost: another site than 127.0.0.1
        idp.reset()
        idp.interactive = True
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        app = create_app(settings(tmp_path, public_url=base,
                                  oidc=_config(idp, redirect_uri=base + "/login/oidc")))
        with serving(app, port), sync_playwright() as playwright:
            browser = launch(playwright)
            try:
                page = browser.new_page()
                page.goto(base + "/login")
                page.get_by_role("link", name="Sign in with your agency account").click()
                page.locator("#sign-in").click()  # at the provider
                page.wait_for_url(base + "/assess")
                assert "Signed in as clin-07 (clinician)" in page.content()
            finally:
                browser.close()


def test_a_state_is_good_once(tmp_path, team, idp):
    with _server(tmp_path, idp) as http:
        callback = _back_from_provider(_to_provider(http))
        assert http.get(callback).status_code == 200
        http.cookies.clear()
        replayed = http.get(callback)
    assert replayed.status_code == 400 and "E856" in replayed.text
    assert "unknown or was used already" in replayed.text
    assert _sessions(tmp_path) == [("clin-07", "clinician")]  # the first sign-in's only
    assert len(idp.token_requests) == 1  # the replayed code never reached the provider


def test_an_unknown_state_is_refused(tmp_path, team, idp):
    with _server(tmp_path, idp) as http:
        answer = http.get("/login/oidc?code=abc&state=made-up-state")
    _refused(answer, 400, "E856", "unknown or was used already", tmp_path)


def test_a_callback_in_another_browser_is_refused(tmp_path, team, idp):
    with _server(tmp_path, idp) as http:
        callback = _back_from_provider(_to_provider(http))
        http.cookies.clear()  # the attacker's callback, opened in the victim's browser
        answer = http.get(callback)
    _refused(answer, 400, "E856", "begun in another browser", tmp_path)
    assert idp.token_requests == []


def test_a_sign_in_that_took_too_long_is_refused(tmp_path, team, idp):
    with _server(tmp_path, idp) as http:
        callback = _back_from_provider(_to_provider(http))
        with sqlite3.connect(tmp_path / "audit.sqlite") as conn:
            conn.execute("UPDATE oidc_pending SET expires = 0")
        answer = http.get(callback)
    _refused(answer, 400, "E856", "took longer than 10 minutes", tmp_path)


def test_the_providers_error_is_said_and_the_state_used_up(tmp_path, team, idp):
    with _server(tmp_path, idp) as http:
        state = parse_qs(urlsplit(_to_provider(http)).query)["state"][0]
        answer = http.get(f"/login/oidc?error=access_denied&error_description=Jane+said+no&state={state}")
        _refused(answer, 401, "E857", "refused the sign-in (access_denied)", tmp_path)
        assert "Jane said no" not in answer.text
        again = http.get(f"/login/oidc?code=x&state={state}")
    assert again.status_code == 400 and "E856" in again.text


# ---- refusals: who it is ----
@pytest.mark.parametrize("claims, status, code, message", [
    ({"preferred_username": "nobody-9"}, 403, "E860", "&#39;nobody-9&#39; is not a user of this server"),
    ({"preferred_username": "gone-1"}, 401, "E854", "user &#39;gone-1&#39; is disabled"),
    ({"preferred_username": "Jane Example"}, 403, "E859", "is not a pseudonymous user id"),
    ({"preferred_username": "jane.example@agency.example"}, 403, "E859", "is not a pseudonymous user id"),
    ({"preferred_username": None}, 403, "E859", "has no &#39;preferred_username&#39; claim"),
], ids=["unknown-user", "disabled-user", "a-name", "an-email", "no-claim"])
def test_the_person_must_be_an_enabled_user_with_a_pseudonymous_id(tmp_path, team, idp, caplog,
                                                                   claims, status, code, message):
    caplog.set_level(logging.INFO, logger="groundwork.web")
    idp.claims |= claims
    with _server(tmp_path, idp) as http:
        answer = _sign_in(http)
    _refused(answer, status, code, message, tmp_path)
    assert f"OpenID Connect sign-in refused: {code}" in caplog.text
    stored = (tmp_path / "audit.sqlite").read_bytes()
    assert not any(value in caplog.text or value.encode() in stored for value in PERSONAL)


def test_a_role_claim_that_names_another_role_is_refused(tmp_path, team, idp):
    idp.claims |= {"preferred_username": "qa-02", "groups": ["clinician"]}
    with _server(tmp_path, idp, role_claim="groups") as http:
        answer = _sign_in(http)
    _refused(answer, 403, "E861", "does not name this user&#39;s role (qa-reviewer)", tmp_path)


def test_failed_sign_ins_count_toward_the_sign_in_limit(tmp_path, team, idp):
    with _server(tmp_path, idp) as http:
        http.app.state.throttle = Throttle(per_address=3)
        for _ in range(3):
            assert http.get("/login/oidc?code=x&state=guess").status_code == 400
        callback = http.get("/login/oidc?code=x&state=guess")
        start = http.get("/login/oidc/start", follow_redirects=False)
        form = http.post("/login", data={"user": "clin-07", "token": "gw_clin-07_" + "0" * 64})
    for answer in (callback, start, form):
        assert answer.status_code == 429 and int(answer.headers["Retry-After"]) > 0
    assert "E811" in callback.text and "E811" in start.text
    assert _sessions(tmp_path) == []


def test_a_provider_that_cannot_be_reached_is_a_502_not_a_traceback(tmp_path, team, idp):
    from groundwork.web.screenshots import free_port
    with _server(tmp_path, idp, issuer=f"http://127.0.0.1:{free_port()}") as http:
        answer = http.get("/login/oidc/start", follow_redirects=False)
    assert answer.status_code == 502 and "E862" in answer.text and "cannot be reached" in answer.text


# ---- configuration ----
def test_without_a_provider_there_is_no_route_and_no_button(tmp_path):
    with client(tmp_path) as http:
        assert "agency account" not in http.get("/login").text
        assert http.get("/login/oidc/start", follow_redirects=False).status_code == 404
        assert http.get("/login/oidc?code=x&state=y").status_code == 404


def test_with_a_provider_the_login_page_offers_it(tmp_path, idp):
    with _server(tmp_path, idp) as http:
        page = http.get("/login").text
    assert '<a class="button" href="/login/oidc/start">Sign in with your agency account</a>' in page


ENV = {"GROUNDWORK_TOKEN": TOKEN, "GROUNDWORK_PUBLIC_URL": "https://cds.example.org",
       "GROUNDWORK_OIDC_ISSUER": "https://login.example.org/realms/agency",
       "GROUNDWORK_OIDC_CLIENT_ID": "groundwork"}


def test_the_provider_is_configured_from_the_environment():
    settings, _ = from_environment(None, None, ENV | {"GROUNDWORK_OIDC_ROLE_CLAIM": "groups"})
    assert settings.oidc == OidcProvider(
        issuer="https://login.example.org/realms/agency", client_id="groundwork",
        redirect_uri="https://cds.example.org/login/oidc", role_claim="groups")
    assert settings.oidc.discovery_url == ("https://login.example.org/realms/agency"
                                           "/.well-known/openid-configuration")
    assert from_environment(None, None, {"GROUNDWORK_TOKEN": TOKEN})[0].oidc is None


@pytest.mark.parametrize("change, where, message", [
    ({"GROUNDWORK_OIDC_CLIENT_ID": ""}, "GROUNDWORK_OIDC_CLIENT_ID", "the client id is not"),
    ({"GROUNDWORK_PUBLIC_URL": ""}, "GROUNDWORK_PUBLIC_URL", "needs the public URL"),
    ({"GROUNDWORK_OIDC_ISSUER": "http://login.example.org"}, "GROUNDWORK_OIDC_ISSUER", "https URL"),
    ({"GROUNDWORK_OIDC_ISSUER": ""}, "GROUNDWORK_OIDC_ISSUER", "GROUNDWORK_OIDC_CLIENT_ID is set"),
    ({"GROUNDWORK_OIDC_USER_CLAIM": "email"}, "GROUNDWORK_OIDC_USER_CLAIM", "not a pseudonymous"),
], ids=["no-client-id", "no-public-url", "http-issuer", "no-issuer", "email-claim"])
def test_a_misconfigured_provider_is_refused_at_start(change, where, message):
    from dsl.errors import GroundworkError
    with pytest.raises(GroundworkError) as refused:
        from_environment(None, None, ENV | change)
    first = refused.value.first
    assert first.code == "E810" and first.path == where and message in first.message


def test_serve_with_a_misconfigured_provider_exits_2_naming_the_setting(tmp_path):
    env = {k: v for k, v in ENV.items() if k != "GROUNDWORK_OIDC_CLIENT_ID"}
    run = run_cli("serve", "--db", str(tmp_path / "a.sqlite"), env=env)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "GROUNDWORK_OIDC_CLIENT_ID" in run.stderr and "E810" in run.stderr
    assert not (tmp_path / "a.sqlite").exists() and records_in(tmp_path) == 0
