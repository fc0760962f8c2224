"""Strict input (issue #18): no coercion, no duplicate keys, bounded size — exit 2 / HTTP 4xx with
the place named, nothing written, never E399."""

from __future__ import annotations

import json
import time

import pytest

from tests.helpers import base_assessment, run_cli
from tests.web_support import AUTH, client, hook_request, cds_headers


def _assess(tmp_path, text: str | bytes):
    case = tmp_path / "case.json"
    if isinstance(text, bytes):
        case.write_bytes(text)
    else:
        case.write_text(text, encoding="utf-8")
    db = tmp_path / "audit.sqlite"
    result = run_cli("assess", "case.json", "--format", "json", cwd=tmp_path,
                     env={"GROUNDWORK_DB": str(db)})
    return result, db


def _refused(result, db, first: str):
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[0].startswith(first), result.stderr.splitlines()[0]
    assert "Traceback" not in result.stderr and "E399" not in result.stderr
    assert result.stdout == ""
    assert not db.exists(), "nothing is recorded for bad input"


def _with_dissociative(value) -> str:
    data = base_assessment()
    data["arousal"]["dissociative"] = value
    return json.dumps(data)


def _with_rating(value) -> str:
    data = base_assessment()
    data["ratings"][0]["value"] = value
    return json.dumps(data)


@pytest.mark.parametrize("text, first", [
    (_with_rating("6"), "case.json: ratings[0].value: must be a whole number (not text"),
    (_with_rating(True), "case.json: ratings[0].value: must be a whole number"),
    (_with_rating(1.5), "case.json: ratings[0].value: must be a whole number"),
    (_with_dissociative("true"), "case.json: arousal.dissociative: must be true or false"),
    (_with_dissociative(1), "case.json: arousal.dissociative: must be true or false"),
    (json.dumps(base_assessment(age={"years": "8"})), "case.json: age.years: must be a whole number"),
    (json.dumps(base_assessment(assessment_date=20261101)),
     "case.json: assessment_date: must be a date written YYYY-MM-DD"),
])
def test_a_number_or_boolean_in_the_wrong_form_is_not_coerced(tmp_path, text, first):
    _refused(*_assess(tmp_path, text), first)


def test_a_key_given_twice_is_refused_with_its_path(tmp_path):
    data = base_assessment()
    text = json.dumps(data).replace(
        '"arousal": ', '"arousal": {"baseline": "terror", "current": "terror", '
                       '"dissociative": true}, "arousal": ', 1)
    result, db = _assess(tmp_path, text)
    _refused(result, db, "case.json: arousal: this key is given twice in one object; keep one")


def test_nesting_a_thousand_deep_is_refused_at_its_line_and_column(tmp_path):
    text = '{"client_id": ' + "[" * 1000 + "]" * 1000 + "}"
    result, db = _assess(tmp_path, text)
    _refused(result, db, "case.json:1:46: error: E240: nested more than 32 levels deep")


def test_a_number_of_thousands_of_digits_is_refused_with_its_path(tmp_path):
    result, db = _assess(tmp_path, _with_rating(int("7" * 4300)))
    _refused(result, db, "case.json: ratings[0].value: a number of 4,300 characters; numbers here are at most 9,007,199,254,740,991")


def test_a_long_text_and_a_long_list_are_refused_with_their_paths(tmp_path):
    data = base_assessment(client_id="A" * 20_000)
    data["settings"] = ["home"] * 5000
    result, db = _assess(tmp_path, json.dumps(data))
    _refused(result, db, "case.json: ")
    assert "case.json: client_id: a text of 20,000 characters; at most 10,000" in result.stderr
    assert "case.json: settings: a list of 5,000 items; at most 2,000 are accepted" in result.stderr


def test_nan_is_not_json(tmp_path):
    _refused(*_assess(tmp_path, _with_rating(float("nan"))), "case.json: (file): malformed JSON: NaN is not JSON")


