"""The audit store: one SQLite file, append-only, every record hash-chained to the one before.

Each write is one `BEGIN IMMEDIATE … COMMIT` transaction (all or nothing; writers queue on the
lock), in WAL mode with `synchronous=FULL`, so a process killed mid-write leaves the store exactly
as it was before that record. Reading commands open an existing store and never write to it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import inspect
import json
import os
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import wraps
from typing import Any
from pathlib import Path

from dsl.errors import GroundworkError
from dsl.kb import INSTRUMENT_FILE, rule_files
from dsl.checked import CheckedKnowledgeBase
from engine.audit import chain, integrity, packing, schema, summaries
from engine.audit.errors import audit_error
from engine.audit.transaction import immediate
from engine.audit.trace import trace_of
from engine.pipeline import Outcome, canonical_json, canonical_json_v1, input_hash, plan_json

DB_ENV = "GROUNDWORK_DB"
RECORD_COLUMNS = ", ".join(chain.FIELDS)  # named, in Record's order: a later column cannot shift them
SQLITE_HEADER = b"SQLite format 3\x00"
NOT_A_DATABASE = 26  # SQLITE_NOTADB: the file does not start with SQLITE_HEADER
# region_bands against the plans' regions, set against set. `audit verify` reads each plan's
# regions as it walks the chain (the plan is packed: SQL alone cannot read it fast) and stages
# their JSON text in a temporary table of its own connection (the store itself is not written);
# SQLite reads them as the trigger that derived the rows did.
_PLAN_REGIONS_TABLE = ("CREATE TEMP TABLE IF NOT EXISTS plan_regions (record_id INTEGER NOT NULL, "
                       "client_id TEXT, assessment_date TEXT, regions TEXT, path TEXT NOT NULL)")
REGION_BAND_MISMATCHES = """
    WITH expected AS MATERIALIZED (
        SELECT p.record_id, p.client_id, p.assessment_date, json_extract(j.value, '$.region'),
               json_extract(j.value, '$.phase'), json_extract(j.value, '$.band'),
               json_extract(j.value, '$.score')
        FROM temp.plan_regions AS p, json_each(p.regions, p.path) AS j WHERE json_valid(p.regions)),
    stored AS (SELECT record_id, client_id, assessment_date, region, phase, band, score
               FROM main.region_bands)
    SELECT record_id FROM (SELECT * FROM expected EXCEPT SELECT * FROM stored)
    WHERE record_id <= :upto
    UNION
    SELECT record_id FROM (SELECT * FROM stored EXCEPT SELECT * FROM expected)
    WHERE record_id <= :upto
    ORDER BY 1"""
_EVENT_COLUMNS = (("kind", "r.kind"), ("client_id", "r.client_id"),
                  *((column, f"json_extract(audit_text(r.input_json), '$.{key}')") for column, key in (
                      ("event", "event"), ("event_date", "date"), ("period_end", "to"),
                      ("days", "days"), ("setting", "setting"))))
OUTCOME_EVENT_MISMATCHES = f"""
    SELECT r.id FROM records AS r LEFT JOIN outcome_events AS o ON o.record_id = r.id
    WHERE r.kind IN ('outcome', 'exposure') AND (o.record_id IS NULL OR
          {" OR ".join(f"o.{column} IS NOT {value}" for column, value in _EVENT_COLUMNS)})
    UNION
    SELECT o.record_id FROM outcome_events AS o LEFT JOIN records AS r ON r.id = o.record_id
    WHERE r.id IS NULL OR r.kind NOT IN ('outcome', 'exposure')
    ORDER BY 1"""


@dataclass(frozen=True)
class Record:
    """One stored record, field for field (see chain.FIELDS)."""

    id: int
    hash_format: int
    kind: str
    recorded_at: str
    client_id: str
    assessor_id: str | None
    assessment_date: str | None
    input_hash: str | None
    input_json: str | None
    kb_hash: str | None
    kb_name: str | None
    kb_version: str | None
    engine_version: str
    drafts: int | None
    plan_json: str | None
    trace_json: str | None
    target_id: int | None
    intervention: str | None
    outcome: str | None
    reason: str | None
    comment: str | None
    prev_hash: str
    record_hash: str

    def fields(self) -> dict:
        return asdict(self)

    @property
    def plan(self) -> dict:
        return json.loads(self.plan_json or "{}")

    @property
    def trace(self) -> dict:
        return json.loads(self.trace_json or "{}")

    @property
    def input(self) -> dict:
        return json.loads(self.input_json or "{}")


@dataclass(frozen=True)
class Appended:
    id: int
    record_hash: str


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def default_db_path(environ: dict | None = None) -> Path:
    """$GROUNDWORK_DB, else $XDG_DATA_HOME/groundwork/audit.sqlite, else ~/.local/share/…"""
    env = os.environ if environ is None else environ
    if env.get(DB_ENV):
        return Path(env[DB_ENV])
    data_home = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "groundwork" / "audit.sqlite"


def _store_error(error: Exception, display: str):
    return audit_error("E709", f"the audit store could not be used: {error}", display,
                       hint="run `groundwork audit verify`; restore the file from a backup "
                            "if it is damaged")


def _guarded(method):
    """SQLite failures (locked, disk full, damaged file) and packed fields that cannot be
    unpacked become one clear message, exit 2 — in a generator too, where they happen while the
    caller iterates, not when it calls."""
    if inspect.isgeneratorfunction(method):
        @wraps(method)
        def iterate(self, *args, **kwargs):
            try:
                yield from method(self, *args, **kwargs)
            except (sqlite3.Error, packing.PackingError) as error:
                raise _store_error(error, self.display) from None
        return iterate

    @wraps(method)
    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (sqlite3.Error, packing.PackingError) as error:
            raise _store_error(error, self.display) from None
    return call


class AuditStore:
    def __init__(self, conn: sqlite3.Connection, display: str):
        self.conn = conn
        self.display = display  # the store's path, as given
        self._checked = False  # engine/audit/integrity.py's checks, made before the first append
        self._appended = False
        self._renew_on_close = False  # see operational()

    @classmethod
    def open(cls, path: Path | str | None = None, mode: str = "read") -> "AuditStore":
        """Open the store at `path` (default: default_db_path()).

        mode "read" never writes; "append" needs an existing store and migrates an older one;
        "create" also creates a missing store (in the default place, with its directories).
        """
        make_parents = path is None and mode == "create"
        path = Path(path) if path is not None else default_db_path()
        conn = _connect(path, mode, make_parents)
        return cls(conn, str(path))

    @contextmanager
    def operational(self):
        """For a write to the operational tables (users, sessions): not a record, but it changes
        the file. Made as the only writer; when the file was exactly as the last writer left it
        before, the head's fingerprint is renewed after (and at close), so that the next append
        does not take this write for someone else's and walk the whole chain. A file that had
        changed already is left for the next append to check in full."""
        with _one_writer(self.display):
            try:
                clean = not integrity.changed_since_closed(self.display)
            except GroundworkError:
                clean = False  # an unreadable head file: the next append says so
            yield self.conn
            if clean:
                self._renew_head()
                self._renew_on_close = True

    def _renew_head(self) -> None:
        head = self.head_after_close()
        if head is not None:
            try:
                integrity.write_head(self.display, head)
            except OSError:
                pass

    def close(self) -> None:
        if not (self._appended or self._renew_on_close):
            self.conn.close()
            return
        with _one_writer(self.display):  # closing may checkpoint: the next writer must see it
            self.conn.close()
            head = self.head_after_close()  # the file as this writer leaves it: the next one
            if head is not None:           # can trust it as is
                try:
                    integrity.write_head(self.display, head)
                except OSError:
                    pass

    def head_after_close(self) -> "integrity.Head | None":
        try:
            seen = integrity.read_head(self.display)
        except GroundworkError:
            return None
        if seen is None:
            return None
        return integrity.Head(seen.id, seen.record_hash, integrity.fingerprint(self.display))

    def __enter__(self) -> "AuditStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- reading ----
    @_guarded
    def head(self) -> tuple[int, str]:
        row = self.conn.execute("SELECT id, record_hash FROM records ORDER BY id DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else (0, chain.GENESIS)

    @_guarded
    def get(self, record_id: int) -> Record | None:
        row = self.conn.execute(f"SELECT {RECORD_COLUMNS} FROM records WHERE id = ?",
                                (record_id,)).fetchone()
        return _record(row) if row else None

    def record(self, record_id: int, kind: str | None = None) -> Record:
        """The record with this id, or exit 2 naming the store and the known range."""
        found = self.get(record_id)
        if found is None:
            last, _ = self.head()
            known = f"records are 1 to {last}" if last else "the store has no records yet"
            raise audit_error("E710", f"no record {record_id} ({known})", self.display)
        if kind is not None and found.kind != kind:
            hint = f"record {record_id} is feedback on record {found.target_id}" \
                if found.kind == "feedback" else None
            raise audit_error("E711", f"record {record_id} is {found.kind}, not {kind}",
                              self.display, hint=hint)
        return found

    @_guarded
    def records(self, client: str | None = None, since: str | None = None,
                kind: str | None = None) -> list[Record]:
        query, args = f"SELECT {RECORD_COLUMNS} FROM records WHERE 1 = 1", []
        for column, value, op in (("client_id", client, "="), ("recorded_at", since, ">="),
                                  ("kind", kind, "=")):
            if value is not None:
                query += f" AND {column} {op} ?"
                args.append(value)
        return [_record(row) for row in self.conn.execute(query + " ORDER BY id", args)]

    @_guarded
    def iter_records(self, first: int = 1, last: int | None = None, kind: str | None = None):
        """Every record in id order (from `first` to `last`, of one `kind`), one at a time (the
        store may be large)."""
        query = f"SELECT {RECORD_COLUMNS} FROM records WHERE id >= ?"
        args: list = [first]
        if last is not None:
            query, args = query + " AND id <= ?", args + [last]
        if kind is not None:
            query, args = query + " AND kind = ?", args + [kind]
        for row in self.conn.execute(query + " ORDER BY id", args):
            yield _record(row)

    @_guarded
    def iter_stored(self):
        """Every record in id order as stored: its fields in a dict, the input, plan and trace as
        the store holds them (text, or packed). For the walks over the whole chain, which unpack
        and hash them without building a Record (engine/audit/verify.py)."""
        for row in self.conn.execute(f"SELECT {RECORD_COLUMNS} FROM records ORDER BY id"):
            yield dict(zip(chain.FIELDS, row))

    @_guarded
    def feedback_for(self, record_id: int) -> list[Record]:
        rows = self.conn.execute(f"SELECT {RECORD_COLUMNS} FROM records "
                                 "WHERE kind = 'feedback' AND target_id = ? ORDER BY id", (record_id,))
        return [_record(row) for row in rows]

    @_guarded
    def clients(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT DISTINCT client_id FROM records ORDER BY 1")]

    @_guarded
    def kb_sources(self) -> list[tuple[str, str, str]]:
        return list(self.conn.execute("SELECT kb_hash, kb_name, kb_version FROM kb_sources ORDER BY kb_hash"))

    @_guarded
    def kb_files(self, kb_hash: str) -> dict[str, bytes]:
        rows = self.conn.execute("SELECT path, data FROM kb_files WHERE kb_hash = ? ORDER BY path",
                                 (kb_hash,))
        # a BLOB, unless someone rewrote it by hand as TEXT: then verify must still read it
        return {path: data if isinstance(data, bytes) else str(data).encode("utf-8")
                for path, data in rows}

    @_guarded
    def stage_plan_regions(self, rows: list[tuple]) -> None:
        """Assessments' regions as read from their plans, for region_band_mismatches(): record
        id, client, assessment date, a JSON text, and the path of the regions in it ("$" when
        the text is the plan's `regions` value, "$.regions" when it is the whole plan)."""
        self.conn.execute(_PLAN_REGIONS_TABLE)
        self.conn.executemany("INSERT INTO temp.plan_regions VALUES (?, ?, ?, ?, ?)", rows)

    @_guarded
    def region_band_mismatches(self, upto: int | None = None) -> list[int]:
        """The records whose region_bands rows differ from the regions staged from their plans
        (stage_plan_regions: every region of every assessment's plan), both ways: an assessment
        whose rows are missing or differ, and rows of a record that is not an assessment. `upto`:
        only records up to that id (the plans after it could not be read)."""
        self.conn.execute(_PLAN_REGIONS_TABLE)
        try:
            return [row[0] for row in self.conn.execute(
                REGION_BAND_MISMATCHES, {"upto": 2**63 - 1 if upto is None else upto})]
        finally:
            self.conn.execute("DROP TABLE temp.plan_regions")

    @_guarded
    def outcome_event_mismatches(self) -> list[int]:
        """Outcome and exposure records whose derived outcome_events row is missing or differs."""
        return [row[0] for row in self.conn.execute(OUTCOME_EVENT_MISMATCHES)]

    @_guarded
    def exposure_month_mismatches(self) -> list[int]:
        """Exposure records whose month split (exposure_months) does not add up to their days."""
        return [row[0] for row in self.conn.execute(
            "SELECT o.record_id FROM outcome_events AS o LEFT JOIN (SELECT record_id, sum(days) AS days, "
            "min(first_day) AS first, max(last_day) AS last FROM exposure_months GROUP BY record_id) "
            "AS e USING (record_id) WHERE o.kind = 'exposure' AND (e.days IS NOT o.days OR "
            "e.first IS NOT o.event_date OR e.last IS NOT o.period_end) "
            "UNION SELECT e.record_id FROM exposure_months AS e LEFT JOIN outcome_events AS o "
            "ON o.record_id = e.record_id AND o.kind = 'exposure' WHERE o.record_id IS NULL ORDER BY 1")]

    @_guarded
    def summary_mismatches(self) -> list[str]:
        """The program report's running totals (engine/audit/summaries.py) that no longer match
        the rows they total."""
        return [table for table, query in summaries.mismatch_queries().items()
                if self.conn.execute(query).fetchone()[0]]

    @_guarded
    def dictionary_problems(self) -> list[str]:
        """The store's copies of the compression dictionaries, checked (engine/audit/packing.py)."""
        return packing.dictionary_problems(self.conn)

    @_guarded
    def missing_guards(self) -> list[str]:
        return schema.missing_guards(self.conn)

    # ---- writing: one transaction per record, or per batch chunk ----
    def append_assessment(self, outcome: Outcome, raw: dict, kb: CheckedKnowledgeBase,
                          actor: str | None = None) -> Appended:
        return self.append_assessments([assessment_fields(outcome, raw, actor)], kb)[0]

    def append_assessments(self, entries: list[dict], kb: CheckedKnowledgeBase) -> list[Appended]:
        """Several assessments under one knowledge base, in ONE transaction (all or nothing).

        An assessment already recorded (the same input, knowledge base, engine version and
        drafts switch: so the same plan) is not recorded again: its record is returned. Showing
        one plan as text, JSON, HTML and SVG is one assessment, not four."""
        source = None if self.kb_files(kb.content_hash) else kb_source_files(kb)
        return self._append(entries, kb, source)

    def append_feedback(self, target: Record, intervention: str, outcome: str, reason: str | None,
                        comment: str | None, assessor_id: str | None, engine_version: str) -> Appended:
        fields = {"kind": "feedback", "client_id": target.client_id, "assessor_id": assessor_id,
                  "engine_version": engine_version, "target_id": target.id,
                  "intervention": intervention, "outcome": outcome, "reason": reason,
                  "comment": comment}
        return self._append([fields], None, None)[0]

    def append_records(self, entries: list[dict]) -> list[Appended]:
        """Records that need no knowledge base (outcome events, exposure), in one transaction."""
        return self._append(entries, None, None)

    @_guarded
    def _append(self, entries: list[dict], kb: CheckedKnowledgeBase | None,
                source: dict | None) -> list[Appended]:
        appended = []
        with _one_writer(self.display):
            with self._transaction() as conn:
                if not self._checked:
                    integrity.check_before_append(conn, self.display,
                                                  full=integrity.changed_since_closed(self.display))
                    self._checked = True
                if source is not None and kb is not None:
                    conn.execute("INSERT OR IGNORE INTO kb_sources VALUES (?, ?, ?, ?)",
                                 (kb.content_hash, kb.name, kb.version, utc_now()))
                    conn.executemany("INSERT OR IGNORE INTO kb_files VALUES (?, ?, ?)",
                                     [(kb.content_hash, p, data) for p, data in sorted(source.items())])
                last = conn.execute("SELECT id, record_hash FROM records ORDER BY id DESC LIMIT 1").fetchone()
                last_id, last_hash = last if last else (0, chain.GENESIS)
                packed = schema.user_version(conn) >= packing.PACKED_SINCE
                for fields in entries:
                    recorded = _recorded_already(conn, fields)
                    if recorded is not None:
                        appended.append(recorded)
                        continue
                    row: dict[str, Any] = {name: None for name in chain.FIELDS}
                    row.update(fields, id=last_id + 1, hash_format=chain.HASH_FORMAT,
                               recorded_at=utc_now(), prev_hash=last_hash)
                    row["record_hash"] = chain.record_hash(row)  # over the texts, then packed
                    if packed and packing.packs(row["kind"]):
                        row.update({name: None if row[name] is None else packing.pack(row[name])
                                    for name in chain.TEXT_COLUMNS})
                    columns = ", ".join(chain.FIELDS)
                    marks = ", ".join("?" for _ in chain.FIELDS)
                    conn.execute(f"INSERT INTO records ({columns}) VALUES ({marks})",
                                 [row[name] for name in chain.FIELDS])
                    appended.append(Appended(row["id"], row["record_hash"]))
                    last_id, last_hash = row["id"], row["record_hash"]
            self._appended = True
            if last_id:  # still the only writer: the file is exactly as this commit left it
                try:
                    integrity.write_head(self.display, integrity.Head(
                        last_id, last_hash, integrity.fingerprint(self.display)))
                except OSError:
                    pass  # the records are committed; the next writer's check is weaker, not wrong
        return appended

    def _transaction(self):
        return immediate(self.conn)


_TEXT_INDEXES = tuple(chain.FIELDS.index(name) for name in chain.TEXT_COLUMNS)


def _record(row: tuple) -> Record:
    """A stored row as a Record, its input, plan and trace as text (unpacked if packed)."""
    values = list(row)
    for index in _TEXT_INDEXES:
        values[index] = packing.unpack(values[index])
    return Record(*values)


_WRITER_LOCKS: dict[str, threading.Lock] = {}
_WRITER_LOCKS_LOCK = threading.Lock()


@contextmanager
def _one_writer(display: str):
    """One writer at a time per store, from its append to its head written: across threads (a
    lock) and processes (flock on FILE-lock, a file of its own: never the database, whose POSIX
    locks a close would drop). Without it, a writer that commits between another's commit and
    that one's head write finds the file changed and re-verifies the whole chain (0.4 ms a
    record), which made the server's tail latency grow with the store (issue #20)."""
    key = os.path.abspath(display)
    with _WRITER_LOCKS_LOCK:
        lock = _WRITER_LOCKS.setdefault(key, threading.Lock())
    with lock:
        try:
            descriptor = os.open(f"{display}-lock", os.O_CREAT | os.O_RDWR, 0o600)
        except OSError:
            descriptor = None  # a directory we may not write to: threads are still serialised
        try:
            if descriptor is not None:
                fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            if descriptor is not None:
                os.close(descriptor)  # releases the flock


def _recorded_already(conn: sqlite3.Connection, fields: dict) -> Appended | None:
    """The record of this very assessment, if it is in the store already (see append_assessments)."""
    if fields.get("kind") != "assessment":
        return None
    row = conn.execute(
        "SELECT id, record_hash FROM records WHERE kind = 'assessment' AND input_hash = ? AND "
        "kb_hash = ? AND engine_version = ? AND drafts IS ? ORDER BY id LIMIT 1",
        (fields["input_hash"], fields["kb_hash"], fields["engine_version"], fields.get("drafts"))
    ).fetchone()
    return Appended(row[0], row[1]) if row else None


def assessment_fields(outcome: Outcome, raw: dict, actor: str | None = None) -> dict:
    """The fields of one assessment record (computed where the plan is made, even in a worker).

    `assessor_id` names who acted: the user signed in to the server when there is one (`actor`),
    else the assessment's own assessor_id; the latter stays in the hashed input either way."""
    plan, assessment = outcome.plan, outcome.assessment
    return {
        "kind": "assessment", "client_id": assessment.client_id,
        "assessor_id": actor or assessment.assessor_id,
        "assessment_date": assessment.assessment_date.isoformat(),
        "input_hash": input_hash(raw), "input_json": canonical_json(raw),
        "kb_hash": plan.provenance.kb_hash, "kb_name": plan.provenance.kb_name,
        "kb_version": plan.provenance.kb_version,
        "engine_version": plan.provenance.engine_version, "drafts": int(plan.provenance.drafts),
        # the trace as the engine gave it (a score of 14.0 stays 14.0, as replay compares it);
        # it enters the record hash as its text (engine/audit/chain.py), so no canonical form is needed
        "plan_json": plan_json(plan), "trace_json": canonical_json_v1(trace_of(outcome)),
    }


def kb_source_files(kb: CheckedKnowledgeBase) -> dict[str, bytes]:
    """Every file that makes up the knowledge base's content hash, checked against that hash.

    First the files dsl/kb.py hashes today (rule files and the instrument); should the hash ever
    cover more, every file below the root, so that a replay can still rebuild the same KB.
    """
    root = Path(kb.root)
    hashed = rule_files(root) + [p for p in [root / INSTRUMENT_FILE] if p.is_file()]
    everything = [p for p in sorted(root.rglob("*")) if p.is_file()
                  and not any(part.startswith(".") or part == "__pycache__"
                              for part in p.relative_to(root).parts)]
    for paths in (hashed, everything):
        files = {p.relative_to(root).as_posix(): p.read_bytes() for p in paths}
        if chain.files_hash(files) == kb.content_hash:
            return files
    raise audit_error("E717", "the knowledge base changed on disk while it was in use; "
                              "nothing was recorded", str(root), hint="run the command again")


def _connect(path: Path, mode: str, make_parents: bool) -> sqlite3.Connection:
    display = str(path)
    create = mode == "create"
    if path.is_dir():
        raise audit_error("E700", "is a directory, not an audit store", display,
                          hint="pass --db FILE, e.g. --db audit.sqlite")
    exists = path.exists()
    if not exists and not create:
        raise audit_error("E701", "no audit store here", display,
                          hint="`groundwork assess` creates it; pass --db or set GROUNDWORK_DB "
                               "to use another store")
    if exists:
        _check_header(path, create)
    else:
        _create_file(path, make_parents)
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=rw", uri=True,
                               isolation_level=None, timeout=30)
    except sqlite3.Error as error:
        raise audit_error("E702", f"cannot open the audit store: {error}", display) from None
    packing.register(conn)  # audit_text(), for the triggers and the reports (before any write)
    try:
        _prepare(conn, display, mode)
    except BaseException:
        conn.close()
        raise
    return conn


