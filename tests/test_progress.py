"""`groundwork progress CLIENT`: assessments by date, bands over time, what changed and which rules
did it, goals met or not yet, feedback and outcome events; only that client's records are read."""

from __future__ import annotations

import json

import pytest

from engine.audit import outcomes
from engine.audit.store import AuditStore
from engine.reports.progress import client_progress
from explain.progress import render_html, render_text
from tests.audit_support import FIXTURES, file_digest, record_case
from tests.helpers import run_cli


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    """client-a assessed twice (the review recorded FIRST), client-b once, feedback, one event."""
    path = tmp_path_factory.mktemp("progress") / "store.sqlite"
    with AuditStore.open(path, mode="create") as store:
        review = record_case(store, FIXTURES / "client-a-review.json")
        first = record_case(store, FIXTURES / "client-a-first.json")
        record_case(store, FIXTURES.parent.parent.parent / "examples" / "adolescent.json")
        target = store.record(first.id)
        item = target.plan["phases"][0]["recommendations"][0]["intervention"]
        store.append_feedback(target, item, "accepted", None, None, "clin-1", "0.1.0")
        store.append_feedback(target, item, "overridden", "client_declined", None, "clin-1", "0.1.0")
        event = outcomes.parse(outcomes.OutcomeEventIn, {
            "client_id": "client-a", "event": "restraint", "date": "2024-02-01",
            "setting": "home", "code": "R-1"})
        outcomes.record_event(store, event, "0.1.0")
        assert (review.id, first.id) == (1, 2)
    return path


def test_assessments_come_in_date_order_with_bands_goals_and_feedback(store_path):
    with AuditStore.open(store_path) as store:
        progress = client_progress(store, "client-a")
    first, review = progress.assessments
    assert (first.record_id, first.assessment_date) == (2, "2024-01-10")
    assert (review.record_id, review.assessment_date) == (1, "2024-04-10")
    assert {s.name: s.band for s in first.regions} == {
        "brainstem": "severe", "diencephalon": "moderate", "limbic": "typical", "cortex": "typical"}
    assert [(g.phase, g.met) for g in first.goals] == [("regulate", False)]
    assert first.goals[0].holding == ("brainstem.band = severe, diencephalon.band = moderate",)
    assert [(g.phase, g.met) for g in review.goals] == [("regulate", True), ("relate", False)]
    assert review.goals[1].holding == ("limbic.band = moderate",)
    assert [(f.outcome, f.reason) for f in first.feedback] == [("overridden", "client_declined")]
    assert progress.events == {"restraint": 1}


def test_what_changed_names_bands_flags_activities_and_the_rules_behind_them(store_path):
    with AuditStore.open(store_path) as store:
        (change,) = client_progress(store, "client-a").changes
    assert (change.from_record, change.to_record) == (2, 1)
    bands = {b.name: (b.before, b.after, b.steps) for b in change.regions}
    assert bands["brainstem"] == ("severe", "mild", -2) and bands["limbic"] == ("typical", "moderate", 2)
    assert "LOWER_BRAIN_SEVERE" in change.flags_dropped
    released = {i.intervention: i for i in change.released}
    assert "caregiver-attunement-coaching" in released
    assert released["caregiver-attunement-coaching"].before.startswith("deferred (until brainstem")
    assert "bottom-up-relate-waits" in released["caregiver-attunement-coaching"].rules
    assert {i.intervention for i in change.stopped} >= {"rhythmic-rocking", "rhythmic-drumming"}
    assert "slowed-breathing" in {i.intervention for i in change.started}
    every_rule = {r for item in change.started + change.released + change.stopped for r in item.rules}
    assert every_rule <= set(change.rules)
    assert change.events == {"restraint": 1}


def test_only_that_clients_records_are_read(store_path):
    statements = []
    with AuditStore.open(store_path) as store:
        store.conn.set_trace_callback(statements.append)
        client_progress(store, "client-a")
    reads = [s for s in statements if "FROM records" in s]
    assert reads and all("client_id = 'client-a'" in s for s in reads), reads


