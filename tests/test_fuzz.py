"""A bounded fuzz of what users type (issue #18): assessments, rule files, scenario files and HTTP
bodies, mutated a few hundred times each with a fixed seed. Whatever the mutant, the CLI exits 0,
1 or 2 (never 3, never E399, never a traceback) and the server answers below 500.

The CLI runs in this process through its own entry point (`groundwork.cli.main`, the same error
boundary a user's shell meets), so a few hundred mutants take seconds, not minutes.
"""

from __future__ import annotations

import json
import random

import pytest

from tests.helpers import CORE_KB, EXAMPLES, run_here as run
from tests.kbfactory import make_kb, rule

MUTANTS = 300
# Pieces that broke the reader before: text and booleans for numbers, duplicate keys, deep
# nesting, numbers of thousands of digits, NaN, surrogates, long texts.
TOKENS = ['"6"', "true", "false", "null", "[", "]", "{", "}", ",", ":", '"', "-", "1e999", "NaN",
          "9" * 400, "0.5", "-1", '"\\ud800"', '"arousal": {}, ', "[" * 200, '"' + "a" * 300 + '"',
          "\\", "\u00e9", "\x00", "\n"]
TOML_TOKENS = ["=", "[", "]", "[[scenario]]", "{", "}", '"', "'", "9" * 5000, "-1", "true", "nan",
               "inf", "1979-05-27", "\\u00e9", "\n", "#", ",", ".", "[" * 300, "= { a = 1 }"]
GW_TOKENS = ["{", "}", "(", ")", '"', "9" * 400, "1.5", "0", "-", "when", "then", "and", "or",
             "not", "rule", "priority", "recommend", ">=", "between", "\n", "#", "//",
             "brainstem.band", "\u00e9", "\x00", "minutes", "per", "scale dose of"]


def mutate(text: str, tokens: list[str], rng: random.Random) -> str:
    """One to three edits: insert a token, delete a span, duplicate a span, truncate."""
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(text) + 1)
        action = rng.random()
        if action < 0.45:
            text = text[:at] + rng.choice(tokens) + text[at:]
        elif action < 0.7:
            text = text[:at] + text[at + rng.randint(1, 40):]
        elif action < 0.9:
            span = text[at:at + rng.randint(1, 120)]
            text = text[:at] + span + text[at:]
        else:
            text = text[:at]
    return text


def _json_value(rng: random.Random, depth: int = 0):
    choices = [lambda: None, lambda: True, lambda: "6", lambda: 7, lambda: 1.5,
               lambda: "x" * rng.randint(0, 3), lambda: [0] * rng.randint(0, 5),
               lambda: [_json_value(rng, depth + 1)], lambda: {"k": _json_value(rng, depth + 1)}]
    return rng.choice(choices if depth < 2 else choices[:7])()


def mutate_value(document, rng: random.Random):
    """Replace, remove or add one field somewhere in a parsed document."""
    places = []

    def walk(value):
        if isinstance(value, dict):
            places.extend((value, key) for key in value)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            places.extend((value, index) for index in range(len(value)))
            for item in value:
                walk(item)
    walk(document)
    parent, key = rng.choice(places)
    action = rng.random()
    if action < 0.6:
        parent[key] = _json_value(rng)
    elif action < 0.8:
        del parent[key]
    elif isinstance(parent, dict):
        parent["extra"] = _json_value(rng)
    else:
        parent.append(_json_value(rng))
    return document


def _bytes_of(text: str, rng: random.Random) -> bytes:
    data = text.encode("utf-8", "surrogatepass")
    if data and rng.random() < 0.1:  # a byte that is not UTF-8
        at = rng.randrange(len(data))
        data = data[:at] + bytes([rng.choice([0x80, 0xC3, 0xE9, 0xFF])]) + data[at + 1:]
    return data


def _assert_handled(code: int, out: str, err: str, what: str, mutant) -> None:
    assert code in (0, 1, 2), f"exit {code} for {what}: {err[-500:]}\nmutant: {mutant!r:.2000}"
    assert "E399" not in err and "Traceback" not in err, f"{what}: {err[-500:]}"


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("GROUNDWORK_DB", str(tmp_path / "audit.sqlite"))
    monkeypatch.setenv("GROUNDWORK_CACHE_DIR", str(tmp_path / "cache"))