def test_a_50_mb_assessment_is_refused_quickly_without_reading_it(tmp_path):
    data = base_assessment()
    data["ratings"] = data["ratings"] * 20_000
    text = json.dumps(data)
    assert len(text) > 50_000_000
    started = time.monotonic()
    result, db = _assess(tmp_path, text)
    elapsed = time.monotonic() - started
    _refused(result, db, "case.json: (file): the input is ")
    assert len(result.stderr) < 1000
    assert elapsed < 5, elapsed


def test_at_most_twenty_errors_are_printed_then_a_count(tmp_path):
    data = base_assessment()
    data["ratings"] = [dict(r, value=7) for r in data["ratings"]] * 3
    assert len(data["ratings"]) > 40
    result, db = _assess(tmp_path, json.dumps(data))
    _refused(result, db, "case.json: ratings[")
    located = [line for line in result.stderr.splitlines() if line.startswith("case.json")]
    assert len(located) == 20
    assert result.stderr.rstrip().splitlines()[-1].startswith("... and ")
    assert "more errors (the first 20 are shown)" in result.stderr


def test_not_utf8_is_located(tmp_path):
    text = json.dumps(base_assessment()).encode().replace(b'"CLIN-01"', b'"CLIN-\xe9"')
    _refused(*_assess(tmp_path, text), "case.json:1:47: error: E201: not UTF-8 text (invalid continuation byte)")


# ---- batch: one bad line is that line's error, the others are assessed ----

def test_batch_reports_a_duplicate_key_on_its_line(tmp_path):
    good = json.dumps(base_assessment())
    bad = good.replace('"age": ', '"age": {"years": 3}, "age": ', 1)
    cases = tmp_path / "cases.jsonl"
    cases.write_text(good + "\n" + bad + "\n", encoding="utf-8")
    out = tmp_path / "results.jsonl"
    result = run_cli("batch", str(cases), "--out", str(out), cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["status"] for line in lines] == ["ok", "invalid"]
    assert lines[1]["errors"][0]["code"] == "E241"
    assert "E399" not in result.stdout + result.stderr


# ---- HTTP and CDS Hooks: 4xx naming the place, nothing recorded ----

def _records(tmp_path) -> int:
    import sqlite3
    db = tmp_path / "audit.sqlite"
    if not db.exists():
        return 0
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT count(*) FROM records").fetchone()[0]


@pytest.mark.parametrize("body, code, path", [
    (_with_rating("6"), "E200", "ratings[0].value"),
    (json.dumps(base_assessment()).replace('"arousal": ', '"arousal": {}, "arousal": ', 1),
     "E241", "arousal"),
    ('{"a": ' + "[" * 1000 + "]" * 1000 + "}", "E240", None),
    (_with_rating(int("9" * 4300)), "E240", "ratings[0].value"),
])
def test_the_api_refuses_what_the_cli_refuses(tmp_path, body, code, path):
    with client(tmp_path) as http:
        before = _records(tmp_path)
        response = http.post("/api/assessments", content=body,
                             headers=AUTH | {"Content-Type": "application/json"})
        assert response.status_code == 422, response.text
        first = response.json()["errors"][0]
        assert first["code"] == code
        if path is not None:
            assert first["path"] == path
        assert _records(tmp_path) == before


