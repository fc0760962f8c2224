"""Outcome events, progress and the program report over HTTP and on the signed-in pages: recorded
in the chain, 422 naming the field with nothing written, no inline script or style on the pages."""

from __future__ import annotations

import json
import re

import pytest

import knowledge_base
from engine.synthetic.agency import AgencyShape, fill
from engine.audit.store import AuditStore
from tests.audit_support import FIXTURES
from tests.web_support import AUTH, TOKEN, client

EVENT = {"client_id": "C00001", "event": "restraint", "date": "2025-01-02", "setting": "home",
         "code": "INC-7"}


@pytest.fixture
def agency(tmp_path):
    with AuditStore.open(tmp_path / "audit.sqlite", mode="create") as store:
        fill(store, knowledge_base.load(None), AgencyShape(clients=3, seed=4))
    return tmp_path


def _head(tmp_path) -> int:
    with AuditStore.open(tmp_path / "audit.sqlite") as store:
        return store.head()[0]


def test_an_event_and_an_exposure_are_recorded_through_the_api(agency):
    before = _head(agency)
    with client(agency) as api:
        made = api.post("/api/outcomes", json=EVENT, headers=AUTH)
        period = api.post("/api/exposures", json={"client_id": "NEW-1", "setting": "home",
                                                  "start": "2025-01-01", "end": "2025-01-31"},
                          headers=AUTH)
    assert made.status_code == 201 and made.json()["audit_id"] == before + 1
    assert period.status_code == 201 and period.json()["audit_id"] == before + 2
    with AuditStore.open(agency / "audit.sqlite") as store:
        assert store.get(before + 1).input["code"] == "INC-7"
        assert store.get(before + 2).input["days"] == 31


@pytest.mark.parametrize("change, path, code", [
    ({"event": "fight"}, "event", "E200"),
    ({"client_id": "Jane Doe"}, "client_id", "E200"),
    ({"code": "she hit him"}, "code", "E200"),
    ({"date": "2999-01-01"}, "(body)", "E200"),
    ({"setting": "garden"}, "setting", "E200"),
    ({"note": "free text"}, "note", "E200"),
])
def test_a_bad_event_is_422_naming_the_field_and_nothing_is_written(agency, change, path, code):
    before = _head(agency)
    with client(agency) as api:
        response = api.post("/api/outcomes", json=EVENT | change, headers=AUTH)
    assert response.status_code == 422
    entry = response.json()["errors"][0]
    assert (entry["path"], entry["code"]) == (path, code)
    assert "Jane" not in response.text and "she hit" not in response.text
    assert _head(agency) == before


def test_an_overlapping_exposure_is_422_and_unauthenticated_calls_401(agency):
    before = _head(agency)
    with client(agency) as api:
        overlap = api.post("/api/exposures", json={"client_id": "C00001", "setting": "home",
                                                   "start": "2024-06-01", "end": "2024-06-05"},
                           headers=AUTH)
        anonymous = api.post("/api/outcomes", json=EVENT)
    assert overlap.status_code == 422 and overlap.json()["errors"][0]["code"] == "E736"
    assert anonymous.status_code == 401
    assert _head(agency) == before


def test_progress_and_program_report_as_json(agency):
    with client(agency) as api:
        progress = api.get("/api/clients/C00002/progress", headers=AUTH)
        unknown = api.get("/api/clients/C09999/progress", headers=AUTH)
        report = api.get("/api/program/report", params={"from": "2024-06-01", "setting": "home"},
                         headers=AUTH)
        bad = api.get("/api/program/report", params={"from": "2024-02-30"}, headers=AUTH)
        wrong_way = api.get("/api/program/report", params={"from": "2025-01-01", "to": "2024-01-01"},
                            headers=AUTH)
    assert progress.status_code == 200 and progress.json()["client_id"] == "C00002"
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["code"] == "E714"
    data = report.json()
    assert report.status_code == 200 and data["period_from"] == "2024-06-01" and data["setting"] == "home"
    assert data["caveat"].startswith("Observational, uncontrolled")
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "from"
    assert wrong_way.status_code == 422 and wrong_way.json()["errors"][0]["path"] == "to"


def _signed_in(api):
    api.post("/login", data={"token": TOKEN})
    return re.search(r'name="csrf" value="([^"]+)"', api.get("/outcomes").text).group(1)


def test_the_pages_need_a_session_and_have_no_inline_script_or_style(agency):
    with client(agency) as api:
        assert api.get("/program", follow_redirects=False).headers["location"] == "/login"
        _signed_in(api)
        pages = {path: api.get(path) for path in ("/program", "/program?setting=home",
                                                  "/clients/C00001/progress", "/outcomes")}
    for path, page in pages.items():
        assert page.status_code == 200, path
        assert "<style" not in page.text and " style=" not in page.text
        assert re.findall(r"<script[^>]*>", page.text) == ['<script src="/static/app.js" defer>']
    assert pages["/program"].text.count("<svg") == 2
    assert "bed-days (denominator" in pages["/program"].text
    assert 'class="region-map"' in pages["/clients/C00001/progress"].text


def test_the_form_records_an_event_or_lists_what_is_wrong_and_writes_nothing(agency):
    before = _head(agency)
    with client(agency) as api:
        csrf = _signed_in(api)
        bad = api.post("/outcomes", data={"csrf": csrf, "kind": "outcome", "client_id": "C00001",
                                          "event": "restraint", "date": "2025-01-02",
                                          "setting": "home", "code": "a b"})
        assert bad.status_code == 422 and "Nothing was recorded" in bad.text
        assert "<code>code</code>" in bad.text and _head(agency) == before
        stale = api.post("/outcomes", data={"csrf": "stale", "kind": "outcome", **EVENT})
        assert stale.status_code == 403 and _head(agency) == before
        good = api.post("/outcomes", follow_redirects=False, data={"csrf": csrf, "kind": "outcome",
                                                                   **EVENT})
        assert good.status_code == 303 and good.headers["location"] == f"/outcomes?recorded={before + 1}"
        exposure = api.post("/outcomes", follow_redirects=False, data={
            "csrf": csrf, "kind": "exposure", "client_id": "NEW-2", "setting": "residential",
            "start": "2025-02-01", "end": "2025-02-28"})
        assert exposure.status_code == 303
        assert f"Recorded as audit record {before + 1}" in api.get(good.headers["location"]).text
    assert _head(agency) == before + 2


def test_an_assessment_naming_its_previous_one_over_http_and_its_explanations(tmp_path):
    first = json.loads((FIXTURES / "client-a-first.json").read_text())
    review = json.loads((FIXTURES / "client-a-review.json").read_text()) | {"previous_record": 1}
    with client(tmp_path) as api:
        assert api.post("/api/assessments", json=first, headers=AUTH).status_code == 201
        wrong = api.post("/api/assessments", json=review | {"previous_record": 5}, headers=AUTH)
        assert wrong.status_code == 422 and wrong.json()["errors"][0]["path"] == "previous_record"
        assert _head(tmp_path) == 1
        made = api.post("/api/assessments", json=review, headers=AUTH)
        assert made.status_code == 201
        since = made.json()["plan"]["since_previous"]
        assert since["record_id"] == 1 and since["released"]
        item = made.json()["plan"]["phases"][0]["recommendations"][0]["intervention"]
        why = api.get(f"/api/plans/2/why/{item}", headers=AUTH)
        assert why.status_code == 200, why.text  # the stored plan, since_previous included, is rebuilt