def test_assessment_mutants_never_crash(tmp_path):
    rng = random.Random(18)
    sources = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.json"))]
    case = tmp_path / "case.json"
    exits = {0: 0, 1: 0, 2: 0}
    for _ in range(MUTANTS):
        source = rng.choice(sources)
        if rng.random() < 0.5:
            text = mutate(source, TOKENS, rng)
        else:
            text = json.dumps(mutate_value(json.loads(source), rng))
        case.write_bytes(_bytes_of(text, rng))
        code, out, err = run("assess", str(case), "--format", "json", "--no-audit")
        _assert_handled(code, out, err, "an assessment", text)
        exits[code] += 1
    # the fuzz reaches both sides: mutants that are still valid, and every kind of refusal
    assert exits[0] > 10 and exits[2] > 100, exits


def test_rule_file_mutants_never_crash(tmp_path):
    rng = random.Random(1818)
    rules = (rule("walk-when-compromised", "brainstem.band >= moderate",
                  "recommend walk-and-talk priority 10")
             + rule("play-when-limbic", "limbic.band >= moderate and arousal.current in {calm, alert}",
                    "recommend dyadic-play\n    flag warning LIMBIC \"Limbic work.\""))
    root = make_kb(tmp_path / "kb", rules)
    source = (root / "10-test.gw").read_text(encoding="utf-8")
    exits = {0: 0, 1: 0, 2: 0}
    for _ in range(MUTANTS):
        text = mutate(source, GW_TOKENS, rng)
        (root / "10-test.gw").write_bytes(_bytes_of(text, rng))
        code, out, err = run("lint", str(root))
        _assert_handled(code, out, err, "a rule file", text)
        exits[code] += 1
    assert exits[0] + exits[1] > 0 and exits[1] + exits[2] > 100, exits


def test_instrument_mutants_never_crash(tmp_path):
    rng = random.Random(181818)
    root = make_kb(tmp_path / "kb", "")
    source = (CORE_KB / "instrument.toml").read_text(encoding="utf-8")
    for _ in range(MUTANTS // 3):
        text = mutate(source, TOML_TOKENS, rng)
        (root / "instrument.toml").write_bytes(_bytes_of(text, rng))
        code, out, err = run("lint", str(root))
        _assert_handled(code, out, err, "an instrument", text)


def test_scenario_mutants_never_crash(tmp_path):
    rng = random.Random(18181818)
    root = make_kb(tmp_path / "kb", rule("walk-when-compromised", "brainstem.band >= moderate",
                                         "recommend walk-and-talk"))
    (root / "scenarios").mkdir()
    sources = [p.read_text(encoding="utf-8") for p in sorted((CORE_KB / "scenarios").glob("*.toml"))]
    sources.append('[[scenario]]\nname = "walks"\nprofile = { bands = { brainstem = "moderate" } }\n'
                   'expect = { recommended = ["walk-and-talk"] }\n'
                   '[[scenario]]\nname = "file"\nassessment = "case.json"\n'
                   'expect = { no_action = false }\n')
    (root / "scenarios" / "case.json").write_text((EXAMPLES / "school-age-child.json").read_text(
        encoding="utf-8"), encoding="utf-8")
    scenario = root / "scenarios" / "mine.scenario.toml"
    exits = {0: 0, 1: 0, 2: 0}
    for _ in range(MUTANTS):
        text = mutate(rng.choice(sources), TOML_TOKENS, rng)
        scenario.write_bytes(_bytes_of(text, rng))
        code, out, err = run("test", str(scenario))
        _assert_handled(code, out, err, "a scenario file", text)
        exits[code] += 1
    assert exits[2] > 100, exits


def test_http_body_mutants_never_get_a_500(tmp_path):
    from tests.web_support import AUTH, cds_headers, client, hook_request
    rng = random.Random(18_2026)
    source = (EXAMPLES / "school-age-child.json").read_text(encoding="utf-8")
    service = "/cds-services/groundwork-plan"
    with client(tmp_path) as http:
        for number in range(MUTANTS):
            if rng.random() < 0.5:
                text = mutate(source, TOKENS, rng)
            else:
                text = json.dumps(mutate_value(json.loads(source), rng))
            body = _bytes_of(text, rng)
            if number % 3:
                response = http.post("/api/assessments", content=body,
                                     headers=AUTH | {"Content-Type": "application/json"})
            else:
                hook = json.dumps(hook_request({"@": 0})).encode()
                response = http.post(service, content=hook.replace(b'{"@": 0}', body),
                                     headers=cds_headers(service) | {"Content-Type": "application/json"})
            assert response.status_code < 500, (response.status_code, response.text[:500], text[:2000])
