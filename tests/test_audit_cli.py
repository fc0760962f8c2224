"""The audit commands as a reviewer uses them, and every bad input: exit 2, one clear message,
the store untouched."""

from __future__ import annotations

import json
import re
import sqlite3
import sys

import pytest

from engine.audit import chain
from engine.audit.export import check_bundle
from engine.audit.store import AuditStore
from groundwork.cli import main
from tests.audit_support import FIXTURES, file_digest, small_store, unguarded
from tests.helpers import ROOT, run_cli

COMMENT = "a comment that could name someone"


@pytest.fixture
def gw(capsys, monkeypatch):
    """`groundwork ARGS` in this process through main(): (exit code, stdout, stderr)."""
    def run(*args):
        monkeypatch.setattr(sys, "argv", ["groundwork", *map(str, args)])
        code = 0
        try:
            main()
        except SystemExit as done:
            code = done.code or 0
        out = capsys.readouterr()
        return code, out.out, out.err
    return run


@pytest.fixture
def db(tmp_path):
    return small_store(tmp_path / "store.sqlite")


def _case(name):
    return str((FIXTURES / f"{name}.json").relative_to(ROOT))


def test_assess_appends_one_record_and_says_so_on_one_stderr_line(tmp_path):
    db = tmp_path / "a.sqlite"
    recorded = run_cli("assess", _case("client-a-first"), "--db", str(db))
    assert recorded.returncode == 0, recorded.stderr
    line = recorded.stderr.strip()
    assert re.fullmatch(r"audit record 1 \(head [0-9a-f]{12}\)", line)
    head = run_cli("audit", "head", "--db", str(db)).stdout.strip()
    assert chain.is_hash(head) and line.endswith(f"(head {head[:12]})")
    unrecorded = run_cli("assess", _case("client-a-first"), "--db", str(db), "--no-audit")
    assert unrecorded.stdout == recorded.stdout and unrecorded.stderr == ""
    assert run_cli("audit", "head", "--db", str(db)).stdout.strip() == head


def test_no_audit_creates_no_store(tmp_path):
    db = tmp_path / "never.sqlite"
    assert run_cli("assess", _case("client-b"), "--no-audit", "--db", str(db)).returncode == 0
    assert not db.exists()


def test_assess_with_bad_input_records_nothing(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    db = tmp_path / "a.sqlite"
    result = run_cli("assess", str(bad), "--db", str(db))
    assert result.returncode == 2 and not db.exists()


def test_assess_into_a_file_that_is_not_a_store_prints_no_plan(tmp_path):
    db = tmp_path / "notes.txt"
    db.write_text("my notes\n")
    result = run_cli("assess", _case("client-b"), "--db", str(db))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"{db}: error: E702:")
    assert db.read_text() == "my notes\n"


def test_show_answers_how_the_plan_was_reached(gw, db):
    code, text, _ = gw("audit", "show", 1, "--db", db)
    assert code == 0
    code, plan_json, _ = gw("audit", "show", 1, "--db", db, "--format", "json")
    record = json.loads(plan_json)
    for value in (record["input_hash"], record["kb_hash"], record["kb_name"], record["kb_version"],
                  record["engine_version"], record["record_hash"], record["prev_hash"]):
        assert value in text
    for firing in record["trace"]["firings"]:
        assert f"{firing['rule_id']} v{firing['rule_version']}" in text
        for matched in firing["matched"]:
            assert f"{matched['fact']} = " in text
    for phase in record["plan"]["phases"]:
        for rec in phase["recommendations"]:
            assert f"[{rec['intervention']}]" in text
    assert "THE PLAN AS GIVEN TO THE CLINICIAN" in text
    assert "overridden (client_declined" in text and COMMENT in text  # feedback, shown to the reviewer
    assert record["feedback"][0]["reason"] == "client_declined"


