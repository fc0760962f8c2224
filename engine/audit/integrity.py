"""A store that refuses to grow on damage (issue #18): the checks made before a record is appended.

Appending to a damaged store buries the damage under new records; restarting a store truncated
to zero bytes loses all history without a word. So a writer, before its first append:

- checks that the chain head this machine last wrote (kept next to the store, in FILE-head) is
  still in the store, with the same hash: a store truncated, replaced by an older copy or
  rewritten at the end is refused, where the chain alone would look intact;
- if the file changed since a writer here last closed it (its size, time or inode differ from
  the fingerprint in FILE-head: another writer, a restore, or damage), runs SQLite's structural
  check (`PRAGMA quick_check`) and recomputes every record's hash and link, so a byte changed
  anywhere in the chain is found before anything is added after it; if the file is as this
  machine left it, the last record's hash and link only (the full walk costs about 0.1 ms a
  record, its packed fields unpacked and hashed: 0.5 s for 5,000 records).

Each failure is a store error (exit 2 for a writer, HTTP 503) naming what is wrong and how to
recover. What these checks do not catch (a disk that changes a byte without changing the file's
time, a rewrite that also rewrote FILE-head) `audit verify` and anchors do: see docs/audit.md.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dsl.errors import GroundworkError
from engine.audit import chain, packing
from engine.audit.errors import audit_error

RECOVER = ("stop writing to it; run `groundwork audit verify` to see what is damaged, and restore "
           "the store from a backup (docs/audit.md, 'A damaged store')")


@dataclass(frozen=True)
class Head:
    """The last record a writer on this machine appended, and the file as that writer left it."""

    id: int
    record_hash: str
    fingerprint: tuple | None = None


def fingerprint(store: Path | str) -> tuple:
    """What changes when anyone writes the store (its main file and its write-ahead log)."""
    out: list = []
    for path in (Path(store), Path(f"{store}-wal")):
        try:
            stat = path.stat()
            out += [stat.st_size, stat.st_mtime_ns, stat.st_ino]
        except FileNotFoundError:
            out += [None, None, None]
    return tuple(out)


def head_path(store: Path | str) -> Path:
    """FILE-head, beside SQLite's own FILE-wal and FILE-shm."""
    return Path(f"{store}-head")


def read_head(store: Path | str) -> Head | None:
    """The head last written next to `store`, or None if there is none (a new store)."""
    path = head_path(store)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        seen = data.get("fingerprint")
        head = Head(int(data["id"]), str(data["record_hash"]), tuple(seen) if seen else None)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        raise audit_error("E742", f"the head file {path.name} next to the store cannot be read",
                          str(store), hint=f"if the store itself is intact (`groundwork audit "
                                           f"verify`), delete {path.name}; the next append "
                                           "writes it again") from None
    if head.id < 0 or not chain.is_hash(head.record_hash):
        raise audit_error("E742", f"the head file {path.name} next to the store is not valid",
                          str(store), hint=f"if the store itself is intact, delete {path.name}")
    return head


