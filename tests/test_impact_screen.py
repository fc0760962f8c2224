"""The impact screen (groundwork/trainer/screen.py): a case it lets go can never change.

Knowledge-base changes are generated from the shipped knowledge base (a rule retired, removed,
added, its condition changed, its action changed); for each, generated clients are compared in
full — both plans made, by the reference evaluator and the sequencer — and every client the screen
lets go must come out with the same rules fired and the same plan.
"""

from __future__ import annotations

import dataclasses
import json

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import knowledge_base
from dsl import ast
from dsl.evaluate import fire_reference
from dsl.vocabulary import BANDS
from engine.facts import build_facts, some_facts
from engine.models import Assessment
from engine.pipeline import assess
from engine.plan import Provenance
from engine.runtime import Firing
from engine.sequence import Sequencer, gather
from groundwork.trainer.impact import _Context, _matched_under_head, compare_plans
from groundwork.trainer.screen import can_hold, screen
from tests.helpers import ROOT, run_cli
from tests.strategies import assessments

BASE = knowledge_base.load()
ITEMS = tuple(item.id for item in BASE.instrument.items)
RULES = BASE.rules
PROVENANCE = Provenance(kb_name="x", kb_version="x", kb_hash="x", engine_version="x", input_hash="x")


def reference_outcome(kb, raw):
    """(plan, fired rules) by the reference evaluator and the real sequencer."""
    assessment = Assessment.model_validate(raw)
    facts = build_facts(assessment, kb)
    fired, derived = fire_reference(kb.active_rules(), facts.values, kb.fact_types())
    firings = tuple(Firing(r, kb.rule(r).version, "", 0, (), (), ()) for r in fired)
    plan, _ = Sequencer(kb, assessment, facts, derived).decide(gather(kb, firings), PROVENANCE)
    return plan, set(fired)


def _bands_changed(node, band):
    """The condition with its first band comparison set to compare against `band`."""
    done = []

    def walk(n):
        if isinstance(n, ast.Comparison) and n.path.endswith(".band") and n.value in BANDS \
                and not done:
            done.append(n)
            return dataclasses.replace(n, value=band)
        if isinstance(n, ast.Not):
            return dataclasses.replace(n, operand=walk(n.operand))
        if isinstance(n, (ast.And, ast.Or)):
            return dataclasses.replace(n, operands=tuple(walk(o) for o in n.operands))
        return n

    changed = walk(node)
    return changed if done else None


@st.composite
def changes(draw):
    """A head knowledge base: the shipped one with one rule-level change."""
    rules = list(RULES)
    index = draw(st.integers(0, len(rules) - 1))
    rule = rules[index]
    kind = draw(st.sampled_from(["retire", "remove", "band", "action", "copy"]))
    if kind == "retire":
        rules[index] = dataclasses.replace(rule, status="retired")
    elif kind == "remove":
        derives = {a.fact for a in rule.actions if isinstance(a, ast.Derive)}
        assume(not derives)  # the checker would reject a fact that nothing derives
        del rules[index]
    elif kind in ("band", "copy"):
        when = _bands_changed(rule.when, draw(st.sampled_from(BANDS)))
        assume(when is not None)
        changed = dataclasses.replace(rule, when=when)
        if draw(st.booleans()):  # reworded as a trainer would, with the condition
            changed = dataclasses.replace(changed, version="9.9.9", title="Reworded",
                                          evidence="expert_consensus", rationale="Reworded.")
        if kind == "copy":
            derives = any(isinstance(a, ast.Derive) for a in rule.actions)
            assume(not derives)
            rules.append(dataclasses.replace(changed, id=rule.id + "-copy"))
        else:
            rules[index] = changed
    else:
        recommends = [i for i, a in enumerate(rule.actions) if isinstance(a, ast.Recommend)]
        assume(recommends)
        target = draw(st.sampled_from(sorted(BASE.interventions)))
        actions = list(rule.actions)
        actions[recommends[0]] = dataclasses.replace(actions[recommends[0]], intervention=target)
        rules[index] = dataclasses.replace(rule, actions=tuple(actions))
    return dataclasses.replace(BASE, rules=tuple(rules), content_hash="head")


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(changes(), st.lists(assessments(ITEMS), min_size=3, max_size=3))
def test_a_case_the_screen_lets_go_cannot_change(head, clients):
    the_screen = screen(BASE, head)
    assert not the_screen.everything
    for raw in clients:
        facts = build_facts(Assessment.model_validate(raw), BASE).values
        if the_screen.may_affect(facts, BASE):
            continue
        base_plan, fired_before = reference_outcome(BASE, raw)
        head_plan, fired_after = reference_outcome(head, raw)
        assert fired_before == fired_after
        assert not compare_plans("c", base_plan, fired_before, head_plan, fired_after,
                                 BASE, head).changes


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(changes(), st.lists(assessments(ITEMS), min_size=2, max_size=2))
def test_the_heads_firings_worked_out_from_the_bases_are_the_heads_own(head, clients):
    """When no changed rule derives a fact the diff runs the rule engine once, on the base, and
    works out what the head fires: it must be what the head's rules fire."""
    the_screen = screen(BASE, head)
    assume(the_screen.derive_free)
    context = _Context(BASE, head, the_screen, False, None)
    for raw in clients:
        base = assess(Assessment.model_validate(raw), raw, BASE)
        firings, derived = _matched_under_head(context, base)
        fired, derived_after = fire_reference(head.active_rules(), base.facts.values,
                                              head.fact_types())
        assert sorted(f.rule_id for f in firings) == sorted(fired)
        assert set(derived) == derived_after


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assessments(ITEMS), st.sets(st.sampled_from(sorted(BASE.fact_types())), max_size=6))
def test_the_screens_few_facts_are_those_of_the_whole_build(raw, paths):
    assessment = Assessment.model_validate(raw)
    every = build_facts(assessment, BASE).values
    assert some_facts(assessment, BASE, paths) == {path: every[path] for path in paths}


