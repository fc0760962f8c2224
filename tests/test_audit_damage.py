"""A store that refuses to grow on damage (issue #18): a damaged, truncated or replaced store is
refused by every writer (exit 2, a store error naming the damage and the way back), nothing is
written to it, and `audit verify` names the damage with exit 1, never E399."""

from __future__ import annotations

import random
import shutil
import sqlite3

import pytest

from engine.audit import integrity
from engine.audit.store import AuditStore
from tests.audit_support import FIXTURES, record_case, unpacked
from tests.helpers import EXAMPLES, run_here

CASE = str(EXAMPLES / "school-age-child.json")


@pytest.fixture(autouse=True)
def _no_default_store(tmp_path, monkeypatch):
    monkeypatch.setenv("GROUNDWORK_DB", str(tmp_path / "default.sqlite"))


def _store(path):
    """Four assessments written as `groundwork assess` writes them (head file included)."""
    for case in ("school-age-child", "adolescent", "adult", "young-child"):
        code, _, err = run_here("assess", str(EXAMPLES / f"{case}.json"), "--db", str(path),
                                "--format", "json")
        assert code == 0, err
    return path


def _assess(db):
    return run_here("assess", CASE.replace("school-age-child", "child-in-crisis"), "--db", str(db),
                    "--format", "json")


def _records(db) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM records").fetchone()[0]


def test_a_store_corrupted_at_random_offsets_is_never_written_to(tmp_path):
    base = _store(tmp_path / "base.sqlite")
    size = base.stat().st_size
    rng = random.Random(18)
    refused = 0
    for copy in range(24):
        damaged = tmp_path / f"damaged-{copy}.sqlite"
        shutil.copy(base, damaged)
        shutil.copy(integrity.head_path(base), integrity.head_path(damaged))
        with damaged.open("r+b") as stream:
            stream.seek(rng.randrange(100, size - 64))  # past SQLite's header: E702 covers that
            stream.write(bytes(rng.randrange(256) for _ in range(64)))
        before = damaged.read_bytes()
        code, out, err = _assess(damaged)
        verified, report, verify_err = run_here("audit", "verify", "--db", str(damaged))
        assert "E399" not in err + verify_err + report and "Traceback" not in err + verify_err
        if code == 0:  # the bytes were in free space: nothing is damaged, verify agrees
            assert verified == 0, report
            continue
        refused += 1
        assert code == 2 and out == "", err
        assert "E740" in err or "E702" in err or "E709" in err, err
        assert "restore the store from a backup" in err or "restore the file from a backup" in err
        assert damaged.read_bytes() == before, "nothing was written"
        assert verified == 1, report
        assert "damaged" in report or "chain broken" in report, report
    # The rest fell in unused space (a page's free bytes): nothing to find, and verify agrees.
    # With this seed 18 of 24 copies are damaged where it matters.
    assert refused >= 15, refused


def test_a_store_truncated_to_zero_bytes_is_refused_not_restarted(tmp_path):
    db = _store(tmp_path / "audit.sqlite")
    db.write_bytes(b"")
    code, out, err = _assess(db)
    assert code == 2 and out == ""
    assert "E741: the store is an empty file, but it held 4 records" in err, err
    assert "restore the store from a backup" in err
    assert db.read_bytes() == b""
    verified, report, _ = run_here("audit", "verify", "--db", str(db))
    assert verified == 1 and report.startswith("store damaged: ") and "E741" in report, report