def write_head(store: Path | str, head: Head) -> None:
    """Replace FILE-head atomically (a reader never sees half of it)."""
    path = head_path(store)
    descriptor, temporary = tempfile.mkstemp(prefix=path.name + ".", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump({"id": head.id, "record_hash": head.record_hash,
                       "fingerprint": head.fingerprint}, out)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def refuse_empty_file(store: Path) -> None:
    """A zero-byte store whose head file says it held records was truncated: never restart it."""
    head = read_head(store)
    if head is not None and head.id > 0:
        raise audit_error(
            "E741", f"the store is an empty file, but it held {head.id} records (head "
                    f"{head.record_hash[:12]}…): it was truncated", str(store),
            hint=RECOVER + f"; to start a new store on purpose, move the file and "
                           f"{head_path(store).name} away")


def changed_since_closed(store: str) -> bool:
    """Whether the file differs from how a writer here last left it (or no writer here has)."""
    seen = read_head(store)
    return seen is None or seen.fingerprint is None or tuple(seen.fingerprint) != fingerprint(store)


def check_before_append(conn: sqlite3.Connection, store: str, full: bool = True) -> None:
    """Raise a store error if `conn`'s store must not grow (see the module's docstring).

    Called inside the append's write transaction, so no other writer moves the head meanwhile.
    `full`: SQLite's structural check and every record's hash, not only the last record's.
    """
    if full:
        problems = [row[0] for row in conn.execute("PRAGMA quick_check(5)")]
        if problems != ["ok"]:
            raise audit_error("E740", f"the store is damaged (SQLite: {problems[0]})", store,
                              hint=RECOVER)
    columns = ", ".join(chain.FIELDS)
    last = conn.execute("SELECT id, record_hash FROM records ORDER BY id DESC LIMIT 1").fetchone()
    first = 1 if full or last is None else max(1, last[0])
    prev_id, prev_hash = first - 1, chain.GENESIS
    if first > 1:
        before = conn.execute("SELECT record_hash FROM records WHERE id = ?", (first - 1,)).fetchone()
        prev_hash = before[0] if before else ""
    for row in conn.execute(f"SELECT {columns} FROM records WHERE id >= ? ORDER BY id", (first,)):
        fields = dict(zip(chain.FIELDS, row))
        try:
            fields.update({name: packing.unpack_bytes(fields[name]) for name in chain.TEXT_COLUMNS})
            intact = chain.hash_matches(fields)
        except (TypeError, ValueError):  # a field no record can hold, or packed bytes damaged
            intact = False
        if not intact or fields["id"] != prev_id + 1 or fields["prev_hash"] != prev_hash:
            raise audit_error("E740", f"the store is damaged: record {fields['id']} does not "
                                      "match its hash or its link to the record before", store,
                              hint=RECOVER)
        prev_id, prev_hash = fields["id"], fields["record_hash"]
    if full:
        _check_kb_sources(conn, store)
        for problem in packing.dictionary_problems(conn):
            raise audit_error("E740", f"the store is damaged: {problem}", store, hint=RECOVER)
    seen = read_head(store)
    if seen is None or seen.id == 0:
        return
    found = conn.execute("SELECT record_hash FROM records WHERE id = ?", (seen.id,)).fetchone()
    if found is None or found[0] != seen.record_hash:
        now = f"it ends at record {last[0]}" if last is not None else "it has no records"
        what = "is not in it" if found is None else "has another hash there"
        raise audit_error(
            "E741", f"the head last written here (record {seen.id}, {seen.record_hash[:12]}…) "
                    f"{what}; {now}: the store was truncated, replaced or rewritten", store,
            hint=RECOVER + f"; if you restored an older copy on purpose, delete "
                           f"{head_path(store).name} to accept it")


def _check_kb_sources(conn: sqlite3.Connection, store: str) -> None:
    """Each stored knowledge base's files still hash to its hash (a replay rebuilds from them)."""
    for (kb_hash,) in conn.execute("SELECT kb_hash FROM kb_sources ORDER BY kb_hash").fetchall():
        files = {path: data if isinstance(data, bytes) else str(data).encode("utf-8")
                 for path, data in conn.execute("SELECT path, data FROM kb_files WHERE kb_hash = ?",
                                                (kb_hash,))}
        try:
            intact = bool(files) and chain.files_hash(files) == kb_hash
        except (ValueError, OSError):
            intact = False
        if not intact:
            raise audit_error("E740", f"the store is damaged: the stored source of knowledge base "
                                      f"{kb_hash[:12]}… does not match its hash", store, hint=RECOVER)


def is_damage(error: GroundworkError) -> bool:
    """A store error that means the file is damaged (not a wrong path or a usage error)."""
    return error.first.code in DAMAGE_CODES


DAMAGE_CODES = frozenset({"E702", "E709", "E740", "E741", "E742"})