def test_cds_hooks_refuses_a_duplicate_key_with_400(tmp_path):
    path = "/cds-services/groundwork-plan"
    body = json.dumps(hook_request(base_assessment()))
    body = body.replace('"hook": ', '"hook": "order-select", "hook": ', 1)
    with client(tmp_path) as http:
        response = http.post(path, content=body,
                             headers=cds_headers(path) | {"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["code"] == "E241"
    assert _records(tmp_path) == 0


# ---- the knowledge base's own files: rule files, the instrument, scenarios ----

def _kb_with(tmp_path, rules: str = ""):
    from tests.kbfactory import make_kb
    return make_kb(tmp_path / "kb", rules)


def _lint(root):
    """`groundwork assess` with this knowledge base: exit 2, nothing written, the lines printed."""
    from tests.helpers import EXAMPLES
    db = root.parent / "audit.sqlite"
    result = run_cli("assess", str(EXAMPLES / "school-age-child.json"), "--kb", str(root),
                     env={"GROUNDWORK_DB": str(db)})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "E399" not in result.stdout + result.stderr
    assert result.stdout == "" and not db.exists()
    return result.stderr.splitlines()


def test_a_309_digit_priority_is_a_located_range_error(tmp_path):
    from tests.kbfactory import rule
    root = _kb_with(tmp_path, rule("huge", "brainstem.band >= moderate",
                                   "recommend walk-and-talk priority " + "9" * 309))
    lines = _lint(root)
    assert "E190: a priority must be between 0 and 1000" in lines[0], lines


def test_a_dose_multiplier_out_of_range_is_refused(tmp_path):
    from dsl.errors import GroundworkError
    from dsl.parser import parse_text
    with pytest.raises(GroundworkError) as raised:
        parse_text("rule r {\n  when brainstem.band >= mild\n  then\n"
                   "    scale dose of regulate work minutes by 1000 frequency by 2\n}\n", "r.gw")
    first = raised.value.first
    assert (first.code, first.line, first.column) == ("E190", 4, 44)
    assert first.message == "a dose multiplier must be between 0 and 100"


def test_an_instrument_that_is_not_utf8_is_located(tmp_path):
    root = _kb_with(tmp_path)
    instrument = root / "instrument.toml"
    text = instrument.read_bytes()
    instrument.write_bytes(b"# r\xe9sum\xe9\n" + text)
    lines = _lint(root)
    assert any("instrument.toml:1:4: error: E170: not UTF-8 text" in line for line in lines), lines


@pytest.mark.parametrize("tail, message", [
    ("\nhuge = " + "1" * 5000 + "\n", "E170: malformed TOML: a number too long"),
    ("\ndeep = " + "[" * 2000 + "]" * 2000 + "\n", "E170: malformed TOML: nested too deeply"),
])
def test_an_instrument_with_a_huge_number_or_deep_nesting_is_malformed(tmp_path, tail, message):
    root = _kb_with(tmp_path)
    instrument = root / "instrument.toml"
    instrument.write_text(tail + instrument.read_text(encoding="utf-8"), encoding="utf-8")
    lines = _lint(root)
    assert any(message in line for line in lines), lines


def test_a_scenario_file_that_is_not_utf8_is_located(tmp_path):
    root = _kb_with(tmp_path)
    (root / "scenarios").mkdir()
    (root / "scenarios" / "mine.scenario.toml").write_bytes(
        b'[[scenario]]\nname = "caf\xe9"\nexpect = { no_action = true }\n')
    result = run_cli("test", str(root))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"{root}/scenarios/mine.scenario.toml:2:12: error: E500: "
                                    "not UTF-8 text"), result.stderr


def test_standard_input_is_read_only_up_to_the_limit(tmp_path):
    db = tmp_path / "audit.sqlite"
    big = json.dumps(base_assessment()) + " " * 2_000_000
    result = run_cli("assess", "-", stdin=big, env={"GROUNDWORK_DB": str(db)}, cwd=tmp_path)
    _refused(result, db, "<stdin>: (file): the input is more than 1,000,000 bytes")


@pytest.mark.parametrize("profile, where", [
    ('ratings = { sleep-onset = "2" }', "scenario[0].profile.ratings.sleep-onset"),
    ("arousal = { dissociative = 1 }", "scenario[0].profile.arousal.dissociative"),
    ("age = { years = 200 }", "scenario[0].profile.age"),
])
def test_a_scenario_number_or_boolean_is_not_coerced(tmp_path, profile, where):
    root = _kb_with(tmp_path)
    (root / "scenarios").mkdir()
    (root / "scenarios" / "mine.scenario.toml").write_text(
        f'[[scenario]]\nname = "x"\nprofile = {{ {profile} }}\nexpect = {{ no_action = true }}\n',
        encoding="utf-8")
    result = run_cli("test", str(root))
    assert result.returncode == 2 and result.stdout == "", result.stdout + result.stderr
    assert result.stderr.startswith(f"{root}/scenarios/mine.scenario.toml: {where}"), result.stderr
