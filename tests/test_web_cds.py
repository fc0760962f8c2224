"""CDS Hooks 2.0: discovery, cards built from an example client (summaries under 140 characters,
`source` naming rules and their citations, indicators from flags), feedback recorded in the audit
store, and the JWT checks (issuer, audience, expiry, one use per jti, signature, kid, algorithm).
FHIR prefetch, the FHIR server fallback, key rotation and conformance: test_cds_fhir.py."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

import knowledge_base
from engine.audit.store import AuditStore
from groundwork.web.cards import SUMMARY_MAX, make_uuid
from groundwork.web.settings import (CdsClient, cds_clients_from, from_environment, settings_error,
                                     token_from)
from tests.web_support import jwk_set
from dsl.errors import GroundworkError
from tests.helpers import example_paths
from tests.test_fhir import no_null_or_empty
from tests.web_support import (BASE, ISSUER, KID, PRIVATE, cds_headers, cds_jwt, client, example,
                               hook_request)

STAMP = {"outcomeTimestamp": "2026-09-14T10:00:00Z"}

SERVICE = "/cds-services/groundwork-plan"
STRONG = "Xq3-vT9_pL2mZ8wK7rN4"  # a server token that is not guessable (#18)
FEEDBACK = SERVICE + "/feedback"


def _cards(test_client, assessment: dict, where: str = "prefetch"):
    response = test_client.post(SERVICE, json=hook_request(assessment, where), headers=cds_headers(SERVICE))
    assert response.status_code == 200, response.text
    return response.json()["cards"]


def test_discovery_lists_the_patient_view_service(tmp_path):
    with client(tmp_path) as test_client:
        response = test_client.get("/cds-services", headers=cds_headers("/cds-services"))
    assert response.status_code == 200
    (service,) = response.json()["services"]
    assert service["hook"] == "patient-view" and service["id"] == "groundwork-plan"
    assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"
    assert service["prefetch"]["questionnaireResponse"].startswith(
        "QuestionnaireResponse?subject=Patient/{{context.patientId}}&questionnaire=https://")


@pytest.mark.parametrize("case", example_paths(), ids=lambda p: p.stem)
def test_cards_for_an_example_client_are_valid_and_name_their_rules(tmp_path, case):
    kb = knowledge_base.load()
    assessment = json.loads(case.read_text())
    with client(tmp_path) as test_client:
        cards = _cards(test_client, assessment)
        plan = test_client.get("/api/plans/1", headers={"Authorization": "Bearer " + test_client.app.state.settings.token}).json()["plan"]
    critical = [f for f in plan["flags"] if f["severity"] == "critical"]
    phase_cards = [c for c in cards if c.get("suggestions")]
    assert len(phase_cards) == len(plan["phases"])
    assert len(cards) == len(critical) + len(plan["phases"]) + bool(
        plan["deferred"] or plan["avoided"] or plan["not_suitable"])
    assert len({c["uuid"] for c in cards}) == len(cards)
    assert no_null_or_empty(cards) == []  # CDS Hooks forbids null and empty elements
    for card in cards:
        assert 0 < len(card["summary"]) <= SUMMARY_MAX
        assert card["indicator"] in ("info", "warning", "critical")
        label = card["source"]["label"]
        rule_id = label.split("Groundwork rule ", 1)[1].split(":", 1)[0]
        assert kb.rule(rule_id) is not None and kb.rule(rule_id).source in label
        assert "Not affiliated with the Neurosequential Network" in card["detail"]
    worst = {f["severity"] for f in plan["flags"]}
    expected = "critical" if "critical" in worst else "warning" if "warning" in worst else "info"
    assert {c["indicator"] for c in phase_cards} <= {expected}
    for card, phase in zip(phase_cards, plan["phases"]):
        assert phase["name"] in card["summary"]
        assert [s["label"].split(":")[0] for s in card["suggestions"]] == [
            f"Start {r['name']}" for r in phase["recommendations"]]
        for rec in phase["recommendations"]:  # the "because": rule and the client's values
            for reason in rec["because"]:
                assert f"Because rule `{reason['rule']}`" in card["detail"]
                for condition in reason["conditions"]:
                    assert f"client value **{condition['actual']}**" in card["detail"]
        assert {r["code"] for r in card["overrideReasons"]} >= {"client_declined", "other"}


def test_critical_flags_get_critical_cards(tmp_path):
    with client(tmp_path) as test_client:
        cards = _cards(test_client, example("child-in-crisis.json"))
    critical = [c for c in cards if c["summary"].startswith("Critical:")]
    assert critical and all(c["indicator"] == "critical" for c in critical)


def test_the_assessment_may_come_in_the_context(tmp_path):
    with client(tmp_path) as test_client:
        assert _cards(test_client, example(), where="context")


def test_every_cds_call_is_recorded_in_the_audit_store(tmp_path):
    with client(tmp_path) as test_client:
        _cards(test_client, example())
    with AuditStore.open(tmp_path / "audit.sqlite") as store:
        (record,) = store.records()
    assert record.kind == "assessment" and record.client_id == example()["client_id"]


def test_missing_assessment_is_one_info_card_and_invalid_is_400_with_the_full_path(tmp_path):
    bad = example()
    bad["ratings"][1]["value"] = 9
    with client(tmp_path) as test_client:
        missing = test_client.post(SERVICE, json=hook_request(example()) | {"prefetch": {}},
                                   headers=cds_headers(SERVICE))
        invalid = test_client.post(SERVICE, json=hook_request(bad), headers=cds_headers(SERVICE))
        wrong_hook = test_client.post(SERVICE, json=hook_request(example()) | {"hook": "order-select"},
                                      headers=cds_headers(SERVICE))
        unknown = test_client.post("/cds-services/nope", json=hook_request(example()),
                                   headers=cds_headers("/cds-services/nope"))
    (card,) = missing.json()["cards"]
    assert missing.status_code == 200 and card["indicator"] == "info"
    assert "questionnaire" in card["detail"] and "suggestions" not in card
    assert invalid.status_code == 400
    assert invalid.json()["errors"][0]["path"] == "prefetch.groundworkAssessment.ratings[1].value"
    assert wrong_hook.status_code == 400 and wrong_hook.json()["errors"][0]["path"] == "hook"
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["suggestions"] == ["groundwork-plan"]
    with AuditStore.open(tmp_path / "audit.sqlite") as store:  # only the JWT ids were kept
        assert store.records() == []


def _feedback(test_client, items):
    return test_client.post(FEEDBACK, json={"feedback": items}, headers=cds_headers(FEEDBACK))


def test_feedback_on_cards_is_recorded_with_override_reasons(tmp_path):
    with client(tmp_path) as test_client:
        cards = _cards(test_client, example())
        regulate = [c for c in cards if c.get("suggestions")][0]
        items = [{"card": regulate["uuid"], "outcome": "accepted",
                  "acceptedSuggestions": [{"id": regulate["suggestions"][1]["uuid"]}],
                  "outcomeTimestamp": "2026-09-14T10:00:00Z"}]
        held = [c for c in cards if not c.get("suggestions")]
        items += [{"card": c["uuid"], "outcome": "accepted"} | STAMP for c in held]
        response = _feedback(test_client, items)
        plan = test_client.get("/api/plans/1", headers={
            "Authorization": "Bearer " + test_client.app.state.settings.token}).json()["plan"]
    assert response.status_code == 200, response.text
    assert response.json()["not_recorded"] == [c["uuid"] for c in held]
    second = plan["phases"][0]["recommendations"][1]["intervention"]
    with AuditStore.open(tmp_path / "audit.sqlite") as store:
        (record,) = store.feedback_for(1)
    assert (record.intervention, record.outcome, record.reason) == (second, "accepted", None)


def test_an_overridden_card_records_each_of_its_recommendations(tmp_path):
    with client(tmp_path) as test_client:
        card = [c for c in _cards(test_client, example()) if c.get("suggestions")][0]
        response = _feedback(test_client, [{"card": card["uuid"], "outcome": "overridden",
                                            "overrideReason": {"reason": card["overrideReasons"][1],
                                                               "userComment": "PRIVATE"}} | STAMP])
    assert response.status_code == 200
    with AuditStore.open(tmp_path / "audit.sqlite") as store:
        records = store.feedback_for(1)
    assert len(records) == len(card["suggestions"]) == len(response.json()["recorded"])
    assert {(r.outcome, r.reason, r.comment) for r in records} == {("overridden", "client_declined", "PRIVATE")}


@pytest.mark.parametrize("change,path", [
    ("forged", "feedback[0].card"), ("unknown-record", "feedback[0].card"),
    ("unknown-reason", "feedback[0].overrideReason.reason.code"),
    ("no-timestamp", "feedback[0].outcomeTimestamp"), ("bad-timestamp", "feedback[0].outcomeTimestamp"),
    ("suggestion-as-card", "feedback[0].card"), ("other-card-suggestion", "feedback[0].acceptedSuggestions[0].id")])
def test_bad_card_feedback_is_refused_and_nothing_recorded(tmp_path, change, path):
    with client(tmp_path) as test_client:
        cards = [c for c in _cards(test_client, example()) if c.get("suggestions")]
        card = cards[0]
        item = {"card": card["uuid"], "outcome": "overridden",
                "overrideReason": {"reason": {"code": "client_declined",
                                              "system": "urn:groundwork:override-reason"}}} | STAMP
        if change == "forged":
            item["card"] = card["uuid"][:-1] + ("0" if card["uuid"][-1] != "0" else "1")
        elif change == "unknown-record":
            item["card"] = make_uuid(7, "0" * 64, 1)
        elif change == "unknown-reason":
            item["overrideReason"]["reason"]["code"] = "too_busy"
        elif change == "no-timestamp":
            item.pop("outcomeTimestamp")
        elif change == "bad-timestamp":
            item["outcomeTimestamp"] = "yesterday"
        elif change == "suggestion-as-card":
            item["card"] = card["suggestions"][0]["uuid"]
        else:
            item = {"card": card["uuid"], "outcome": "accepted",
                    "acceptedSuggestions": [{"id": cards[1]["suggestions"][0]["uuid"] if len(cards) > 1
                                             else make_uuid(1, "0" * 64, 2)}]} | STAMP
        response = _feedback(test_client, [item])
    assert response.status_code in (400, 404, 422)
    assert response.json()["errors"][0]["path"] == path
    with AuditStore.open(tmp_path / "audit.sqlite") as store:
        assert store.feedback_for(1) == []


@pytest.mark.parametrize("options,reason", [
    ({"issuer": "https://intruder.example"}, "not a configured CDS client"),
    ({"audience": BASE + "/cds-services/other"}, "audience (aud)"),
    ({"audience": "https://elsewhere.example" + SERVICE}, "audience (aud)"),
    ({"expires_in": -120}, "expired"),
    ({"key": ec.generate_private_key(ec.SECP384R1())}, "signature"),
    ({"kid": None}, "no kid"),
    ({"kid": "unpublished"}, "not in its issuer's JWK Set"),
    ({"expires_in": 3600}, "longer than 300 seconds"),
    ({"drop": ("jti",)}, "required claim"),
    ({"drop": ("exp",)}, "required claim"),
])
def test_jwt_refused(tmp_path, options, reason):
    with client(tmp_path) as test_client:
        response = test_client.post(SERVICE, json=hook_request(example()),
                                    headers=cds_headers(SERVICE, **options))
    assert response.status_code == 401
    assert reason in response.json()["errors"][0]["message"]


def test_a_jwt_is_good_for_one_call(tmp_path):
    token = cds_jwt("/cds-services", jti="once")
    with client(tmp_path) as test_client:
        first = test_client.get("/cds-services", headers={"Authorization": "Bearer " + token})
        again = test_client.get("/cds-services", headers={"Authorization": "Bearer " + token})
    assert first.status_code == 200 and again.status_code == 401
    assert "jti" in again.json()["errors"][0]["message"]


def test_unsigned_and_symmetric_tokens_are_refused(tmp_path):
    import jwt as pyjwt
    claims = {"iss": ISSUER, "aud": BASE + "/cds-services", "exp": 2**40, "iat": 2**40 - 60, "jti": "x"}
    unsigned = pyjwt.encode(claims, None, algorithm="none", headers={"kid": KID})
    hs256 = pyjwt.encode(claims, "s" * 40, algorithm="HS256", headers={"kid": KID})
    public_jwk = json.dumps(jwk_set((KID, PRIVATE))["keys"][0]).encode()
    forged = _hs256_by_hand(claims | {"jti": "f"}, public_jwk)  # HMAC keyed with the public key
    with client(tmp_path) as test_client:
        for token in (unsigned, hs256, forged, "not-a-jwt"):
            refused = test_client.get("/cds-services", headers={"Authorization": f"Bearer {token}"})
            assert refused.status_code == 401
    assert "asymmetric" in refused.json()["errors"][0]["message"] or token == "not-a-jwt"


def _hs256_by_hand(claims: dict, key: bytes) -> str:
    """The classic forgery: an HMAC keyed with the public key (PyJWT itself refuses to make one)."""
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    signing = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": KID}).encode()) + "." + \
        b64(json.dumps(claims).encode())
    return signing + "." + b64(hmac.new(key, signing.encode(), hashlib.sha256).digest())


def test_cds_clients_configuration(tmp_path):
    keys = jwk_set((KID, PRIVATE))
    clients = cds_clients_from({"GROUNDWORK_CDS_CLIENTS": json.dumps({ISSUER: {"jwks": keys}})})
    assert clients == {ISSUER: CdsClient(ISSUER, jwks=json.dumps(keys))}
    assert cds_clients_from({}) == {}
    secret = "s" * 40
    for text, fragment in (("{", "malformed JSON at line 1"), ("[]", "expected a JSON object"),
                           (json.dumps({ISSUER: {"secret": secret, "alg": "HS256"}}), "shared secrets"),
                           (json.dumps({ISSUER: {"public_key": "PEM", "alg": "ES384"}}), "shared secrets"),
                           (json.dumps({ISSUER: {}}), "exactly one of jwks_url"),
                           (json.dumps({ISSUER: {"jwks_url": "ftp://x"}}), "http(s) URL"),
                           (json.dumps({ISSUER: {"jwks_file": str(tmp_path / "none")}}), "not a readable"),
                           (json.dumps({ISSUER: {"jwks": {"k": 1}}}), "JWK Set"),
                           (json.dumps({ISSUER: {"jwks": keys, "max_lifetime": 0}}), "max_lifetime")):
        with pytest.raises(GroundworkError) as raised:
            cds_clients_from({"GROUNDWORK_CDS_CLIENTS": text})
        assert fragment in raised.value.render() and secret not in raised.value.render()


def test_cds_clients_from_a_file_need_the_public_url(tmp_path):
    keys, path = tmp_path / "jwks.json", tmp_path / "clients.json"
    keys.write_text(json.dumps(jwk_set((KID, PRIVATE))))
    path.write_text(json.dumps({ISSUER: {"jwks_file": str(keys), "max_lifetime": 120}}))
    env = {"GROUNDWORK_CDS_CLIENTS_FILE": str(path), "GROUNDWORK_TOKEN": STRONG}
    assert cds_clients_from(env)[ISSUER].max_lifetime == 120
    with pytest.raises(GroundworkError) as raised:  # the audience comes only from configuration
        from_environment(None, None, env)
    assert "GROUNDWORK_PUBLIC_URL" in raised.value.render()
    settings, _ = from_environment(None, None, env | {"GROUNDWORK_PUBLIC_URL": "https://cds.example"})
    assert settings.cds_clients[ISSUER].jwks_file == str(keys)
    with pytest.raises(GroundworkError):
        cds_clients_from({"GROUNDWORK_CDS_CLIENTS_FILE": str(tmp_path / "missing.json")})


def test_cds_hooks_are_off_without_clients_or_public_url(tmp_path):
    for options in ({"cds_clients": {}}, {"public_url": None}):
        with client(tmp_path, **options) as test_client:
            response = test_client.get("/cds-services", headers=cds_headers("/cds-services"))
        assert response.status_code == 401 and "not enabled" in response.json()["errors"][0]["message"]


def test_token_configuration():
    token, generated = token_from({})
    assert generated and len(token) >= 32
    assert token_from({"GROUNDWORK_TOKEN": STRONG}) == (STRONG, False)
    with pytest.raises(GroundworkError) as raised:
        token_from({"GROUNDWORK_TOKEN": "short"})
    assert "at least 16" in raised.value.render() and "short" not in raised.value.render().split(":", 1)[1]
    settings, _ = from_environment(None, None, {"GROUNDWORK_TOKEN": STRONG,
                                                "GROUNDWORK_PUBLIC_URL": "https://cds.example.org/"})
    assert settings.public_url == "https://cds.example.org" and settings.cors_origins == ()
    assert isinstance(settings_error("x", "y"), GroundworkError)


def test_summaries_are_cut_at_a_word_under_140_characters():
    from groundwork.web.cards import fit
    text = "Phase 1 of 3, regulate: " + ", ".join(f"activity number {n}" for n in range(20))
    cut = fit(text)
    assert len(cut) < 140 and cut.endswith("…")
    assert text.startswith(cut[:-1]) and text[len(cut) - 1] in " ,"  # the next character ends a word
    assert fit("short") == "short"
