"""Reports for CI: `groundwork test --junit FILE` and `--format json`; `lint --format sarif`."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree

from tests.helpers import run_cli
from tests.kbfactory import make_kb, rule

SCENARIOS = '''[[scenario]]
name = "walks-when-severe"
profile = { bands = { brainstem = "severe" } }
expect = { recommended = ["walk-and-talk"] }

[[scenario]]
name = "plays-when-severe"
profile = { bands = { brainstem = "severe" } }
expect = { recommended = ["dyadic-play"] }
'''


def _kb(tmp_path):
    kb = make_kb(tmp_path / "kb", rule("walk", "brainstem.band >= moderate",
                                       "recommend walk-and-talk"))
    (kb / "walk.scenario.toml").write_text(SCENARIOS, encoding="utf-8")
    return kb


def test_junit_report_has_a_testcase_per_scenario_and_the_failure(tmp_path):
    _kb(tmp_path)
    result = run_cli("test", "--kb", "kb", "--junit", "report.xml", cwd=tmp_path)
    assert result.returncode == 1
    assert "1 passed, 1 failed" in result.stdout  # the text report is still printed
    root = ElementTree.parse(tmp_path / "report.xml").getroot()
    assert root.tag == "testsuites" and root.get("tests") == "2" and root.get("failures") == "1"
    cases = {case.get("name"): case for case in root.iter("testcase")}
    assert set(cases) == {"walks-when-severe", "plays-when-severe"}
    assert cases["walks-when-severe"].find("failure") is None
    failure = cases["plays-when-severe"].find("failure")
    assert "dyadic-play" in failure.get("message") and "expected:" in failure.text
    assert cases["plays-when-severe"].get("file") == "kb/walk.scenario.toml"
    assert cases["plays-when-severe"].get("line") == "7"
    again = run_cli("test", "--kb", "kb", "--junit", "again.xml", cwd=tmp_path)
    assert again.returncode == 1
    assert (tmp_path / "again.xml").read_bytes() == (tmp_path / "report.xml").read_bytes()


def test_json_report(tmp_path):
    _kb(tmp_path)
    result = run_cli("test", "--kb", "kb", "--format", "json", "--coverage", cwd=tmp_path)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["summary"] == {"passed": 1, "failed": 1}
    failed = [s for s in report["scenarios"] if not s["passed"]]
    assert [s["name"] for s in failed] == ["plays-when-severe"]
    assert failed[0]["failures"][0]["expected"] and "walk" in failed[0]["fired"]
    assert report["coverage"]["not_fired"] == [] and report["coverage"]["percent"] == 100.0
    assert len(report["knowledge_base"]["hash"]) == 64


def test_junit_into_a_missing_directory_is_refused(tmp_path):
    _kb(tmp_path)
    result = run_cli("test", "--kb", "kb", "--junit", "nowhere/report.xml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("nowhere/report.xml: (file): the directory for the JUnit")
    assert not (tmp_path / "nowhere").exists() and result.stdout == ""


def test_lint_sarif_locates_every_finding(tmp_path):
    make_kb(tmp_path / "kb", rule("play", "limbic.band >= moderate", "recommend dyadic-play")
            + rule("bad", "brainstm.band >= moderate", "recommend walk-and-talk"))
    result = run_cli("lint", "kb", "--format", "sarif", cwd=tmp_path)
    assert result.returncode == 1
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    found = {(r["ruleId"], r["level"]) for r in run["results"]}
    assert ("E110", "error") in found
    for finding in run["results"]:
        assert rules[finding["ruleIndex"]] == finding["ruleId"]
        location = finding["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "kb/10-test.gw"
        assert location["region"]["startLine"] >= 1
    clean = run_cli("lint", "--format", "sarif")  # the bundled knowledge base
    assert clean.returncode == 0 and json.loads(clean.stdout)["runs"][0]["results"] == []
