"""`audit replay`: a stored decision re-runs to the same plan under its own knowledge base, and a
different knowledge base shows what changed and which rules are responsible."""

from __future__ import annotations

import shutil

import pytest

import knowledge_base
from engine.audit.diff import plan_diff
from engine.audit.replay import replay
from engine.audit.store import AuditStore
from tests.audit_support import FIXTURES, cases, record_case
from tests.helpers import CORE_KB, ROOT, run_cli

CASES = cases()
AVOID_RULE = '''
rule audit-test-avoid {{
  version "9.9.9"
  title "Test: avoid {iv} for everyone"
  status approved
  evidence practice
  source "Test fixture"
  author "Test"
  rationale "Changes a plan so that replay has something to find."
  when age.years >= 0
  then
    avoid {iv} because "a test says so"
}}
'''


def modified_kb(tmp_path, intervention: str):
    """The bundled knowledge base plus one rule that avoids `intervention`."""
    kb_dir = tmp_path / "modified-kb"
    shutil.copytree(CORE_KB, kb_dir)
    (kb_dir / "99-audit-test.gw").write_text(AVOID_RULE.format(iv=intervention))
    return kb_dir


def first_recommended(store, record_id) -> str:
    return store.record(record_id).plan["phases"][0]["recommendations"][0]["intervention"]


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_every_example_replays_to_the_same_plan(tmp_path, case):
    with AuditStore.open(tmp_path / "a.sqlite", mode="create") as store:
        appended = record_case(store, case)
        result = replay(store, appended.id)
    assert result.failure is None
    assert result.reproduced, [c.render() for c in result.diff.changes] + result.diff.fields
    assert result.notes == []


def test_replay_under_a_modified_knowledge_base_names_the_change_and_the_rules(tmp_path):
    with AuditStore.open(tmp_path / "a.sqlite", mode="create") as store:
        record_case(store, FIXTURES / "client-a-first.json")
        target = first_recommended(store, 1)
        stored_rules = store.record(1).plan["phases"][0]["recommendations"][0]["rules"]
        result = replay(store, 1, knowledge_base.load(modified_kb(tmp_path, target)))
    assert not result.reproduced
    change = next(c for c in result.diff.changes if c.intervention == target)
    assert change.kind == "avoided"
    assert change.rules_now == ("audit-test-avoid",) and change.rules_then == tuple(stored_rules)
    assert any(line.startswith("audit-test-avoid v9.9.9") for line in result.diff.fired_now_only)
    assert "audit-test-avoid" in result.diff.responsible_rules()
    assert any("recorded under knowledge base" in note for note in result.notes)


def test_replay_uses_the_stored_knowledge_base_not_the_one_on_disk(tmp_path):
    with AuditStore.open(tmp_path / "a.sqlite", mode="create") as store:
        record_case(store, FIXTURES / "client-a-first.json")
        target = first_recommended(store, 1)
        kb_dir = modified_kb(tmp_path, target)
        record_case(store, FIXTURES / "client-a-first.json", kb_dir)
        shutil.rmtree(kb_dir)  # the modified knowledge base is gone from disk...
        assert replay(store, 2).reproduced  # ...and its record still replays exactly
        under_current = replay(store, 2, knowledge_base.load())
    assert not under_current.reproduced
    change = next(c for c in under_current.diff.changes if c.intervention == target)
    assert change.kind == "added" and change.rules_then == ("audit-test-avoid",)
    assert any(line.startswith("audit-test-avoid") for line in under_current.diff.fired_then_only)


def test_replay_through_the_cli(tmp_path):
    db = str(tmp_path / "cli.sqlite")
    case = str((FIXTURES / "client-a-first.json").relative_to(ROOT))
    assert run_cli("assess", case, "--db", db).returncode == 0
    same = run_cli("audit", "replay", "1", "--db", db)
    assert same.returncode == 0, same.stderr
    assert "reproduced: the same plan" in same.stdout
    with AuditStore.open(db) as store:
        target = first_recommended(store, 1)
    changed = run_cli("audit", "replay", "1", "--db", db, "--kb", str(modified_kb(tmp_path, target)))
    assert changed.returncode == 1, changed.stderr
    assert f"avoided: {target}: recommended in regulate" in changed.stdout
    assert "now by audit-test-avoid" in changed.stdout
    assert "rules responsible:" in changed.stdout and "audit-test-avoid" in changed.stdout.splitlines()[-1]


