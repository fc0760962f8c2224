"""`groundwork diff --base OLD --head NEW CASES…`: per-case changes with the rules responsible."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.kbfactory import INTERVENTIONS, make_kb, rule

BASE_RULES = (
    rule("walk", "brainstem.band >= moderate", "recommend walk-and-talk")
    + rule("play", "limbic.band >= moderate and brainstem.band <= mild", "recommend dyadic-play")
    + rule("talk", "cortex.band >= mild and limbic.band <= mild", "recommend talking-therapy")
)

CASES = '''
[[scenario]]
name = "brainstem-moderate"
profile = { bands = { brainstem = "moderate" } }
expect = { no_action = false }

[[scenario]]
name = "limbic-moderate"
profile = { bands = { limbic = "moderate" } }
expect = { no_action = false }

[[scenario]]
name = "cortex-mild-alert"
profile = { bands = { cortex = "mild" }, arousal = { current = "alert" }, settings = ["home", "clinic"] }
expect = { no_action = false }

[[scenario]]
name = "typical"
profile = {}
expect = { no_action = false }
'''


@pytest.fixture()
def change(tmp_path: Path):
    """A base and a head knowledge base that differ in every way the diff reports, and cases."""
    base = make_kb(tmp_path / "base", BASE_RULES)
    head_rules = (
        rule("walk", "brainstem.band >= moderate", "recommend walk-and-talk", status="retired")
        + rule("play", "limbic.band >= moderate and brainstem.band <= mild", "recommend dyadic-play")
        + rule("talk", "cortex.band >= mild and limbic.band <= mild",
               "recommend talking-therapy\n    defer talking-therapy until arousal.current = calm")
        + rule("typical-calm", "brainstem.band = typical and limbic.band = typical and "
               "cortex.band = typical", "flag info ALL_TYPICAL \"All typical.\"")
        + rule("no-walks", "brainstem.band >= moderate", 'avoid walk-and-talk because "Example."'))
    # dyadic-play now targets the brainstem: it moves from relate to regulate.
    head = make_kb(tmp_path / "head", head_rules,
                   interventions=INTERVENTIONS.replace("region limbic", "region brainstem"))
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "profiles.scenario.toml").write_text(CASES, encoding="utf-8")
    return base, head, cases


def test_diff_reports_each_kind_of_change_with_its_rules(change):
    base, head, cases = change
    result = run_cli("diff", "--base", str(base), "--head", str(head), str(cases))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "rules added: typical-calm, no-walks" in out
    assert "rules changed: walk, talk" in out
    assert "  ! avoided            walk-and-talk: avoided: Example.\n" \
           "                       rules: no-walks (new rule), walk (retired)" in out
    assert "  ~ moved              dyadic-play: relate -> regulate" in out
    assert "  ! deferred           talking-therapy: deferred until the client is calm\n" \
           "                       rules: talk (changed)" in out
    assert "  ! flag raised        ALL_TYPICAL: info\n" \
           "                       rules: typical-calm (new rule)" in out


def test_diff_ends_with_a_summary_table(change):
    base, head, cases = change
    out = run_cli("diff", "--base", str(base), "--head", str(head), str(cases)).stdout
    table = out[out.index("Impact summary"):].splitlines()
    header = table[2].split()
    assert header == ["case", "added", "removed", "moved", "deferred", "avoided", "other"]
    rows = {line.split()[0]: line.split()[1:] for line in table[4:] if line.strip()}
    assert rows["brainstem-moderate"] == ["0", "0", "0", "0", "1", "0"]
    assert rows["limbic-moderate"] == ["0", "0", "1", "0", "0", "0"]
    assert rows["cortex-mild-alert"] == ["0", "0", "0", "1", "0", "0"]
    assert rows["typical"] == ["0", "0", "0", "0", "0", "1"]
    assert rows["4"] == ["of", "4", "cases", "changed", "0", "0", "1", "1", "1", "1"]


def test_diff_names_removed_work_and_the_rule_that_stopped(tmp_path):
    base = make_kb(tmp_path / "base", BASE_RULES)
    head = make_kb(tmp_path / "head", BASE_RULES.replace(
        "when brainstem.band >= moderate", "when brainstem.band = severe"))
    case = tmp_path / "profiles.scenario.toml"
    case.write_text(CASES, encoding="utf-8")
    out = run_cli("diff", "--base", str(base), "--head", str(head), str(case)).stdout
    assert "brainstem-moderate (" in out
    assert "  - removed            walk-and-talk: was in regulate\n" \
           "                       rules: walk (changed, no longer fires)" in out
    assert "limbic-moderate" not in out.split("no change:")[0]
    assert "no change: 3 cases (--format json lists every case)" in out


def test_diff_json_has_every_case_and_change(change):
    base, head, cases = change
    result = run_cli("diff", "--base", str(base), "--head", str(head), "--format", "json",
                     str(cases))
    data = json.loads(result.stdout)
    assert [c["case"] for c in data["cases"]] == ["brainstem-moderate", "limbic-moderate",
                                                  "cortex-mild-alert", "typical"]
    moved = data["cases"][1]["changes"][0]
    assert moved == {"kind": "moved", "subject": "dyadic-play", "detail": "relate -> regulate",
                     "rules": ["play"]}
    assert data["base"]["kb_hash"] != data["head"]["kb_hash"]


def test_diff_accepts_assessment_files(tmp_path):
    from engine.synthetic.clients import Profile, raw_assessment
    import knowledge_base
    base = make_kb(tmp_path / "base", BASE_RULES)
    head = make_kb(tmp_path / "head", BASE_RULES.replace("recommend walk-and-talk",
                                                         "recommend dyadic-play"))
    case = tmp_path / "client.json"
    raw = raw_assessment(Profile(bands={"brainstem": "severe"}), knowledge_base.load(base), "C-1")
    case.write_text(json.dumps(raw), encoding="utf-8")
    out = run_cli("diff", "--base", str(base), "--head", str(head), str(case)).stdout
    assert f"{case}:" in out and "  - removed            walk-and-talk" in out
    assert "  ! deferred           dyadic-play: deferred until brainstem is mild or better" in out


def test_a_bad_case_is_bad_input(tmp_path):
    base = make_kb(tmp_path / "base", BASE_RULES)
    case = tmp_path / "broken.json"
    case.write_text("{", encoding="utf-8")
    result = run_cli("diff", "--base", str(base), "--head", str(base), str(case))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"{case}:1:2: error: E203: malformed JSON")
