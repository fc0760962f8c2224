"""One regression test per durable-rules trap (docs/durable-rules.md)."""

from __future__ import annotations

import threading

import pytest

from dsl.compile import MAX_RULES_PER_SET
from dsl.errors import EngineFailure
from dsl.evaluate import fire_reference
from dsl.kb import load_knowledge_base
from engine import runtime
from engine.facts import build_facts
from engine.models import Assessment
from engine.runtime import runner_for
from tests.helpers import base_assessment, ratings_for_bands, run_cli
from tests.kbfactory import make_kb, rule


def _values(kb, **bands):
    raw = base_assessment(ratings=ratings_for_bands(bands))
    return build_facts(Assessment.model_validate(raw), kb).values


def test_assessment_matching_no_rule_does_not_crash_on_delete_state(tmp_path):
    kb = load_knowledge_base(make_kb(tmp_path / "kb", rule("never", "cortex.score > 2.9 and cortex.score < 0.1",
                                                             "recommend talking-therapy")))
    firings, derived = runner_for(kb).run(_values(kb))
    assert firings == () and derived == {}


def test_large_knowledge_base_is_split_below_the_rule_set_limit(tmp_path):
    bands = ("mild", "moderate", "severe")
    text = "".join(rule(f"r{i}", f"brainstem.band = {bands[i % 3]} or cortex.score >= {i % 30 / 10}",
                        "recommend walk-and-talk") for i in range(450))
    kb = load_knowledge_base(make_kb(tmp_path / "kb", text))
    runner = runner_for(kb)
    assert len(runner.compiled.rulesets) >= 3
    assert all(len(rs.rule_ids) <= MAX_RULES_PER_SET for rs in runner.compiled.rulesets)
    values = _values(kb, brainstem="moderate", cortex="mild")
    fired = {f.rule_id for f in runner.run(values)[0]}
    assert fired == set(fire_reference(kb.active_rules(), values, kb.fact_types())[0])
    assert len(fired) > 150


def test_the_same_knowledge_base_loaded_twice_is_registered_once(tmp_path):
    text = rule("a", "brainstem.band >= moderate", "recommend walk-and-talk")
    first = load_knowledge_base(make_kb(tmp_path / "one", text))
    second = load_knowledge_base(make_kb(tmp_path / "two", text))
    assert first.content_hash == second.content_hash
    assert runner_for(first) is runner_for(second)
    changed = load_knowledge_base(make_kb(tmp_path / "three", text.replace("moderate", "severe")))
    assert runner_for(changed).compiled.rulesets[0].name != runner_for(first).compiled.rulesets[0].name


def test_every_matching_rule_sees_the_facts(tmp_path):
    text = (rule("first", "brainstem.band >= moderate", "recommend walk-and-talk")
            + rule("second", "brainstem.band = severe", "recommend walk-and-talk"))
    kb = load_knowledge_base(make_kb(tmp_path / "kb", text))
    fired = {f.rule_id for f in runner_for(kb).run(_values(kb, brainstem="severe"))[0]}
    assert fired == {"first", "second"}


def test_an_exception_inside_an_action_aborts_the_run(tmp_path, monkeypatch):
    kb = load_knowledge_base(make_kb(tmp_path / "kb", rule("a", "brainstem.band >= mild",
                                                             "recommend walk-and-talk")))
    runner = runner_for(kb)

    def broken(message):
        raise ValueError("boom")

    monkeypatch.setattr(runtime, "_matched", broken)
    with pytest.raises(EngineFailure, match="rule a: ValueError: boom"):
        runner.run(_values(kb, brainstem="severe"))


def test_an_engine_failure_exits_3_with_no_plan(tmp_path):
    case = tmp_path / "case.json"
    import json
    case.write_text(json.dumps(base_assessment(ratings=ratings_for_bands({"brainstem": "severe"}))))
    script = ("import engine.runtime as r\n"
              "def broken(m): raise RuntimeError('injected')\n"
              "r._matched = broken\n"
              "from groundwork.cli import main; main()\n")
    import subprocess, sys, os
    from tests.helpers import ROOT
    result = subprocess.run([sys.executable, "-c", script, "assess", str(case)], cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(ROOT),
                                 "GROUNDWORK_DB": str(tmp_path / "a.sqlite")},
                            capture_output=True, text=True)
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith("error: E300: the rule engine failed")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_derived_facts_nobody_observes_and_shared_derivations_are_fine(tmp_path):
    model_facts = "fact spare \"nobody reads this\"\nfact shared \"two rules derive this\"\n"
    text = (model_facts
            + rule("lonely", "brainstem.band >= mild", "derive spare")
            + rule("one", "brainstem.band >= mild", "derive shared")
            + rule("two", "brainstem.band >= moderate", "derive shared")
            + rule("reader", "shared", "recommend walk-and-talk"))
    kb = load_knowledge_base(make_kb(tmp_path / "kb", text))
    firings, derived = runner_for(kb).run(_values(kb, brainstem="severe"))
    assert derived == {"shared": ("one", "two"), "spare": ("lonely",)}
    assert {f.rule_id for f in firings} == {"lonely", "one", "two", "reader"}


def test_no_background_timer_threads_run_actions(tmp_path):
    kb = load_knowledge_base(make_kb(tmp_path / "kb", rule("a", "brainstem.band >= mild",
                                                             "recommend walk-and-talk")))
    runner_for(kb).run(_values(kb, brainstem="mild"))
    assert not [t for t in threading.enumerate() if isinstance(t, threading.Timer)]


def test_sessions_are_deleted_so_more_than_1024_assessments_run(tmp_path):
    kb = load_knowledge_base(make_kb(tmp_path / "kb", rule("a", "brainstem.band >= mild",
                                                             "recommend walk-and-talk")))
    runner = runner_for(kb)
    values = _values(kb, brainstem="mild")
    for _ in range(1100):
        firings, _ = runner.run(values)
    assert [f.rule_id for f in firings] == ["a"]


def test_the_trace_records_the_facts_each_rule_matched(tmp_path):
    text = ("fact low \"brainstem is low\"\n"
            + rule("base", "brainstem.band >= moderate and arousal.current = alarm", "derive low")
            + rule("chained", "low and not limbic.band = severe", "recommend walk-and-talk"))
    kb = load_knowledge_base(make_kb(tmp_path / "kb", text))
    values = _values(kb, brainstem="severe")
    values["arousal.current"] = "alarm"
    firings, _ = runner_for(kb).run(values)
    by_rule = {f.rule_id: f for f in firings}
    assert dict(by_rule["base"].matched) == {"arousal__current": 2, "brainstem__band": 3}
    assert by_rule["base"].asserted == ("low",)
    assert by_rule["chained"].derived_from == (("low", "base"),)
    assert dict(by_rule["chained"].matched) == {"limbic__band": 0}