def test_replay_a_range_and_all_loads_each_stored_knowledge_base_once(tmp_path, monkeypatch):
    from engine.audit import replay as replay_module
    db = tmp_path / "many.sqlite"
    with AuditStore.open(db, mode="create") as store:
        for case in CASES:
            record_case(store, case)
        target = first_recommended(store, 1)
        kb_dir = modified_kb(tmp_path, target)
        record_case(store, CASES[0], kb_dir)  # a second stored knowledge base
        loads = []
        original = replay_module.stored_kb
        monkeypatch.setattr(replay_module, "stored_kb",
                            lambda s, r: loads.append(r.kb_hash) or original(s, r))
        results = list(replay_module.replay_many(store, 1, 10**9))
    assert [r.record.id for r in results] == list(range(1, len(CASES) + 2))
    assert all(r.reproduced for r in results)
    assert len(loads) == len(set(loads)) == 2  # once per stored knowledge base

    every = run_cli("audit", "replay", "--all", "--db", str(db))
    assert every.returncode == 0, every.stderr
    assert every.stdout.splitlines()[-1] == (f"replayed {len(CASES) + 1} assessment records: "
                                             f"{len(CASES) + 1} reproduced, 0 different, 0 could "
                                             "not be replayed")
    some = run_cli("audit", "replay", "2-3", "--db", str(db), "--kb", str(kb_dir))
    assert some.returncode == 1  # under the modified knowledge base, both plans differ
    assert some.stdout.startswith("record 2: DIFFERENT") and "record 3: DIFFERENT" in some.stdout
    assert some.stdout.splitlines()[-1].endswith("0 reproduced, 2 different, 0 could not be replayed")


@pytest.mark.parametrize("args, message", [
    (("5-2",), "ID: error: E719: the range 5-2 ends before it starts"),
    ((), "ID: error: E719: give one record id (12), a range of ids (10-20) or --all"),
    (("x",), "ID: error: E719: give one record id (12), a range of ids (10-20) or --all"),
    (("1", "--all"), "ID: error: E719: give a record id or a range, or --all, not both"),
    (("90-99",), "error: E710: no assessment records from 90 to 99"),
])
def test_replay_refuses_what_is_not_ids(tmp_path, args, message):
    db = tmp_path / "one.sqlite"
    with AuditStore.open(db, mode="create") as store:
        record_case(store, CASES[0])
    before = db.read_bytes()
    done = run_cli("audit", "replay", *args, "--db", str(db))
    assert done.returncode == 2 and done.stdout == ""
    assert message in done.stderr.splitlines()[0]
    assert db.read_bytes() == before


def _plan(phases=(), deferred=(), avoided=(), flags=(), **rest):
    return {"phases": [{"name": name, "recommendations": [
                {"intervention": iv, "rules": [f"r-{iv}"], "dose": {"minutes": 10}} for iv in ivs]}
                for name, ivs in phases],
            "deferred": [{"intervention": iv, "phase": "reason", "gate": "until calm",
                          "rules": [f"d-{iv}"]} for iv in deferred],
            "avoided": [{"intervention": iv, "reason": "unsafe", "rules": [f"a-{iv}"]} for iv in avoided],
            "not_suitable": [], "flags": list(flags), "provenance": {"kb_hash": "x"}, **rest}


@pytest.mark.parametrize("then, now, kind", [
    (_plan(), _plan(phases=[("regulate", ["drum"])]), "added"),
    (_plan(phases=[("regulate", ["drum"])]), _plan(), "removed"),
    (_plan(phases=[("regulate", ["drum"])]), _plan(phases=[("relate", ["drum"])]), "moved"),
    (_plan(phases=[("regulate", ["a", "drum"])]), _plan(phases=[("regulate", ["drum", "a"])]), "moved"),
    (_plan(phases=[("reason", ["drum"])]), _plan(deferred=["drum"]), "deferred"),
    (_plan(phases=[("regulate", ["drum"])]), _plan(avoided=["drum"]), "avoided"),
    (_plan(deferred=["drum"]), _plan(phases=[("reason", ["drum"])]), "added"),
])
def test_plan_diff_classifies_each_change(then, now, kind):
    diff = plan_diff(then, now, {}, {})
    assert kind in {c.kind for c in diff.changes if c.intervention == "drum"}
    assert not diff.identical


def test_plan_diff_ignores_provenance_but_not_other_fields():
    then, now = _plan(review={"interval_weeks": 6}), _plan(review={"interval_weeks": 2})
    now["provenance"] = {"kb_hash": "y"}
    diff = plan_diff(then, now, {}, {})
    assert diff.fields == ["review.interval_weeks: 6 -> 2"]
    assert plan_diff(_plan(), {**_plan(), "provenance": {"kb_hash": "y"}}, {}, {}).identical
