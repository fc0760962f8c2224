"""The audit store itself: where it lives, how it opens, what it refuses, append-only, migrations."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3

import pytest

from dsl.errors import GroundworkError
from engine.audit import chain, schema
from engine.audit.store import AuditStore, default_db_path
from engine.pipeline import canonical_json
from tests.audit_support import FIXTURES, file_digest, record_case, small_store
from tests.helpers import CORE_KB


def test_default_path_is_under_the_users_data_directory(tmp_path):
    assert default_db_path({"HOME": "/h"}).parts[-3:] == ("share", "groundwork", "audit.sqlite")
    assert default_db_path({"XDG_DATA_HOME": "/data"}) == default_db_path(
        {"XDG_DATA_HOME": "/data", "GROUNDWORK_DB": ""})
    assert str(default_db_path({"XDG_DATA_HOME": "/data"})) == "/data/groundwork/audit.sqlite"
    assert str(default_db_path({"XDG_DATA_HOME": "/data", "GROUNDWORK_DB": "/x.db"})) == "/x.db"


def test_the_test_suite_never_uses_the_users_store(tmp_path):
    assert default_db_path() == tmp_path / "audit.sqlite"


def test_a_new_store_is_wal_versioned_private_and_marked_as_ours(tmp_path):
    path = small_store(tmp_path / "a.sqlite")
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.CURRENT_VERSION
    assert conn.execute("PRAGMA application_id").fetchone()[0] == schema.APPLICATION_ID
    assert os.stat(path).st_mode & 0o077 == 0


def test_records_are_chained_and_numbered_from_one(tmp_path):
    with AuditStore.open(small_store(tmp_path / "a.sqlite")) as store:
        records = store.records()
        assert [r.id for r in records] == [1, 2, 3]
        assert records[0].prev_hash == chain.GENESIS
        assert [r.prev_hash for r in records[1:]] == [r.record_hash for r in records[:-1]]
        assert all(chain.record_hash(r.fields()) == r.record_hash for r in records)
        assert store.head() == (3, records[-1].record_hash)


def test_an_assessment_record_holds_everything_needed_to_replay_it(tmp_path):
    with AuditStore.open(small_store(tmp_path / "a.sqlite")) as store:
        record = store.record(1)
        raw = json.loads((FIXTURES / "client-a-first.json").read_text())
        assert record.input == raw and record.input_json == canonical_json(raw)
        assert record.plan["provenance"]["input_hash"] == record.input_hash
        assert record.client_id == "client-a" and record.assessor_id == "clin-07"
        assert record.trace["firings"] and record.trace["facts"]["brainstem.band"] == "severe"
        assert record.recorded_at.endswith("Z")
        files = store.kb_files(record.kb_hash)
        assert "instrument.toml" in files and any(p.endswith(".gw") for p in files)
        assert chain.files_hash(files) == record.kb_hash


def test_the_knowledge_base_source_is_stored_once_per_content_hash(tmp_path):
    with AuditStore.open(small_store(tmp_path / "a.sqlite")) as store:
        assert len(store.kb_sources()) == 1
        count = store.conn.execute("SELECT count(*) FROM kb_files").fetchone()[0]
        assert count == len(store.kb_files(store.record(1).kb_hash))


@pytest.mark.parametrize("statement", [
    "UPDATE records SET client_id = 'x' WHERE id = 1",
    "DELETE FROM records WHERE id = 3",
    "UPDATE kb_files SET data = x'00'",
    "DELETE FROM kb_sources",
])
def test_the_store_refuses_updates_and_deletes(tmp_path, statement):
    path = small_store(tmp_path / "a.sqlite")
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(statement)


def test_migrating_a_current_store_changes_nothing(tmp_path):
    path = small_store(tmp_path / "a.sqlite")
    before = file_digest(path)
    with AuditStore.open(path, mode="append") as store:
        assert schema.migrate(store.conn) == 0
    assert file_digest(path) == before


def _bad_store(tmp_path, kind):
    path = tmp_path / "bad.sqlite"
    if kind == "directory":
        path.mkdir()
    elif kind == "text file":
        path.write_text("not a database\n")
    elif kind == "empty file":
        path.write_bytes(b"")
    elif kind == "other sqlite":
        sqlite3.connect(path).execute("CREATE TABLE t (x)")
    elif kind == "newer store":
        small_store(path)
        sqlite3.connect(path).execute(f"PRAGMA user_version = {schema.CURRENT_VERSION + 1}")
    return path


@pytest.mark.parametrize("kind, code", [
    ("missing", "E701"), ("directory", "E700"), ("text file", "E702"), ("empty file", "E703"),
    ("other sqlite", "E703"), ("newer store", "E704"),
])
def test_a_bad_store_path_is_refused_and_left_as_it_was(tmp_path, kind, code):
    path = _bad_store(tmp_path, kind)
    before = file_digest(path) if path.is_file() else None
    with pytest.raises(GroundworkError) as caught:
        AuditStore.open(path)
    assert caught.value.first.code == code and caught.value.first.path == str(path)
    assert (file_digest(path) if path.is_file() else None) == before
    assert not (tmp_path / "bad.sqlite-wal").exists() or kind == "newer store"


@pytest.mark.parametrize("kind", ["directory", "text file", "other sqlite", "newer store"])
def test_writing_to_a_bad_store_path_is_refused_too(tmp_path, kind):
    path = _bad_store(tmp_path, kind)
    before = file_digest(path) if path.is_file() else None
    with pytest.raises(GroundworkError):
        AuditStore.open(path, mode="create")
    assert (file_digest(path) if path.is_file() else None) == before


def test_a_missing_directory_is_not_created_for_an_explicit_path(tmp_path):
    with pytest.raises(GroundworkError) as caught:
        AuditStore.open(tmp_path / "no" / "such" / "a.sqlite", mode="create")
    assert caught.value.first.code == "E706"
    assert not (tmp_path / "no").exists()


def test_the_default_store_is_created_with_its_directories(tmp_path, monkeypatch):
    monkeypatch.delenv("GROUNDWORK_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with AuditStore.open(mode="create") as store:
        record_case(store, FIXTURES / "client-b.json")
    assert (tmp_path / "data" / "groundwork" / "audit.sqlite").is_file()


def test_a_failed_write_leaves_no_trace(tmp_path, monkeypatch):
    """The KB source and the record go in one transaction: a failure between them keeps neither."""
    kb_dir = tmp_path / "kb"
    shutil.copytree(CORE_KB, kb_dir)
    with (kb_dir / "00-model.gw").open("a") as stream:
        stream.write("\n# a changed knowledge base\n")
    path = small_store(tmp_path / "a.sqlite")
    before = file_digest(path)

    def fail(fields):
        raise RuntimeError("simulated failure after the KB source was inserted")
    monkeypatch.setattr(chain, "record_hash", fail)
    with AuditStore.open(path, mode="append") as store:
        with pytest.raises(RuntimeError):
            record_case(store, FIXTURES / "client-b.json", kb_dir)
        assert store.head()[0] == 3 and len(store.kb_sources()) == 1
    assert file_digest(path) == before


def test_the_stored_source_follows_the_content_hash_if_it_ever_covers_more_files(tmp_path, monkeypatch):
    """Should dsl/kb.py one day hash more than rule files and the instrument, replay still works."""
    import hashlib
    from types import SimpleNamespace

    from engine.audit.store import kb_source_files

    def hash_everything(root):
        digest = hashlib.sha256()
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            digest.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
        return digest.hexdigest()
    kb_dir = tmp_path / "kb"
    shutil.copytree(CORE_KB, kb_dir)
    (kb_dir / "policies.toml").write_text("# a file a future knowledge base might need\n")
    monkeypatch.setattr(chain, "content_hash", hash_everything)
    files = kb_source_files(SimpleNamespace(root=str(kb_dir), content_hash=hash_everything(kb_dir)))
    assert "policies.toml" in files and "instrument.toml" in files
    with pytest.raises(GroundworkError) as caught:
        kb_source_files(SimpleNamespace(root=str(kb_dir), content_hash="0" * 64))
    assert caught.value.first.code == "E717"


def test_a_record_has_exactly_the_hashed_fields():
    import dataclasses

    from engine.audit.store import Record
    assert tuple(f.name for f in dataclasses.fields(Record)) == chain.FIELDS