def test_show_html_is_a_page_with_everything_escaped(gw, db):
    code, page, _ = gw("audit", "show", 1, "--db", db, "--format", "html")
    assert code == 0 and page.startswith("<!DOCTYPE html>")
    assert "HOW THIS PLAN WAS REACHED" in page and "<script" not in page
    assert "&gt;" in page  # conditions such as `brainstem.band >= moderate` are escaped


def test_list_filters_by_client_and_date(gw, db):
    code, everything, _ = gw("audit", "list", "--db", db)
    assert code == 0 and len(everything.splitlines()) == 3 and COMMENT not in everything
    _, mine, _ = gw("audit", "list", "--db", db, "--client", "client-a", "--format", "json")
    assert [r["id"] for r in json.loads(mine)] == [1, 2, 3]
    assert all("comment" not in r for r in json.loads(mine))
    _, future, _ = gw("audit", "list", "--db", db, "--since", "2999-01-01")
    assert future == "no records\n"
    _, past, _ = gw("audit", "list", "--db", db, "--since", "2000-01-01T00:00:00+02:00")
    assert past == everything


def test_feedback_is_its_own_chained_record_and_never_echoes_the_comment(gw, db):
    code, out, err = gw("audit", "feedback", 2, "--db", db, "x", "accepted")
    assert code == 2  # 'x' is not in the plan of record 2
    with AuditStore.open(db) as store:
        intervention = store.record(2).plan["deferred"][0]["intervention"]
    code, out, err = gw("audit", "feedback", 2, intervention, "overridden", "--reason",
                        "not_appropriate_now", "--comment", "Ms Example said no", "--by", "clin-09",
                        "--db", db)
    assert code == 0 and out.startswith("audit record 4:") and "Ms Example" not in out + err
    code, verified, _ = gw("audit", "verify", "--db", db)
    assert code == 0 and "4 records" in verified


def test_export_is_self_contained_and_leaves_comments_out_unless_asked(gw, db, tmp_path):
    out = tmp_path / "bundle.json"
    code, _, _ = gw("audit", "export", 1, "--out", out, "--db", db)
    bundle = json.loads(out.read_text())
    assert code == 0 and COMMENT not in out.read_text()
    assert [r["id"] for r in bundle["records"]] == [1, 3]  # the feedback on record 1 comes along
    assert bundle["records"][1]["comment_omitted"] is True
    assert bundle["knowledge_bases"][0]["kb_hash"] == bundle["records"][0]["kb_hash"]
    assert check_bundle(bundle) == []  # every hash checks without the store (and without the comment)
    code, with_comments, _ = gw("audit", "export", 1, "--include-comments", "--db", db)
    full = json.loads(with_comments)
    assert COMMENT in with_comments and check_bundle(full) == []
    full["records"][0]["plan_json"] += " "
    assert check_bundle(full) == ["record 1: its contents do not match its hash"]


def test_history_shows_the_change_in_each_regions_band(gw, db):
    code, text, _ = gw("audit", "history", "client-a", "--db", db)
    assert code == 0
    assert "brainstem     severe -> mild (2 bands better)" in text
    _, data, _ = gw("audit", "history", "client-a", "--db", db, "--format", "json")
    first, second = json.loads(data)["assessments"]
    brainstem = next(r for r in second["regions"] if r["region"] == "brainstem")
    assert brainstem["previous_band"] == "severe" and brainstem["band_steps"] == -2


def test_verify_exits_1_and_names_the_record(gw, db):
    code, out, _ = gw("audit", "verify", "--db", db)
    assert code == 0 and out.startswith("chain intact: 3 records")
    conn = unguarded(db)
    conn.execute("UPDATE records SET assessor_id = 'clin-99' WHERE id = 2")
    conn.close()
    code, out, err = gw("audit", "verify", "--db", db)
    assert code == 1 and out.startswith("chain broken at record 2")
    assert "record 2: its contents do not match its hash" in out
    assert "append-only triggers were removed" in err