def _check_header(path: Path, create: bool) -> None:
    """Refuse an empty file (unless it is ours to initialise). Only its size is read: opening and
    closing the file here would silently drop the POSIX locks that any SQLite connection of this
    process holds on it (https://sqlite.org/howtocorrupt.html#_posix_advisory_locks_canceled_by_a
    _separate_thread_doing_close_), which let two server workers write over each other. A file
    that is not SQLite is found by SQLite itself, on the first read (see _prepare)."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise audit_error("E702", f"cannot read the audit store: {error.strerror}", str(path)) from None
    if size == 0 and create:
        integrity.refuse_empty_file(path)  # unless the head file says it held records
        return  # an empty file: ours to initialise
    if size == 0:
        integrity.refuse_empty_file(path)  # truncated, if the head file says it held records
        raise audit_error("E703", "is an empty file, not an audit store", str(path))


def _create_file(path: Path, make_parents: bool) -> None:
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    elif not path.parent.is_dir():
        raise audit_error("E706", f"directory {path.parent} does not exist", str(path))
    try:  # private to its owner: the store holds health data, if pseudonymous
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass  # another process created it first: fine
    except OSError as error:
        raise audit_error("E706", f"cannot create the audit store: {error.strerror}", str(path)) from None


def _prepare(conn: sqlite3.Connection, display: str, mode: str) -> None:
    """Check that this is our store at a version we can read; create or migrate it if writing."""
    try:
        fresh = schema.table_count(conn) == 0 and schema.user_version(conn) == 0
        if not fresh and schema.application_id(conn) != schema.APPLICATION_ID:
            raise audit_error("E703", "is an SQLite database but not a Groundwork audit store", display)
        version = schema.user_version(conn)
        if version > schema.CURRENT_VERSION:
            raise audit_error("E704", f"the store has schema version {version}, newer than this "
                                      f"Groundwork understands ({schema.CURRENT_VERSION})", display,
                              hint="upgrade groundwork-cds")
        if fresh and mode != "create":
            raise audit_error("E703", "is an empty database, not an audit store", display)
        if version < schema.CURRENT_VERSION and mode == "read":
            raise audit_error("E705", f"the store has schema version {version}; this Groundwork "
                                      f"writes version {schema.CURRENT_VERSION}", display,
                              hint="run `groundwork audit migrate` (it keeps every record)")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = FULL")
        if mode != "read":
            conn.execute("PRAGMA journal_mode = WAL")
            schema.migrate(conn)
    except sqlite3.Error as error:
        if getattr(error, "sqlite_errorcode", None) == NOT_A_DATABASE:
            raise audit_error("E702", "is not an SQLite database (or it is damaged)", display,
                              hint="pass --db with the path of a Groundwork audit store") from None
        raise audit_error("E702", f"is not a readable SQLite database ({error})", display,
                          hint=integrity.RECOVER) from None