def test_text_json_and_html_through_the_cli(store_path):
    text = run_cli("progress", "client-a", "--db", str(store_path))
    assert text.returncode == 0, text.stderr
    assert "2024-01-10  record 2" in text.stdout and "changed since record 2:" in text.stdout
    assert "released from its gate: caregiver-attunement-coaching" in text.stdout
    assert "goal regulate -> relate: met" in text.stdout
    data = json.loads(run_cli("progress", "client-a", "--db", str(store_path), "-f", "json").stdout)
    assert [a["record_id"] for a in data["assessments"]] == [2, 1]
    html = run_cli("progress", "client-a", "--db", str(store_path), "-f", "html").stdout
    assert html.count('class="region-map"') == 2 and "<svg" in html and "<script" not in html
    assert 'class="band band-severe"' in html


def test_renderers_are_deterministic(store_path):
    with AuditStore.open(store_path) as store:
        progress = client_progress(store, "client-a")
    assert render_text(progress) == render_text(progress)
    assert render_html(progress) == render_html(progress)


@pytest.mark.parametrize("client, code, message", [
    ("client-z", "E714", "no assessments of client 'client-z' in the store"),
    ("client-b", "E714", "no assessments of client 'client-b'"),
    ("Jane Doe", "E718", "CLIENT must be a pseudonymous id"),
])
def test_bad_clients_exit_2_with_one_message_and_no_write(store_path, client, code, message):
    before = file_digest(store_path)
    done = run_cli("progress", client, "--db", str(store_path))
    assert done.returncode == 2 and done.stdout == ""
    assert f"error: {code}: {message}" in done.stderr.splitlines()[0], done.stderr
    assert "Jane" not in done.stderr and "Traceback" not in done.stderr
    assert file_digest(store_path) == before


def test_a_missing_store_is_named_and_not_created(tmp_path):
    done = run_cli("progress", "client-a", "--db", str(tmp_path / "none.sqlite"))
    assert done.returncode == 2 and "E701" in done.stderr
    assert not (tmp_path / "none.sqlite").exists()


def _named(tmp_path, previous, name="client-a-review.json"):
    case = json.loads((FIXTURES / name).read_text())
    case["previous_record"] = previous
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    return path


def test_an_assessment_naming_its_previous_one_says_what_changed_since(tmp_path):
    db = tmp_path / "store.sqlite"
    assert run_cli("assess", str(FIXTURES / "client-a-first.json"), "--db", str(db)).returncode == 0
    done = run_cli("assess", str(_named(tmp_path, 1)), "--db", str(db), "-f", "json")
    assert done.returncode == 0, done.stderr
    since = json.loads(done.stdout)["since_previous"]
    assert (since["record_id"], since["assessment_date"]) == (1, "2024-01-10")
    assert {"name": "brainstem", "before": "severe", "after": "mild", "steps": -2} in since["regions"]
    assert "caregiver-attunement-coaching" in {i["intervention"] for i in since["released"]}
    with AuditStore.open(db) as store:
        first, stored = store.get(1), store.get(2)
        assert since["record_hash"] == first.record_hash
        assert stored.plan["since_previous"] == since  # recorded as shown
    text = run_cli("assess", str(_named(tmp_path, 1)), "--db", str(db), "--no-audit").stdout
    assert "SINCE THE PREVIOUS ASSESSMENT (record 1, 2024-01-10)" in text
    replayed = run_cli("audit", "replay", "2", "--db", str(db))
    assert replayed.returncode == 0 and "reproduced" in replayed.stdout
    plain = run_cli("assess", str(FIXTURES / "client-a-review.json"), "--no-audit", "-f", "json")
    assert "since_previous" not in json.loads(plain.stdout)  # unchanged without previous_record


@pytest.mark.parametrize("previous, name, message", [
    (9, "client-a-review.json", "E710: no record 9"),
    (1, "client-b.json", "E739: previous_record 1 is an assessment of another client"),
    (2, "client-a-first.json", "E739: previous_record 2 is dated 2024-04-10, after this assessment"),
])
def test_a_bad_previous_record_exits_2_and_records_nothing(tmp_path, previous, name, message):
    db = tmp_path / "store.sqlite"
    for case in ("client-a-first.json", "client-a-review.json"):
        assert run_cli("assess", str(FIXTURES / case), "--db", str(db)).returncode == 0
    before = file_digest(db)
    done = run_cli("assess", str(_named(tmp_path, previous, name)), "--db", str(db))
    assert done.returncode == 2 and done.stdout == "" and message in done.stderr, done.stderr
    assert file_digest(db) == before
