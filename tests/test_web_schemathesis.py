"""Schemathesis generates requests from /openapi.json: no server error, whatever it sends.

Kept small (25 examples per operation, no deadline: requests run the engine). Every call carries
valid credentials so the generated bodies reach the code behind the authentication: the API token
for /api, a fresh CDS Hooks JWT (new jti, aud = the endpoint) for /cds-services. The app's audit
store is the test's own ($GROUNDWORK_DB, set per test by conftest.py); a plan is recorded first so
that /api/plans/1 exists.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from groundwork.web.app import create_app  # noqa: E402
from tests.web_support import AUTH, BASE, cds_headers, example_text  # noqa: E402
from tests.web_support import settings as web_settings  # noqa: E402

APP = create_app(web_settings(tmp_path=None, db=None))  # db None: the default store, $GROUNDWORK_DB
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(autouse=True)
def _one_plan_recorded():
    APP.state.contexts = type(APP.state.contexts)()  # a new store: forget plans of the last one
    with TestClient(APP, base_url=BASE) as client:
        assert client.post("/api/assessments", content=example_text(), headers=AUTH).status_code == 201


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error(case):
    path = case.formatted_path
    headers = cds_headers(path) if path.startswith("/cds-services") else dict(AUTH)
    case.call_and_validate(headers=headers, checks=[not_a_server_error])
