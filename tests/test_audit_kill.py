"""Nothing lost: a writer killed with SIGKILL mid-write leaves a valid store and no half record."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys

from engine.audit.store import AuditStore
from engine.audit.verify import verify
from tests.helpers import CORE_KB, ROOT

RECORDS_PER_ROUND = 25


def _writer(db, *args) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "tests.audit_writer", str(db), *args], cwd=ROOT,
                            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def _kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stdout.close()
    process.stdin.close()
    assert process.returncode == -signal.SIGKILL


def _check(db) -> tuple[int, int]:
    """The store is intact, with no record missing a part: (records, knowledge bases)."""
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    with AuditStore.open(db) as store:
        report = verify(store)
        assert report.intact, [p.render() for p in report.problems]
        for record in store.iter_records():
            assert record.input_json and record.plan_json and record.trace_json and record.record_hash
        return report.records, report.knowledge_bases


def test_a_writer_killed_during_a_batch_leaves_a_valid_store(tmp_path):
    db = tmp_path / "audit.sqlite"
    written = 0
    for _ in range(3):  # each round appends to what the killed round left
        process = _writer(db, "loop")
        assert process.stdout.readline() == "ready\n"
        last = 0
        while last < written + RECORDS_PER_ROUND:
            last = int(process.stdout.readline())
        _kill(process)  # the writer is busy with the next record by now
        records, _ = _check(db)
        assert records >= last  # every record it reported is there...
        written = records  # ...and whatever it had not finished is wholly absent


def test_a_writer_killed_between_writing_and_committing_leaves_nothing(tmp_path):
    db = tmp_path / "audit.sqlite"
    process = _writer(db, "loop")
    process.stdout.readline()
    process.stdout.readline()
    _kill(process)
    before = _check(db)
    kb_dir = tmp_path / "kb"
    shutil.copytree(CORE_KB, kb_dir)
    with (kb_dir / "00-model.gw").open("a") as stream:
        stream.write("\n# a new knowledge base: its source is written in the same transaction\n")
    process = _writer(db, "hang", kb_dir)
    assert process.stdout.readline() == "mid-write\n"
    _kill(process)
    assert _check(db) == before  # neither the record nor the new knowledge base's source


def test_two_writers_at_once_keep_one_unbroken_chain(tmp_path):
    db = tmp_path / "audit.sqlite"
    first = _writer(db, "loop")
    assert first.stdout.readline() == "ready\n"  # the store exists before the second one starts
    second = _writer(db, "loop")
    assert second.stdout.readline() == "ready\n"
    ids = {process: [int(process.stdout.readline()) for _ in range(15)] for process in (first, second)}
    _kill(first)
    _kill(second)
    assert not set(ids[first]) & set(ids[second])  # no id handed out twice
    records, _ = _check(db)
    assert records >= 30
