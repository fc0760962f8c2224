"""A compact audit store (issue #20, part 5): an assessment's input, plan and trace stored packed
(engine/audit/packing.py), every record hash unchanged, stores written before still migrating,
verifying and replaying, damage to the packed bytes found, the derived rows still made and checked.

tests/fixtures/audit/schema5-store.sqlite.gz was written by Groundwork before packing (schema
version 5): three assessments (client-a twice, client-b), feedback on the first, an outcome event
and an exposure period, every field as text.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
import zstandard

import knowledge_base
from engine.audit import chain, integrity, packing, schema
from engine.audit.store import AuditStore
from engine.audit.verify import verify
from engine.intake import validate_assessment
from engine.pipeline import assess
from tests.audit_support import FIXTURES, unguarded
from tests.helpers import EXAMPLES, ROOT, run_here

OLD_STORE = FIXTURES / "schema5-store.sqlite.gz"
# The record hashes of the fixture as Groundwork wrote them before packing (golden: they never move)
GOLDEN = {1: "420ac1bd350ad124a88e2ccfdbc1bd7e92d7bbf2c1afd500d7d248a081be7ba6",
          2: "b5814a104ca44a5feb361b57562324eb0fc078a29399d5bac3e5a3463e10ff8f",
          3: "8823928ee4e5448304f3733426065cd69d748bd540514acb4a44e43eaaea6c3d",
          4: "d38263fe7d5ae1a432fe7cc756d8dac20e0649784b75ecde8a86230164d4aef9",
          5: "cd54aca04dcfe6b16f6dbca865d3bbede31b2dd756cd5a2cf0483dd9745031c6",
          6: "dc5f86b0bddb21b4128408e08eaad3d94749a2dc238d30230644b3b0be2175aa"}
WRITER_SETS = ("id", "hash_format", "recorded_at", "prev_hash", "record_hash")
BAND_ROWS = "SELECT record_id, client_id, assessment_date, region, phase, band, score " \
            "FROM region_bands ORDER BY 1, 4"


@pytest.fixture(autouse=True)
def _no_default_store(tmp_path, monkeypatch):
    monkeypatch.setenv("GROUNDWORK_DB", str(tmp_path / "default.sqlite"))


def _old_store(tmp_path: Path) -> Path:
    db = tmp_path / "old.sqlite"
    with gzip.open(OLD_STORE) as source, db.open("wb") as out:
        shutil.copyfileobj(source, out)
    return db


def _rows(db: Path, query: str, args=()) -> list:
    with sqlite3.connect(db) as conn:
        return conn.execute(query, args).fetchall()


def _written_again(tmp_path: Path, name: str, monkeypatch) -> Path:
    """The fixture's records appended anew by this Groundwork, at the times they were recorded
    first (and their knowledge base copied over)."""
    old = _old_store(tmp_path)
    with sqlite3.connect(old) as conn:
        stored = [dict(zip(chain.FIELDS, row)) for row in conn.execute(
            f"SELECT {', '.join(chain.FIELDS)} FROM records ORDER BY id")]
        sources = conn.execute("SELECT * FROM kb_sources").fetchall()
        files = conn.execute("SELECT * FROM kb_files").fetchall()
    times = iter([fields["recorded_at"] for fields in stored])
    monkeypatch.setattr("engine.audit.store.utc_now", lambda: next(times))
    db = tmp_path / name
    with AuditStore.open(db, mode="create") as store:
        store.conn.executemany("INSERT INTO kb_sources VALUES (?, ?, ?, ?)", sources)
        store.conn.executemany("INSERT INTO kb_files VALUES (?, ?, ?)", files)
        store.append_records([{k: v for k, v in fields.items() if k not in WRITER_SETS}
                              for fields in stored])
    return db


def test_the_same_records_written_now_are_packed_and_keep_their_hashes(tmp_path, monkeypatch):
    db = _written_again(tmp_path, "again.sqlite", monkeypatch)
    assert dict(_rows(db, "SELECT id, record_hash FROM records")) == GOLDEN
    kinds = dict(_rows(db, "SELECT id, kind FROM records"))
    types = _rows(db, "SELECT id, typeof(input_json), typeof(plan_json), typeof(trace_json) "
                      "FROM records ORDER BY id")
    for record_id, *stored in types:
        if kinds[record_id] == "assessment":
            assert stored == ["blob", "blob", "blob"]
        else:  # feedback, outcome, exposure: small fields, kept as text (null where none)
            assert "blob" not in stored
    old = _old_store(tmp_path)
    texts = "SELECT input_json, plan_json, trace_json FROM records ORDER BY id"
    unpacked = [tuple(packing.unpack(value) for value in row) for row in _rows(db, texts)]
    assert unpacked == _rows(old, texts)  # byte for byte
    assert _rows(db, BAND_ROWS) == _rows(old, BAND_ROWS)  # derived from the packed plans alike
    with AuditStore.open(db) as store:
        report = verify(store)
        assert report.intact and report.records == 6, [p.render() for p in report.problems]
        assert store.record(1).plan["provenance"]["input_hash"] == store.record(1).input_hash


def test_packing_is_deterministic(tmp_path, monkeypatch):
    first = _written_again(tmp_path, "first.sqlite", monkeypatch)
    second = _written_again(tmp_path, "second.sqlite", monkeypatch)
    query = "SELECT input_json, plan_json, trace_json FROM records ORDER BY id"
    assert _rows(first, query) == _rows(second, query)
    text = _rows(_old_store(tmp_path), "SELECT plan_json FROM records WHERE id = 1")[0][0]
    assert packing.pack(text) == packing.pack(text)
    frame = zstandard.get_frame_parameters(packing.pack(text))
    assert frame.dict_id == packing.DICTIONARY_ID and frame.has_checksum
    assert frame.content_size == len(text.encode("utf-8"))


def test_a_store_written_before_packing_migrates_verifies_replays_and_grows(tmp_path):
    db = _old_store(tmp_path)
    code, _, err = run_here("audit", "verify", "--db", str(db))
    assert code == 2 and "E705" in err, err  # reading commands never migrate (docs/audit.md)
    code, out, err = run_here("audit", "migrate", "--db", str(db))
    assert code == 0, err
    assert _rows(db, "PRAGMA user_version") == [(schema.CURRENT_VERSION,)]
    assert _rows(db, "SELECT dict_id, sha256 FROM compression_dictionaries") == [
        (packing.DICTIONARY_ID, packing.dictionary_sha256(packing.DICTIONARY_ID))]
    # no row rewritten: the records keep their text and their hashes
    assert dict(_rows(db, "SELECT id, record_hash FROM records")) == GOLDEN
    assert {row[0] for row in _rows(db, "SELECT typeof(plan_json) FROM records")} <= {"text", "null"}
    code, out, err = run_here("audit", "verify", "--db", str(db))
    assert code == 0 and out.startswith("chain intact: 6 records"), out + err
    code, out, err = run_here("audit", "replay", "--all", "--db", str(db))
    assert code in (0, 1) and "Traceback" not in err and "cannot" not in out, out + err
    assert all(f"record {i}:" in out for i in (1, 2, 3)), out
    code, _, err = run_here("assess", str(EXAMPLES / "young-child.json"), "--db", str(db),
                            "--format", "json")
    assert code == 0, err
    assert _rows(db, "SELECT typeof(plan_json) FROM records WHERE id = 7") == [("blob",)]
    assert _rows(db, "SELECT count(*) FROM region_bands WHERE record_id = 7")[0][0] > 0
    code, out, err = run_here("audit", "verify", "--db", str(db))
    assert code == 0 and out.startswith("chain intact: 7 records"), out + err
    code, out, err = run_here("audit", "replay", "7", "--db", str(db))
    assert code == 0 and "reproduced" in out, out + err


def _packed_store(tmp_path: Path) -> Path:
    db = tmp_path / "audit.sqlite"
    for case in ("school-age-child", "adolescent"):
        code, _, err = run_here("assess", str(EXAMPLES / f"{case}.json"), "--db", str(db),
                                "--format", "json")
        assert code == 0, err
    return db


def _flip(value: bytes) -> bytes:
    middle = len(value) // 2
    return value[:middle] + bytes([value[middle] ^ 0x10]) + value[middle + 1:]


def _edited(value: bytes) -> bytes:  # a well-formed frame of another text
    return packing.pack(packing.unpack(value).replace('"severe"', '"mild"', 1))


@pytest.mark.parametrize("damage", [_flip, lambda v: v[:-5], lambda v: v + b"\x00",
                                    lambda v: v[:4] + b"\x00" + v[5:], _edited],
                         ids=["byte flipped", "truncated", "bytes added", "header", "re-packed"])
@pytest.mark.parametrize("column", chain.TEXT_COLUMNS)
def test_packed_bytes_changed_are_found_and_the_record_named(tmp_path, damage, column):
    db = _packed_store(tmp_path)
    conn = unguarded(db)
    value = conn.execute(f"SELECT {column} FROM records WHERE id = 2").fetchone()[0]
    if damage is _edited and '"severe"' not in packing.unpack(value):
        pytest.skip("this field holds no severe band to change")
    conn.execute(f"UPDATE records SET {column} = ? WHERE id = 2", (damage(value),))
    conn.close()
    code, out, err = run_here("audit", "verify", "--db", str(db))
    assert code == 1 and out.startswith("chain broken at record 2"), out + err
    assert re.search(r"record 2: (its \w+ is damaged|its contents do not match its hash)", out), out
    assert "Traceback" not in err
    code, _, err = run_here("assess", str(EXAMPLES / "adult.json"), "--db", str(db))
    assert code == 2 and "E740" in err, err  # and a writer refuses to grow it


def test_region_bands_are_derived_from_packed_plans_and_checked_against_them(tmp_path):
    db = _packed_store(tmp_path)
    with AuditStore.open(db) as store:
        expected = sorted((r.id, region["region"], region["band"]) for r in store.records()
                          for region in r.plan["regions"])
    assert sorted(_rows(db, "SELECT record_id, region, band FROM region_bands")) == expected
    conn = unguarded(db)
    conn.execute("UPDATE region_bands SET band = 'typical' WHERE record_id = 2 AND band != 'typical'")
    conn.execute("DELETE FROM region_bands WHERE record_id = 1 AND region = 'cortex'")
    conn.execute("INSERT INTO region_bands VALUES (9, 'x', '2024-01-01', 'limbic', 'relate', "
                 "'mild', 1.0)")
    conn.close()
    with AuditStore.open(db) as store:
        problems = [p.render() for p in verify(store).problems]
    assert "record 1: its region bands (region_bands, derived for the program report) do not " \
           "match its plan" in problems, problems
    assert any(p.startswith("record 2: its region bands") for p in problems), problems
    assert "region_bands holds bands of record 9, which is not an assessment in the chain" \
        in problems, problems


def test_a_changed_copy_of_the_dictionary_is_found(tmp_path):
    db = _packed_store(tmp_path)
    conn = unguarded(db)
    conn.execute("UPDATE compression_dictionaries SET data = substr(data, 1, 1000)")
    conn.close()
    code, out, _ = run_here("audit", "verify", "--db", str(db))
    assert code == 1 and "compression dictionary 0x47570001 does not match its hash" in out, out
    integrity.head_path(db).unlink()  # even a writer that trusts nothing else checks it
    code, _, err = run_here("assess", str(EXAMPLES / "adult.json"), "--db", str(db))
    assert code == 2 and "E740" in err and "compression dictionary" in err, err


def test_a_packed_field_reads_without_groundwork_as_documented(tmp_path):
    """docs/audit.md's snippet (plain sqlite3 and zstandard) gives the plan's text."""
    db = _packed_store(tmp_path)
    doc = (ROOT / "docs" / "audit.md").read_text(encoding="utf-8")
    snippet = re.search(r"```python\n(# read a packed field.*?)```", doc, re.S).group(1)
    namespace: dict = {}
    exec(compile(snippet, "docs/audit.md", "exec"), namespace)  # noqa: S102 - our own doc
    with AuditStore.open(db) as store:
        assert namespace["field"](str(db), 2, "plan_json") == store.record(2).plan_json


def test_a_record_of_the_examples_mix_takes_at_most_8_kb(tmp_path):
    """The benchmark's bound (bench/audit.py: 5,000 records), here as the growth of the file
    from the 6th to the 30th record: the bundled examples in turn, each its own client."""
    db, kb = tmp_path / "mix.sqlite", knowledge_base.load(None)
    examples = [json.loads(case.read_text(encoding="utf-8"))
                for case in sorted(EXAMPLES.glob("*.json"))]
    sizes = []
    with AuditStore.open(db, mode="create") as store:
        for i in range(30):
            raw = examples[i % len(examples)] | {"client_id": f"B{i:06d}"}
            store.append_assessment(assess(validate_assessment(raw, "case", kb), raw, kb), raw, kb)
            if i in (5, 29):
                store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                sizes.append(db.stat().st_size)
    per_record = (sizes[1] - sizes[0]) / 24
    assert per_record <= 8 * 1024, per_record
