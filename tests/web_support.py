"""Helpers for the web tests: a server per test (TestClient), the token, CDS Hooks JWTs."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import jwt
from fastapi.testclient import TestClient

from groundwork.web.app import create_app
from groundwork.web.settings import CdsClient, Settings
from tests.helpers import EXAMPLES

TOKEN = "test-token-" + "x" * 24
ISSUER = "https://ehr.example.org"
SECRET = "s" * 40
BASE = "http://testserver"  # TestClient's base URL, and the public URL the JWT's aud names
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def settings(tmp_path: Path | None, **overrides) -> Settings:
    values = dict(token=TOKEN, db=tmp_path / "audit.sqlite" if tmp_path else None, public_url=BASE,
                  cds_clients={ISSUER: CdsClient(ISSUER, SECRET, "HS256")})
    values.update(overrides)
    return Settings(**values)


def client(tmp_path: Path, **overrides) -> TestClient:
    return TestClient(create_app(settings(tmp_path, **overrides)))


def example(name: str = "school-age-child.json") -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def example_text(name: str = "school-age-child.json") -> str:
    return (EXAMPLES / name).read_text(encoding="utf-8")


def cds_jwt(path: str, issuer: str = ISSUER, key: str = SECRET, algorithm: str = "HS256",
            audience: str | None = None, expires_in: int = 300, jti: str | None = None,
            drop: tuple[str, ...] = ()) -> str:
    """A CDS Hooks client's JWT for a call to `path` (aud: the endpoint's URL)."""
    now = int(time.time())
    claims = {"iss": issuer, "aud": audience or BASE + path, "exp": now + expires_in, "iat": now,
              "jti": jti or str(uuid.uuid4()), "sub": "ehr-client"}
    for name in drop:
        claims.pop(name)
    return jwt.encode(claims, key, algorithm=algorithm)


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
