"""Helpers for the web tests: a server per test (TestClient), the token, CDS Hooks JWTs."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from groundwork.web.app import create_app
from groundwork.web.settings import CdsClient, Settings
from tests.helpers import EXAMPLES

TOKEN = "test-token-Q7vX2mK9pL4wZ8rT3nB6yH1c"  # strong: a guessable token is refused (#18)
ISSUER = "https://ehr.example.org"
BASE = "http://testserver"  # TestClient's base URL, and the public URL the JWT's aud names
AUTH = {"Authorization": f"Bearer {TOKEN}"}
KID = "ehr-key-1"
PRIVATE = ec.generate_private_key(ec.SECP384R1())  # the EHR's signing key (ES384, CDS Hooks')


def jwk_set(*keys: tuple[str, object]) -> dict:
    """A JWK Set publishing the public half of each (kid, private key)."""
    out = []
    for kid, private in keys:
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
        out.append(jwk | {"kid": kid, "use": "sig"})
    return {"keys": out}


def cds_client(issuer: str = ISSUER, **options) -> CdsClient:
    if not {"jwks_url", "jwks_file", "jwks"} & set(options):
        options["jwks"] = json.dumps(jwk_set((KID, PRIVATE)))
    return CdsClient(issuer, **options)


def settings(tmp_path: Path | None, **overrides) -> Settings:
    values = dict(token=TOKEN, db=tmp_path / "audit.sqlite" if tmp_path else None, public_url=BASE,
                  cds_clients={ISSUER: cds_client()})
    values.update(overrides)
    return Settings(**values)


def client(tmp_path: Path, **overrides) -> TestClient:
    return TestClient(create_app(settings(tmp_path, **overrides)))


def example(name: str = "school-age-child.json") -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def example_text(name: str = "school-age-child.json") -> str:
    return (EXAMPLES / name).read_text(encoding="utf-8")


def cds_jwt(path: str, issuer: str = ISSUER, key=PRIVATE, algorithm: str = "ES384",
            audience: str | None = None, expires_in: int = 300, jti: str | None = None,
            drop: tuple[str, ...] = (), kid: str | None = KID) -> str:
    """A CDS Hooks client's JWT for a call to `path` (aud: the endpoint's URL), signed by `key`
    and naming `kid` in its header (None: no kid)."""
    now = int(time.time())
    claims = {"iss": issuer, "aud": audience or BASE + path, "exp": now + expires_in, "iat": now,
              "jti": jti or str(uuid.uuid4()), "sub": "ehr-client"}
    for name in drop:
        claims.pop(name)
    headers = {"kid": kid} if kid else None
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


def cds_headers(path: str, **options) -> dict:
    return {"Authorization": "Bearer " + cds_jwt(path, **options)}


def hook_request(assessment: dict, where: str = "prefetch") -> dict:
    body = {"hook": "patient-view", "hookInstance": str(uuid.uuid4()),
            "context": {"userId": "Practitioner/example", "patientId": "example"}}
    if where == "prefetch":
        body["prefetch"] = {"groundworkAssessment": assessment}
    else:
        body["context"]["groundworkAssessment"] = assessment
    return body


def assessed(test_client: TestClient, name: str = "school-age-child.json") -> dict:
    response = test_client.post("/api/assessments", content=example_text(name), headers=AUTH)
    assert response.status_code == 201, response.text
    return response.json()


def records_in(tmp_path: Path) -> int:
    """How many audit records the test's store holds (0 when there is no store). Signing in
    creates the store (sessions live in it), so "nothing was written" means no records."""
    from engine.audit.store import AuditStore

    path = tmp_path / "audit.sqlite"
    if not path.exists():
        return 0
    with AuditStore.open(path) as store:
        return store.head()[0]
