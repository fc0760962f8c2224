"""The page without a browser: the form generated from the instrument, the form -> assessment
conversion, form errors linked to their controls, security headers, the printable report's CSP,
request size limit, CORS off, and nothing from a request in the logs."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re

import pytest
from starlette.datastructures import FormData

import knowledge_base
from groundwork.web import forms, plans
from groundwork.web.logs import AccessFormatter
from groundwork.web.middleware import CSP
from tests.helpers import example_paths
from tests.web_support import AUTH, TOKEN, assessed, client, example, example_text, records_in


def _form_data(case: dict) -> FormData:
    """The fields a browser posts when the form is filled with `case`."""
    pairs = [(k, case[k]) for k in ("client_id", "assessor_id", "assessment_date")]
    pairs += [("age_years", str(case["age"]["years"])), ("age_months", str(case["age"].get("months", 0)))]
    for r in case["ratings"]:
        pairs += [(f"rating-{r['item']}-value", "unknown" if r["value"] is None else str(r["value"])),
                  (f"rating-{r['item']}-informant", r["informant"])]
    pairs += [("arousal_baseline", case["arousal"]["baseline"]), ("arousal_current", case["arousal"]["current"])]
    if case["arousal"].get("dissociative"):
        pairs.append(("arousal_dissociative", "yes"))
    for h in case.get("history", []):
        pairs += [(f"history-{h['period']}-adversity", h["adversity"]),
                  (f"history-{h['period']}-relational_poverty", h["relational_poverty"])]
    pairs += [(f"relational_{k}", v) for k, v in case["relational_health"].items()]
    for row, adult in enumerate(case.get("caregivers", []), 1):
        pairs += [(f"caregiver-{row}-id", adult["id"]), (f"caregiver-{row}-role", adult["role"]),
                  (f"caregiver-{row}-regulation", adult["regulation"])]
        pairs += [(f"caregiver-{row}-settings", s) for s in adult["settings"]]
    for key in ("safeguarding", "sensitivities", "settings"):
        pairs += [(key, value) for value in case.get(key, [])]
    pairs += [(f"touch_{k}", value) for k, value in case.get("touch", {}).items()]
    pairs += [(f"touch_policy-{t['setting']}", t["policy"]) for t in case.get("touch_policies", [])]
    pairs += [(f"suspected-{s['concern']}", s["suspected"]) for s in case.get("suspected_harm", [])]
    if "safety_review" in case:
        pairs += [("safety_review_date", case["safety_review"]["date"]),
                  ("safety_review_evocative_work", case["safety_review"]["evocative_work"])]
    screen = case.get("trauma_screen", {})
    pairs += [("trauma_screen_result", screen.get("result", "not_done"))]
    pairs += [("trauma_screen_screen", screen["screen"])] if screen.get("screen") else []
    pairs += [("established", value) for value in case.get("established", [])]
    return FormData(pairs)


def _posted(pairs) -> dict:
    """Form pairs as httpx posts them: a dict of lists for repeated fields."""
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def _normalised(case: dict) -> dict:
    """An example as the form gives it back: every item due at the client's age rated (or
    unknown) in instrument order, periods left unknown left out, months given, and the safety
    fields with their defaults."""
    kb = knowledge_base.load()
    by_item = {r["item"]: r for r in case["ratings"]}
    out = {k: v for k, v in case.items() if k != "schema_version"}
    age = case["age"]["years"] * 12 + case["age"].get("months", 0)
    out["ratings"] = [by_item.get(i.id, {"item": i.id, "value": None, "informant": ""})
                      for i in kb.instrument.items if i.due_at(age)]
    out["history"] = [h for h in case.get("history", [])
                      if (h["adversity"], h["relational_poverty"]) != ("unknown", "unknown")]
    out["age"] = {"months": 0, **case["age"]}
    out["arousal"] = {"dissociative": False, **case["arousal"]}
    for key in ("caregivers", "safeguarding", "sensitivities", "touch_policies", "suspected_harm",
                "established"):
        out.setdefault(key, [])
    out["touch"] = {"client_assent": "unknown", "carer_consent": "unknown", **case.get("touch", {})}
    out["trauma_screen"] = {"result": "not_done", "screen": None, **case.get("trauma_screen", {})}
    return out


@pytest.mark.parametrize("case", example_paths(), ids=lambda p: p.stem)
def test_the_form_gives_back_the_example_assessment(case):
    data = json.loads(case.read_text())
    built = forms.from_form(_form_data(data), knowledge_base.load())
    assert built.raw == _normalised(data)


def test_form_errors_link_to_the_control_that_holds_the_field():
    built = forms.from_form(_form_data(example()), knowledge_base.load())
    first_item = knowledge_base.load().instrument.items[0].id
    assert built.anchor("ratings[0].value") == f"rating-{first_item}-value"
    assert built.anchor("caregivers[1].settings[0]") == "caregiver-2-settings-home"
    assert built.anchor("age.years") == "age_years"
    assert built.anchor("relational_health") == "relational_family"
    assert built.anchor("nothing.here") is None


def test_the_form_is_generated_from_the_instrument(tmp_path):
    kb = knowledge_base.load()
    with client(tmp_path) as test_client:
        test_client.post("/login", data={"token": TOKEN})
        page = test_client.get("/assess").text
    for item in kb.instrument.items:
        assert f'<label for="rating-{item.id}-value" class="item-text">{item.text}</label>'.replace(
            "'", "&#39;") in page
    for point in kb.instrument.scale:
        assert point.label.replace("'", "&#39;") in page
    legends = re.findall(r'<fieldset class="region">\s*<legend>(\w+)', page)
    assert legends == [r.name.capitalize() for r in sorted(kb.regions, key=lambda r: r.order)]
    for label in ("Usual (baseline) state", "Developmental history", "Relational health now",
                  "Trusted adults", "Current safeguarding concerns", "Sensitivities and conditions",
                  "Assessment JSON", "unknown"):
        assert label in page
    ids = re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', page)
    labelled = set(re.findall(r'<label[^>]* for="([^"]+)"', page))
    assert [i for i in ids if i not in labelled] == []  # every control has a label


def test_posting_the_form_records_a_plan_and_shows_it(tmp_path):
    with client(tmp_path) as test_client:
        test_client.post("/login", data={"token": TOKEN})
        csrf = re.search(r'name="csrf" value="([^"]+)"', test_client.get("/assess").text).group(1)
        response = test_client.post("/assess", follow_redirects=False, data=_posted(
            list(_form_data(example()).multi_items()) + [("csrf", csrf)]))
        assert response.status_code == 303 and response.headers["location"] == "/plans/1"
        page = test_client.get("/plans/1").text
        report = test_client.get("/plans/1/report")
    assert 'id="region-map"' in page and "Phase 1: Regulate" in page
    assert "Not affiliated with the Neurosequential Network" in page
    assert 'href="/plans/1/report"' in page and report.status_code == 200
    assert "<script" not in report.text


def test_form_errors_are_listed_with_links_and_the_values_kept(tmp_path):
    case = example()
    case["client_id"] = "has space"
    with client(tmp_path) as test_client:
        test_client.post("/login", data={"token": TOKEN})
        csrf = re.search(r'name="csrf" value="([^"]+)"', test_client.get("/assess").text).group(1)
        data = [p for p in _form_data(case).multi_items() if p[0] != "arousal_current"]
        response = test_client.post("/assess", data=_posted(data + [("csrf", csrf)]))
    assert response.status_code == 422
    assert '<a href="#client_id"><code>client_id</code>' in response.text
    assert '<a href="#arousal_current"><code>arousal.current</code>' in response.text
    assert 'value="has space"' in response.text  # kept for correcting
    assert records_in(tmp_path) == 0


def test_json_upload_with_an_error_names_the_line(tmp_path):
    with client(tmp_path) as test_client:
        test_client.post("/login", data={"token": TOKEN})
        csrf = re.search(r'name="csrf" value="([^"]+)"', test_client.get("/assess").text).group(1)
        response = test_client.post("/assess", data={"csrf": csrf},
                                    files={"case_file": ("case.json", b'{"a": ', "application/json")})
        good = test_client.post("/assess", data={"csrf": csrf}, follow_redirects=False,
                                files={"case_file": ("case.json", example_text().encode(), "application/json")})
    assert response.status_code == 422 and "line 1" in response.text and "malformed JSON" in response.text
    assert good.status_code == 303


def test_a_form_post_without_the_csrf_token_is_refused(tmp_path):
    with client(tmp_path) as test_client:
        test_client.post("/login", data={"token": TOKEN})
        response = test_client.post("/assess", data=_posted(_form_data(example()).multi_items()))
    assert response.status_code == 403 and records_in(tmp_path) == 0


def test_security_headers_on_pages_and_api(tmp_path):
    with client(tmp_path) as test_client:
        for response in (test_client.get("/login"), test_client.get("/healthz"),
                         test_client.get("/api/knowledge-base", headers=AUTH)):
            headers = response.headers
            assert headers["content-security-policy"] == CSP
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "no-referrer"
            assert headers["cache-control"] == "no-store"
    assert "unsafe-inline" not in CSP and "frame-ancestors 'none'" in CSP and "script-src 'self'" in CSP


def test_pages_have_no_inline_script_or_style(tmp_path):
    with client(tmp_path) as test_client:
        test_client.post("/login", data={"token": TOKEN})
        assessed(test_client)
        for path in ("/login", "/assess", "/plans/1"):
            page = test_client.get(path).text
            assert "<style" not in page and " style=" not in page and " on" + "click=" not in page
            assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/app.js" defer>']


def test_the_printable_report_allows_only_its_own_style(tmp_path):
    with client(tmp_path) as test_client:
        test_client.post("/login", data={"token": TOKEN})
        assessed(test_client)
        report = test_client.get("/plans/1/report")
    style = re.search(r"<style>(.*?)</style>", report.text, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    policy = report.headers["content-security-policy"]
    assert f"style-src 'sha256-{digest}'" in policy and "script-src" not in policy
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy


def test_request_size_limit(tmp_path):
    with client(tmp_path, max_body=1000) as test_client:
        declared = test_client.post("/api/assessments", content=b"x" * 1001, headers=AUTH)
        chunked = test_client.post("/api/assessments", headers=AUTH,
                                   content=(b"x" * 400 for _ in range(4)))
        chunked_json = test_client.post("/api/plans/1/feedback", headers=AUTH | {
            "Content-Type": "application/json"}, content=(b" " * 400 for _ in range(4)))
        small_chunked = test_client.post("/api/assessments", headers=AUTH,
                                         content=(part for part in (b"[1,", b" 2]")))
    assert declared.status_code == chunked.status_code == chunked_json.status_code == 413
    assert small_chunked.status_code == 422  # read in full and handed on
    assert declared.json()["errors"][0]["code"] == "E802"


def test_cors_is_off_by_default_and_on_only_for_configured_origins(tmp_path):
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    with client(tmp_path) as test_client:
        response = test_client.options("/api/assessments", headers=preflight)
        assert "access-control-allow-origin" not in response.headers
    with client(tmp_path, cors_origins=("https://ehr.example",)) as test_client:
        allowed = test_client.options("/api/assessments", headers=preflight | {"Origin": "https://ehr.example"})
        other = test_client.options("/api/assessments", headers=preflight)
    assert allowed.headers["access-control-allow-origin"] == "https://ehr.example"
    assert "access-control-allow-origin" not in other.headers


def test_an_unexpected_error_is_a_500_that_logs_nothing_from_the_request(tmp_path, monkeypatch, caplog):
    def broken(state, text, display, actor=None):
        raise ValueError("SECRET-CASE-TEXT " + text[:50])
    monkeypatch.setattr(plans, "assess_and_record", broken)
    caplog.set_level(logging.DEBUG)
    case = example()
    case["client_id"] = "SECRET-CLIENT"
    with client(tmp_path) as test_client:
        response = test_client.post("/api/assessments", json=case, headers=AUTH)
    assert response.status_code == 500 and response.json()["errors"][0]["code"] == "E399"
    assert "SECRET" not in response.text and "SECRET" not in caplog.text
    assert "ValueError" in caplog.text


def test_nothing_a_request_carried_reaches_the_logs(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    case = example()
    case["client_id"] = "SECRET-CLIENT"
    with client(tmp_path) as test_client:
        plan = test_client.post("/api/assessments", json=case, headers=AUTH).json()
        rec = plan["plan"]["phases"][0]["recommendations"][0]["intervention"]
        test_client.post("/api/plans/1/feedback", headers=AUTH, json={
            "intervention": rec, "outcome": "overridden", "reason": "other", "comment": "SECRET-COMMENT"})
        test_client.post("/api/assessments", json=case | {"age": {"years": "SECRET-AGE"}}, headers=AUTH)
    assert "SECRET" not in caplog.text and TOKEN not in caplog.text


def test_access_log_lines_have_no_query_string():
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/api/plans/1?client=SECRET", "1.1", 200), None)
    line = AccessFormatter("%(message)s").format(record)
    assert line == "GET /api/plans/1 200"