BAD_INPUTS = [
    (("show", "99"), "E710", "no record 99 (records are 1 to 3)"),
    (("replay", "3"), "E711", "record 3 is feedback, not assessment"),
    (("list", "--since", "2024-13-01"), "E713", "is not a date"),
    (("list", "--client", "Jane Example"), "E718", "must be a pseudonymous id"),
    (("list", "--client", "client-z"), "E714", "no records of client 'client-z'"),
    (("history", "client-z"), "E714", "no assessments of client 'client-z'"),
    (("feedback", "1", "rhythmic-drumming", "overridden", "--reason", "bogus"), "E723",
     "unknown override reason 'bogus'"),
    (("feedback", "1", "rhythmic-drumming", "overridden", "--reason", "the mother refused"), "E723",
     "unknown override reason"),
    (("feedback", "1", "rhythmic-drumming", "overridden"), "E721", "an override needs --reason"),
    (("feedback", "1", "rhythmic-drumming", "accepted", "--reason", "other"), "E722", "only when overriding"),
    (("feedback", "1", "rhythmic-drumming", "maybe"), "E720", "unknown outcome"),
    (("feedback", "99", "rhythmic-drumming", "accepted"), "E710", "no record 99"),
    (("feedback", "1", "no-such-thing", "accepted"), "E712", "is not in the plan of record 1"),
    (("feedback", "1", "rhythmic-drumming", "accepted", "--by", "Dr Example"), "E718", "pseudonymous"),
    (("verify", "--expect-head", "3fa2"), "E715", "64-character hex hash"),
    (("export", "1", "99"), "E710", "no record 99"),
    (("replay", "1", "--kb", "/no/such/kb"), "E100", "knowledge base directory not found"),
]


@pytest.mark.parametrize("args, code, message", BAD_INPUTS, ids=[" ".join(a) for a, _, _ in BAD_INPUTS])
def test_bad_input_exits_2_with_one_clear_message_and_leaves_the_store_untouched(
        gw, db, args, code, message, tmp_path):
    before = file_digest(db)
    exit_code, out, err = gw("audit", *args, "--db", db, *(("--out", tmp_path / "x.json")
                                                             if args[0] == "export" else ()))
    assert exit_code == 2, (out, err)
    assert code in err.splitlines()[0] and message in err, err
    assert "Traceback" not in err and "the mother" not in err and "Dr Example" not in err
    assert out == "" and not (tmp_path / "x.json").exists()
    assert file_digest(db) == before


@pytest.mark.parametrize("args", [("show", "one"), ("feedback", "1"), ("show", "1", "--format", "pdf")])
def test_usage_errors_exit_2(gw, db, args):
    assert gw("audit", *args, "--db", db)[0] == 2


@pytest.mark.parametrize("command", ["list", "show 1", "head", "verify", "replay 1", "export 1",
                                     "history client-a", "feedback 1 x accepted"])
def test_every_command_refuses_a_missing_or_foreign_store(gw, tmp_path, command):
    missing = tmp_path / "missing.sqlite"
    code, _, err = gw("audit", *command.split(), "--db", missing)
    assert code == 2 and "E701" in err and not missing.exists()
    foreign = tmp_path / "foreign.sqlite"
    sqlite3.connect(foreign).execute("CREATE TABLE notes (x)")
    before = file_digest(foreign)
    code, _, err = gw("audit", *command.split(), "--db", foreign)
    assert code == 2 and "E703" in err and file_digest(foreign) == before


def test_show_still_shows_a_plan_stored_in_an_older_plan_format(db):
    import dataclasses

    from engine.audit.store import AuditStore
    from explain.audit import record_html, record_text
    with AuditStore.open(db) as store:
        record = store.record(1)
    plan = record.plan
    del plan["review"]  # as if today's plan model had gained a required field since
    older = dataclasses.replace(record, plan_json=json.dumps(plan))
    text = record_text(older, [])
    assert "cannot render" in text and '"phases"' in text and "Rule firings" in text
    assert record_html(older, []).startswith("<!DOCTYPE html>")