def test_a_moved_threshold_reassesses_only_the_clients_between_the_old_and_the_new():
    """feelings-literacy's rule asks `cortex.band >= mild and age.years <= 7`: moved to
    `>= moderate`, it fires differently only for a young child whose cortical band is mild."""
    rule = next(r for r in RULES if r.id == "reason-feelings-literacy-young")
    moved = _bands_changed(rule.when, "moderate")
    head = dataclasses.replace(BASE, rules=tuple(
        dataclasses.replace(r, when=moved, version="1.1.0") if r is rule else r for r in RULES),
        content_hash="head")
    the_screen = screen(BASE, head)
    assert [r.condition_only for r in the_screen.rules] == [True]

    def affected(age, cortex):
        facts = {"age.years": age, "cortex.band": cortex}
        return the_screen.may_affect(facts, BASE)

    assert affected(5, "mild")
    assert not affected(5, "moderate") and not affected(5, "severe")  # fires under both
    assert not affected(5, "typical") and not affected(12, "mild")  # fires under neither


def test_a_changed_action_reassesses_wherever_either_version_can_fire():
    rule = next(r for r in RULES if r.id == "reason-feelings-literacy-young")
    actions = (dataclasses.replace(rule.actions[0], intervention="social-skills-group"),)
    head = dataclasses.replace(BASE, rules=tuple(
        dataclasses.replace(r, actions=actions) if r is rule else r for r in RULES),
        content_hash="head")
    the_screen = screen(BASE, head)
    assert [r.condition_only for r in the_screen.rules] == [False]
    assert the_screen.may_affect({"age.years": 5, "cortex.band": "severe"}, BASE)
    assert not the_screen.may_affect({"age.years": 5, "cortex.band": "typical"}, BASE)


def test_a_change_beyond_the_rules_screens_nothing():
    tighter = tuple(dataclasses.replace(t, from_score=t.from_score + 0.1) if t.from_score else t
                    for t in BASE.thresholds)
    files = tuple(dataclasses.replace(f, items=tuple(
        dataclasses.replace(i, thresholds=tighter) if isinstance(i, ast.BandsDecl) else i
        for i in f.items)) for f in BASE.files)
    assert screen(BASE, dataclasses.replace(BASE, files=files)).everything


def test_three_valued_logic_leaves_derived_facts_open():
    types = BASE.fact_types()
    fact = ast.FactRef("needs_caregiver_support", RULES[0].pos)
    assert can_hold(fact, {}, types) is None
    assert can_hold(ast.Not(fact, fact.pos), {}, types) is None


# ---- through the command line ----

def _changed_kb(tmp_path):
    head = tmp_path / "head"
    import shutil
    shutil.copytree(ROOT / "knowledge_base" / "core", head)
    reason = head / "30-reason.gw"
    reason.write_text(reason.read_text().replace("cortex.band >= mild", "cortex.band >= moderate",
                                                 1), encoding="utf-8")
    return head


