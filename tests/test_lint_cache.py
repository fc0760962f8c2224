"""Lint runs its expensive analyses only when their inputs changed (groundwork/trainer/lint_cache.py)."""

from __future__ import annotations

import json
import shutil

from groundwork.trainer import lint_cache
from groundwork.trainer.lint import lint_path
from tests.helpers import ROOT, run_cli


def _kb(tmp_path):
    kb = tmp_path / "kb"
    shutil.copytree(ROOT / "knowledge_base" / "core", kb)
    return kb


def _report(path):
    report = lint_path(path)
    return [d.render() for d in report.diagnostics], report.scenarios, report.silenced


def test_a_second_lint_reads_the_findings_and_says_the_same(tmp_path, monkeypatch):
    monkeypatch.setenv("GROUNDWORK_CACHE_DIR", str(tmp_path / "cache"))
    kb = _kb(tmp_path)
    first = _report(kb)
    assert len(list((tmp_path / "cache").glob("lint-*.json"))) == 2  # analyses, scenarios
    calls = []
    real = lint_cache._write
    monkeypatch.setattr(lint_cache, "_write", lambda *a: calls.append(a) or real(*a))
    assert _report(kb) == first
    assert calls == []  # nothing was computed again


def test_an_edited_rule_or_scenario_is_linted_again(tmp_path, monkeypatch):
    monkeypatch.setenv("GROUNDWORK_CACHE_DIR", str(tmp_path / "cache"))
    kb = _kb(tmp_path)
    _report(kb)
    scenario = next((kb / "scenarios").glob("*.scenario.toml"))
    scenario.write_text(scenario.read_text() + '\n[[scenario]]\nname = "new"\nprofile = {}\n'
                        'expect = { recommended = ["no-such-activity"] }\n', encoding="utf-8")
    diagnostics, _, _ = _report(kb)
    assert any("no-such-activity" in d for d in diagnostics)
    rules = kb / "30-reason.gw"
    rules.write_text(rules.read_text().replace("cortex.band >= mild", "cortex.band >= mild and "
                                               "cortex.band = severe and cortex.band = typical", 1))
    diagnostics, _, _ = _report(kb)
    assert any(": error: E40" in d for d in diagnostics)


def test_a_damaged_entry_is_a_miss(tmp_path, monkeypatch):
    monkeypatch.setenv("GROUNDWORK_CACHE_DIR", str(tmp_path / "cache"))
    kb = _kb(tmp_path)
    first = _report(kb)
    for entry in (tmp_path / "cache").glob("lint-*.json"):
        entry.write_text("{not json")
    assert _report(kb) == first


def test_lint_json_is_the_same_with_and_without_the_cache(tmp_path):
    kb = _kb(tmp_path)
    cached = run_cli("lint", str(kb), "--format", "json",
                     env={"GROUNDWORK_CACHE_DIR": str(tmp_path / "c")})
    again = run_cli("lint", str(kb), "--format", "json",
                    env={"GROUNDWORK_CACHE_DIR": str(tmp_path / "c")})
    uncached = run_cli("lint", str(kb), "--format", "json", env={"GROUNDWORK_NO_CACHE": "1"})
    assert json.loads(cached.stdout) == json.loads(again.stdout) == json.loads(uncached.stdout)