def test_an_older_copy_put_back_is_refused_until_accepted(tmp_path):
    db = tmp_path / "audit.sqlite"
    _assess_ok = run_here("assess", CASE, "--db", str(db), "--format", "json")
    assert _assess_ok[0] == 0
    older = tmp_path / "older.sqlite"
    shutil.copy(db, older)
    _store(db)
    shutil.copy(older, db)  # the store replaced by an older copy: records 2-4 are gone
    for name in ("audit.sqlite-wal", "audit.sqlite-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    code, _, err = _assess(db)
    assert code == 2 and "E741: the head last written here (record" in err, err
    assert "is not in it; it ends at record 1" in err
    assert _records(db) == 1
    verified, report, _ = run_here("audit", "verify", "--db", str(db))
    assert verified == 1 and "is not in the chain" in report, report
    integrity.head_path(db).unlink()  # the documented way to accept a restore
    assert _assess(db)[0] == 0 and _records(db) == 2


def test_a_record_rewritten_with_its_hash_recomputed_is_caught_by_the_head_file(tmp_path):
    """Rewriting the last record and its hash (triggers dropped) leaves a chain that links; the
    head written here still names the old hash."""
    from engine.audit import chain
    db = _store(tmp_path / "audit.sqlite")
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER records_no_update")
        row = unpacked(dict(zip(chain.FIELDS, conn.execute(
            f"SELECT {', '.join(chain.FIELDS)} FROM records WHERE id = 4").fetchone())))
        row["client_id"] = "SOMEONE-ELSE"
        row["record_hash"] = chain.record_hash(row)
        conn.execute("UPDATE records SET client_id = ?, record_hash = ? WHERE id = 4",
                     (row["client_id"], row["record_hash"]))
    code, _, err = _assess(db)
    assert code == 2 and "E741" in err and "has another hash there" in err, err


def test_a_damaged_record_inside_the_chain_is_found_when_the_file_changed(tmp_path):
    db = _store(tmp_path / "audit.sqlite")
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER records_no_update")
        conn.execute("UPDATE records SET assessor_id = 'X' WHERE id = 2")
    code, _, err = _assess(db)
    assert code == 2 and "E740: the store is damaged: record 2 does not match its hash" in err, err
    assert _records(db) == 4


def test_verify_reports_an_unreadable_store_as_damage_with_exit_1(tmp_path):
    db = _store(tmp_path / "audit.sqlite")
    data = bytearray(db.read_bytes())
    data[0:16] = b"garbage garbage!"
    db.write_bytes(bytes(data))
    verified, report, err = run_here("audit", "verify", "--db", str(db))
    assert verified == 1 and report.startswith("store damaged: "), report + err
    assert "E399" not in report + err


def test_verify_of_a_store_damaged_while_reading_never_says_internal_error(tmp_path):
    """The chain walk is a generator: a database error inside it is a store problem (exit 1)."""
    db = tmp_path / "audit.sqlite"
    with AuditStore.open(db, mode="create") as store:
        for _ in range(3):
            record_case(store, FIXTURES / "client-a-first.json")
            record_case(store, FIXTURES / "client-a-review.json")
    size = db.stat().st_size
    with db.open("r+b") as stream:  # zero the second half: pages the walk reaches late
        stream.seek(size // 2)
        stream.write(bytes(size - size // 2))
    verified, report, err = run_here("audit", "verify", "--db", str(db))
    assert verified == 1, report + err
    assert "damaged" in report and "E399" not in report + err


def test_rendering_a_recorded_assessment_again_adds_no_record(tmp_path):
    db = tmp_path / "audit.sqlite"
    outputs = []
    for fmt in ("text", "json", "html", "dot", "text"):
        code, out, err = run_here("assess", CASE, "--db", str(db), "--format", fmt)
        assert code == 0, err
        outputs.append(out)
    assert _records(db) == 1
    assert outputs[0] == outputs[-1]
    code, _, _ = run_here("assess", CASE, "--db", str(db), "--drafts", "--format", "json")
    assert code == 0 and _records(db) == 2, "another run of the rules is another record"


# ---- anchors: a rewrite of history that recomputed every hash ----

def _rewrite_history(db, record_id: int) -> None:
    """What someone who can write the store can do: change a record and recompute every later
    hash and link (triggers dropped), and rewrite the head file to match."""
    from engine.audit import chain
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER records_no_update")
        rows = [unpacked(dict(zip(chain.FIELDS, row))) for row in conn.execute(
            f"SELECT {', '.join(chain.FIELDS)} FROM records ORDER BY id")]
        prev = chain.GENESIS
        for row in rows:
            if row["id"] == record_id:
                row["assessor_id"] = "SOMEONE-ELSE"
            row["prev_hash"] = prev
            row["record_hash"] = chain.record_hash(row)
            conn.execute("UPDATE records SET assessor_id = ?, prev_hash = ?, record_hash = ? "
                         "WHERE id = ?", (row["assessor_id"], row["prev_hash"], row["record_hash"],
                                          row["id"]))
            prev = row["record_hash"]
    integrity.write_head(db, integrity.Head(rows[-1]["id"], prev))


def test_a_signed_anchor_catches_a_rewrite_the_chain_cannot(tmp_path):
    db = _store(tmp_path / "audit.sqlite")
    key, anchor_file = tmp_path / "anchor.key", tmp_path / "elsewhere" / "anchors.jsonl"
    anchor_file.parent.mkdir()
    code, out, err = run_here("audit", "anchor", "--new-key", str(key))
    assert code == 0 and "public key: " in out and (key.stat().st_mode & 0o777) == 0o600, err
    code, out, err = run_here("audit", "anchor", "--db", str(db), "--to", str(anchor_file),
                              "--key", str(key))
    assert code == 0, err
    assert '"record": 4' in out and '"signature": ' in out
    assert _assess(db)[0] == 0  # the store grows after the anchor: still fine
    public = f"{key}.pub"
    verified, report, err = run_here("audit", "verify", "--db", str(db), "--anchors",
                                     str(anchor_file), "--public-key", public)
    assert verified == 0 and report.startswith("chain intact: 5 records"), report + err

    _rewrite_history(db, 2)
    verified, report, _ = run_here("audit", "verify", "--db", str(db))
    assert verified == 0, "the chain alone cannot see a consistent rewrite (docs/audit.md)"
    verified, report, _ = run_here("audit", "verify", "--db", str(db), "--anchors", str(anchor_file),
                                   "--public-key", public)
    assert verified == 1, report
    assert "anchor of record 4" in report and "history was rewritten at or before it" in report


def test_a_forged_or_unsigned_anchor_fails_under_the_public_key(tmp_path):
    db = _store(tmp_path / "audit.sqlite")
    key, anchor_file = tmp_path / "anchor.key", tmp_path / "anchors.jsonl"
    run_here("audit", "anchor", "--new-key", str(key))
    assert run_here("audit", "anchor", "--db", str(db), "--to", str(anchor_file), "--key", str(key))[0] == 0
    assert run_here("audit", "anchor", "--db", str(db), "--to", str(anchor_file))[0] == 0  # unsigned
    _rewrite_history(db, 3)
    with sqlite3.connect(db) as conn:
        new_head = conn.execute("SELECT record_hash FROM records WHERE id = 4").fetchone()[0]
    lines = anchor_file.read_text().splitlines()
    import json
    forged = json.loads(lines[0]) | {"head": new_head}  # the attacker edits the anchor file too
    anchor_file.write_text(json.dumps(forged) + "\n" + lines[1].replace(
        json.loads(lines[1])["head"], new_head) + "\n")
    verified, report, _ = run_here("audit", "verify", "--db", str(db), "--anchors", str(anchor_file),
                                   "--public-key", f"{key}.pub")
    assert verified == 1, report
    assert "anchors.jsonl:1: anchor of record 4" in report and "the signature does not match" in report
    assert "anchors.jsonl:2: anchor of record 4" in report and "not signed, but a public key" in report


@pytest.mark.parametrize("args, message", [
    (("audit", "anchor"), "E743: give --to FILE"),
    (("audit", "anchor", "--to", "{tmp}/a.jsonl", "--key", "{tmp}/nokey"), "E744: cannot read the key"),
    (("audit", "anchor", "--new-key", "{tmp}/exists"), "E744: a file is there already"),
    (("audit", "verify", "--public-key", "{tmp}/exists"), "E744: not a PEM key"),
])
def test_anchor_usage_errors_exit_2(tmp_path, args, message):
    db = _store(tmp_path / "audit.sqlite")
    (tmp_path / "exists").write_text("not a key")
    before = db.read_bytes()
    code, out, err = run_here(*(a.format(tmp=tmp_path) for a in args), "--db", str(db))
    assert code == 2 and message in err, err
    assert db.read_bytes() == before and not (tmp_path / "a.jsonl").exists()


def test_an_empty_store_has_no_head_to_anchor(tmp_path):
    db = tmp_path / "audit.sqlite"
    with AuditStore.open(db, mode="create"):
        pass
    code, _, err = run_here("audit", "anchor", "--db", str(db), "--to", str(tmp_path / "a.jsonl"))
    assert code == 2 and "E743: the store has no records yet" in err, err


def test_the_api_answers_503_for_a_damaged_store_and_writes_nothing(tmp_path):
    from tests.web_support import AUTH, client, example_text
    db = _store(tmp_path / "audit.sqlite")
    db.write_bytes(b"")
    with client(tmp_path, db=db) as http:
        response = http.post("/api/assessments", content=example_text("adult.json"),
                             headers=AUTH | {"Content-Type": "application/json"})
    assert response.status_code == 503, response.text
    assert response.json()["errors"][0]["code"] == "E741"
    assert db.read_bytes() == b""