def _caseload(tmp_path):
    lines = [(ROOT / "examples" / f"{name}.json").read_text() for name in
             ("adult", "adolescent", "child-in-crisis", "school-age-child", "young-child")]
    path = tmp_path / "caseload.jsonl"
    path.write_text("".join(json.dumps(json.loads(text)) + "\n" for text in lines * 60))
    return path


def test_diff_reads_a_caseload_screens_and_uses_workers(tmp_path):
    head, caseload = _changed_kb(tmp_path), _caseload(tmp_path)
    args = ("diff", "--base", "knowledge_base/core", "--head", str(head), str(caseload),
            "--format", "json")
    one = run_cli(*args)
    two = run_cli(*args, "--workers", "2")
    full = run_cli(*args, "--full")
    assert one.returncode == two.returncode == full.returncode == 0, one.stderr
    screened, parallel, everything = (json.loads(r.stdout) for r in (one, two, full))
    assert screened == parallel
    assert screened["screen"]["cases"] == 300
    assert 0 < screened["screen"]["assessed"] < 300
    assert everything["screen"]["assessed"] == 300
    for report in (screened, everything):
        del report["screen"]
    assert screened == everything


def test_diff_reuses_a_batch_of_base_plans(tmp_path):
    head, caseload = _changed_kb(tmp_path), _caseload(tmp_path)
    results = tmp_path / "base.jsonl"
    assert run_cli("batch", str(caseload), "--out", str(results)).returncode == 0
    args = ("diff", "--base", "knowledge_base/core", "--head", str(head), str(caseload),
            "--format", "json")
    reused = run_cli(*args, "--base-results", str(results))
    fresh = run_cli(*args)
    assert reused.returncode == 0, reused.stderr
    assert json.loads(reused.stdout) == json.loads(fresh.stdout)


def test_base_results_from_another_knowledge_base_are_refused(tmp_path):
    head, caseload = _changed_kb(tmp_path), _caseload(tmp_path)
    results = tmp_path / "head.jsonl"
    assert run_cli("batch", str(caseload), "--kb", str(head), "--out", str(results)).returncode == 0
    done = run_cli("diff", "--base", "knowledge_base/core", "--head", str(head), str(caseload),
                   "--base-results", str(results))
    assert done.returncode == 2
    assert done.stderr.startswith(f"{results}:1:1: error: E209: this plan was made with knowledge")
    assert done.stdout == ""
    assert "Traceback" not in done.stderr


def test_diff_refuses_no_workers(tmp_path):
    done = run_cli("diff", "--base", "knowledge_base/core", "--head", "knowledge_base/core",
                   "examples/adult.json", "--workers", "0")
    assert done.returncode == 2
    assert "E208: --workers must be 1 or more" in done.stderr.splitlines()[0]


def test_base_results_are_indexed_and_read_a_plan_at_a_time(tmp_path):
    """A caseload's results run to gigabytes: the index holds where each plan is, not the plan;
    a line written with its keys in another order is read whole, with the same plan."""
    from groundwork.trainer.impact import read_base_results

    caseload = _caseload(tmp_path)
    results = tmp_path / "base.jsonl"
    assert run_cli("batch", str(caseload), "--out", str(results)).returncode == 0
    lines = results.read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[1])
    lines[1] = json.dumps({"plan": entry["plan"], "status": "ok", "source": entry["source"]})
    results.write_text("\n".join(lines) + "\n", encoding="utf-8")
    index = read_base_results(results, BASE)
    assert len(index.lines) == 300
    assert all(isinstance(where, tuple) for where in index.lines.values())
    first, second = (json.loads(line) for line in lines[:2])
    assert index.get(first["source"]) == first["plan"]
    assert index.get(second["source"]) == entry["plan"]
    assert index.get("not a case") is None


def test_a_line_that_is_not_a_batch_result_is_refused_with_its_line(tmp_path):
    head, caseload = _changed_kb(tmp_path), _caseload(tmp_path)
    results = tmp_path / "base.jsonl"
    assert run_cli("batch", str(caseload), "--out", str(results)).returncode == 0
    lines = results.read_text(encoding="utf-8").splitlines()
    results.write_text("\n".join(lines[:2] + ['{"source": "x", "plan": {}'] + lines[2:]) + "\n",
                       encoding="utf-8")
    done = run_cli("diff", "--base", "knowledge_base/core", "--head", str(head), str(caseload),
                   "--base-results", str(results))
    assert done.returncode == 2
    assert done.stderr.startswith(f"{results}:3:1: error: E209: not a line of `groundwork batch` "
                                  "results")
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
