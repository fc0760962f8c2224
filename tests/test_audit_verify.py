"""`audit verify`: any change to any stored field of any record is found and the record named."""

from __future__ import annotations

import shutil

import pytest

from engine.audit import chain
from engine.audit.store import AuditStore
from engine.audit.verify import verify
from tests.audit_support import small_store, unguarded

RECORDS = {1: "first assessment", 2: "middle assessment", 3: "last record, feedback"}
INTEGER_FIELDS = {"id", "hash_format", "drafts", "target_id"}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return small_store(tmp_path_factory.mktemp("audit") / "pristine.sqlite")


@pytest.fixture
def store_path(pristine, tmp_path):
    path = tmp_path / "store.sqlite"
    shutil.copy(pristine, path)
    return path


def _report(path, expect_head=None):
    with AuditStore.open(path) as store:
        return verify(store, expect_head)


def _tampered_value(field, value, kind):
    if field == "kind":  # the schema only admits the two kinds: swap them
        return "feedback" if kind == "assessment" else "assessment"
    if field in INTEGER_FIELDS:
        return 1 if value is None else value + 1000
    if field in ("record_hash", "prev_hash"):
        return ("f" if value[0] != "f" else "e") + value[1:]
    if isinstance(value, bytes):  # an assessment's packed input, plan or trace: one bit flipped
        middle = len(value) // 2
        return value[:middle] + bytes([value[middle] ^ 1]) + value[middle + 1:]
    return "x" if value is None else value + " "


def test_an_untouched_store_verifies(store_path):
    report = _report(store_path)
    assert report.intact and report.records == 3 and report.knowledge_bases == 1
    assert not report.warnings


@pytest.mark.parametrize("record_id", RECORDS, ids=RECORDS.values())
@pytest.mark.parametrize("field", chain.FIELDS)
def test_changing_any_field_of_any_record_is_found_and_named(store_path, record_id, field):
    conn = unguarded(store_path)
    kind, value = conn.execute(f"SELECT kind, {field} FROM records WHERE id = ?", (record_id,)).fetchone()
    new = _tampered_value(field, value, kind)
    conn.execute(f"UPDATE records SET {field} = ? WHERE id = ?", (new, record_id))
    conn.close()
    now_id = new if field == "id" else record_id
    report = _report(store_path)
    assert not report.intact
    assert now_id in {p.record_id for p in report.problems}, [p.render() for p in report.problems]
    assert report.warnings  # the dropped triggers are noticed as well


def test_the_first_problem_is_where_the_chain_first_breaks(store_path):
    conn = unguarded(store_path)
    conn.execute("UPDATE records SET client_id = 'someone-else' WHERE id = 2")
    conn.close()
    problems = _report(store_path).problems
    assert problems[0].record_id == 2
    assert "changed after it was written" in problems[0].message


def test_a_removed_record_breaks_the_link_of_the_next(store_path):
    conn = unguarded(store_path)
    conn.execute("DELETE FROM records WHERE id = 2")
    conn.close()
    problems = _report(store_path).problems
    assert problems[0].record_id == 3
    assert any("does not link to record 1" in p.message for p in problems)


@pytest.mark.parametrize("change", ["edit", "delete", "add"])
def test_a_changed_knowledge_base_source_is_found_with_the_records_using_it(store_path, change):
    conn = unguarded(store_path)
    if change == "edit":
        conn.execute("UPDATE kb_files SET data = data || x'20' WHERE path = 'instrument.toml'")
    elif change == "delete":
        conn.execute("DELETE FROM kb_files WHERE path = 'instrument.toml'")
    else:
        conn.execute("INSERT INTO kb_files SELECT kb_hash, 'zz-extra.gw', x'2320' FROM kb_sources")
    conn.close()
    problems = _report(store_path).problems
    assert problems and problems[0].record_id == 1
    assert "used by records 1, 2" in problems[0].message


def test_cutting_off_the_newest_record_is_found_with_the_head_noted_earlier(store_path):
    head = _report(store_path).head_hash
    conn = unguarded(store_path)
    conn.execute("DELETE FROM records WHERE id = 3")
    # (the report's running total of responses would give the cut away: a careful editor fixes it)
    conn.execute("DELETE FROM latest_feedback WHERE record_id = 3")
    conn.close()
    assert _report(store_path).intact  # a chain cannot know its own end...
    report = _report(store_path, expect_head=head)  # ...the reviewer's note does
    assert not report.intact
    assert "cut off or rewritten at the end" in report.problems[-1].message


def test_rewriting_the_newest_record_with_a_fresh_hash_is_found_with_the_head(store_path):
    head = _report(store_path).head_hash
    with AuditStore.open(store_path) as store:
        fields = store.record(3).fields()
    fields["reason"] = "already_in_place"
    conn = unguarded(store_path)
    conn.execute("UPDATE records SET reason = ?, record_hash = ? WHERE id = 3",
                 (fields["reason"], chain.record_hash(fields)))
    conn.execute("UPDATE latest_feedback SET reason = ? WHERE record_id = 3", (fields["reason"],))
    conn.close()
    assert _report(store_path).intact
    assert not _report(store_path, expect_head=head).intact


def test_an_older_head_is_still_in_a_grown_chain(store_path):
    with AuditStore.open(store_path) as store:
        older = store.record(2).record_hash
    assert _report(store_path, expect_head=older).intact
    assert _report(store_path, expect_head=chain.GENESIS).intact


@pytest.mark.parametrize("edit", [
    "UPDATE latest_feedback SET outcome = 'accepted', reason = NULL",
    "INSERT INTO event_month_counts VALUES ('2026-01', 'home', 'restraint', 3)",
    "UPDATE region_spans SET last_band = 'typical'",
])
def test_the_program_reports_running_totals_are_checked_against_their_records(store_path, edit):
    conn = unguarded(store_path)
    changed = conn.execute(edit).rowcount
    conn.close()
    assert changed
    report = _report(store_path)
    table = edit.split()[2] if edit.startswith("INSERT") else edit.split()[1]
    assert [p.message for p in report.problems] == [
        f"the program report's totals in {table} do not match the records they total: the store "
        "was changed outside Groundwork"]
