"""The audit store's schema, and the migrations that bring any older store up to date.

The schema version lives in `PRAGMA user_version`; `PRAGMA application_id` marks the file as a
Groundwork audit store so that a stray SQLite file is never mistaken for one (or written to).
Each migration is a tuple of statements run in one transaction together with the version bump:
a store is at one version or the next, never in between.

Append-only is enforced twice: triggers refuse UPDATE and DELETE, and every record is hash-chained
(engine/audit/chain.py), so an edit made around the triggers is still found by `audit verify`.
"""

from __future__ import annotations

import re
import sqlite3

from engine.audit import accounts, packing, summaries

APPLICATION_ID = 0x4757_4155  # "GWAU"

_V1 = (
    """CREATE TABLE records (
        id             INTEGER PRIMARY KEY,
        hash_format    INTEGER NOT NULL,
        kind           TEXT NOT NULL CHECK (kind IN ('assessment', 'feedback')),
        recorded_at    TEXT NOT NULL,
        client_id      TEXT NOT NULL,
        assessor_id    TEXT,
        assessment_date TEXT,
        input_hash     TEXT,
        input_json     TEXT,
        kb_hash        TEXT,
        kb_name        TEXT,
        kb_version     TEXT,
        engine_version TEXT NOT NULL,
        drafts         INTEGER,
        plan_json      TEXT,
        trace_json     TEXT,
        target_id      INTEGER,
        intervention   TEXT,
        outcome        TEXT,
        reason         TEXT,
        comment        TEXT,
        prev_hash      TEXT NOT NULL,
        record_hash    TEXT NOT NULL UNIQUE
    )""",
    "CREATE INDEX records_by_client ON records (client_id, id)",
    "CREATE INDEX records_by_target ON records (target_id)",
    """CREATE TABLE kb_sources (
        kb_hash    TEXT PRIMARY KEY,
        kb_name    TEXT NOT NULL,
        kb_version TEXT NOT NULL,
        stored_at  TEXT NOT NULL
    )""",
    """CREATE TABLE kb_files (
        kb_hash TEXT NOT NULL REFERENCES kb_sources (kb_hash),
        path    TEXT NOT NULL,
        data    BLOB NOT NULL,
        PRIMARY KEY (kb_hash, path)
    )""",
    *(f"""CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}
         BEGIN SELECT RAISE(ABORT, 'the audit store is append-only'); END"""
      for table in ("records", "kb_sources", "kb_files") for verb in ("UPDATE", "DELETE")),
)



def _admit_outcome_kinds(conn: sqlite3.Connection) -> None:
    """Let `records.kind` also be `outcome` and `exposure` (engine/audit/outcomes.py).

    Widening a CHECK changes no stored row, so this follows SQLite's documented in-place procedure
    for such schema changes (https://sqlite.org/lang_altertable.html#otheralter: edit the table's
    SQL, bump schema_version) instead of copying a store that may hold gigabytes of plans. The
    pattern also fits a table that another migration has rebuilt with more columns.
    """
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'records'"
                       ).fetchone()[0]
    widened, count = re.subn(r"CHECK \(kind IN \([^)]*\)\)",
                             "CHECK (kind IN ('assessment', 'feedback', 'outcome', 'exposure'))", sql)
    if count != 1:
        raise sqlite3.DatabaseError("the records table does not have the expected kind constraint")
    version = conn.execute("PRAGMA schema_version").fetchone()[0]
    conn.execute("PRAGMA writable_schema = ON")
    try:
        conn.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'records'",
                     (widened,))
        conn.execute(f"PRAGMA schema_version = {version + 1}")
    finally:
        conn.execute("PRAGMA writable_schema = OFF")


_REGION_BANDS = (
    "INSERT INTO region_bands SELECT r.id, r.client_id, r.assessment_date, "
    "json_extract(j.value, '$.region'), json_extract(j.value, '$.phase'), "
    "json_extract(j.value, '$.band'), json_extract(j.value, '$.score') "
    "FROM {source}, json_each({plan}, '$.regions') AS j")
_NEW_RECORD = ("(SELECT NEW.id AS id, NEW.client_id AS client_id, NEW.assessment_date AS "
               "assessment_date, NEW.plan_json AS plan_json) AS r")
_V2 = (
    _admit_outcome_kinds,
    # Outcome events and exposure periods are records too (same chain, fields in the hashed
    # input_json); their fields are also copied here by a trigger, small rows that the program
    # report counts from a covering index without touching the large records table. Derived, not
    # hashed; `audit verify` checks them against the records.
    """CREATE TABLE outcome_events (
        record_id  INTEGER PRIMARY KEY REFERENCES records (id),
        kind       TEXT NOT NULL,
        client_id  TEXT NOT NULL,
        event      TEXT NOT NULL,
        event_date TEXT NOT NULL,
        period_end TEXT,
        days       INTEGER,
        setting    TEXT NOT NULL
    )""",
    "CREATE INDEX outcome_events_by_date ON outcome_events (kind, event_date, setting, event, "
    "period_end, days, client_id)",
    "CREATE INDEX outcome_events_by_client ON outcome_events (client_id, kind, event, event_date, "
    "period_end, setting)",
    """CREATE TRIGGER records_outcome_events AFTER INSERT ON records
        WHEN NEW.kind IN ('outcome', 'exposure')
        BEGIN INSERT INTO outcome_events VALUES (NEW.id, NEW.kind, NEW.client_id,
            json_extract(NEW.input_json, '$.event'), json_extract(NEW.input_json, '$.date'),
            json_extract(NEW.input_json, '$.to'), json_extract(NEW.input_json, '$.days'),
            json_extract(NEW.input_json, '$.setting')); END""",
    # Exposure periods split at month boundaries (against a fixed calendar, so that a trigger can
    # do it without a recursive query): rates by month are then a plain covering-index scan.
    """CREATE TABLE calendar_months (
        month     TEXT PRIMARY KEY,
        first_day TEXT NOT NULL,
        last_day  TEXT NOT NULL
    ) WITHOUT ROWID""",
    """INSERT INTO calendar_months WITH RECURSIVE m(day) AS (
        SELECT '1900-01-01' UNION ALL SELECT date(day, '+1 month') FROM m WHERE day < '2199-12-01')
        SELECT substr(day, 1, 7), day, date(day, '+1 month', '-1 day') FROM m""",
    """CREATE TABLE exposure_months (
        record_id INTEGER NOT NULL REFERENCES records (id),
        month     TEXT NOT NULL,
        client_id TEXT NOT NULL,
        setting   TEXT NOT NULL,
        first_day TEXT NOT NULL,
        last_day  TEXT NOT NULL,
        days      INTEGER NOT NULL,
        PRIMARY KEY (record_id, month)
    ) WITHOUT ROWID""",
    "CREATE INDEX exposure_months_by_month ON exposure_months (month, setting, first_day, "
    "last_day, days, client_id)",
    """CREATE TRIGGER outcome_events_exposure_months AFTER INSERT ON outcome_events
        WHEN NEW.kind = 'exposure'
        BEGIN INSERT INTO exposure_months SELECT NEW.record_id, c.month, NEW.client_id,
            NEW.setting, max(c.first_day, NEW.event_date), min(c.last_day, NEW.period_end),
            CAST(julianday(min(c.last_day, NEW.period_end))
                 - julianday(max(c.first_day, NEW.event_date)) + 1 AS INTEGER)
            FROM calendar_months AS c
            WHERE c.first_day <= NEW.period_end AND c.last_day >= NEW.event_date; END""",
    *(f"""CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}
         BEGIN SELECT RAISE(ABORT, 'the audit store is append-only'); END"""
      for table in ("outcome_events", "exposure_months", "calendar_months")
      for verb in ("UPDATE", "DELETE")),
    "CREATE INDEX records_by_kind_client ON records (kind, client_id, assessment_date, id)",
    # covering for adherence: the newest response to each recommendation, without reading plans
    "CREATE INDEX records_feedback ON records (kind, target_id, intervention, id, outcome, reason, "
    "client_id)",
    # Each assessment's region bands, derived from its plan by a trigger as it is appended (and
    # here for the records before): a program report over 100,000 plans reads these small rows,
    # never the plans. Derived, not hashed; `audit verify` checks them against the plans.
    """CREATE TABLE region_bands (
        record_id       INTEGER NOT NULL REFERENCES records (id),
        client_id       TEXT NOT NULL,
        assessment_date TEXT NOT NULL,
        region          TEXT NOT NULL,
        phase           TEXT,
        band            TEXT NOT NULL,
        score           REAL,
        PRIMARY KEY (record_id, region)
    ) WITHOUT ROWID""",
    "CREATE INDEX region_bands_by_client ON region_bands (client_id, assessment_date, record_id)",
    "CREATE INDEX region_bands_by_phase ON region_bands (phase, client_id, region, assessment_date, "
    "record_id, band)",
    "CREATE INDEX region_bands_by_date ON region_bands (assessment_date)",
    f"""CREATE TRIGGER records_region_bands AFTER INSERT ON records WHEN NEW.kind = 'assessment'
        BEGIN {_REGION_BANDS.format(source=_NEW_RECORD, plan="r.plan_json")}; END""",
    _REGION_BANDS.format(source="records AS r", plan="r.plan_json") + " WHERE r.kind = 'assessment'",
    *(f"""CREATE TRIGGER region_bands_no_{verb.lower()} BEFORE {verb} ON region_bands
         BEGIN SELECT RAISE(ABORT, 'the audit store is append-only'); END"""
      for verb in ("UPDATE", "DELETE")),
)

# An assessment's input, plan and trace are stored packed (engine/audit/packing.py, issue #20).
# The records already stored keep their text: no row is rewritten, the append-only triggers stay
# in place throughout, and every reader takes either form. The store keeps its own copy of the
# compression dictionary (so that it can be read without Groundwork), and region_bands are derived
# from the plan as before, through audit_text(), which every connection the store opens has.
_V6 = (
    """CREATE TABLE compression_dictionaries (
        dict_id INTEGER PRIMARY KEY,
        data    BLOB NOT NULL,
        sha256  TEXT NOT NULL
    )""",
    packing.store_dictionaries,
    *(f"""CREATE TRIGGER compression_dictionaries_no_{verb.lower()} BEFORE {verb}
         ON compression_dictionaries
         BEGIN SELECT RAISE(ABORT, 'the audit store is append-only'); END"""
      for verb in ("UPDATE", "DELETE")),
    "DROP TRIGGER records_region_bands",
    f"""CREATE TRIGGER records_region_bands AFTER INSERT ON records WHEN NEW.kind = 'assessment'
        BEGIN {_REGION_BANDS.format(source=_NEW_RECORD, plan="audit_text(r.plan_json)")}; END""",
)

# (version, statements): append new versions; never edit a released one. A statement is SQL, or
# a function of the connection for a step SQL alone cannot express.
MIGRATIONS: tuple[tuple[int, tuple], ...] = (
    (1, _V1),
    (2, _V2),
    (3, summaries.MIGRATION),  # the program report's running totals
    # an assessment already recorded (same input, knowledge base, engine, drafts) is found, not
    # recorded again when its plan is rendered another way (issue #18)
    (4, ("CREATE INDEX records_by_input ON records (input_hash, kb_hash, engine_version, drafts) "
         "WHERE kind = 'assessment'",)),
    (5, accounts.MIGRATION),  # personal accounts and web sessions: operational, not chained
    (packing.PACKED_SINCE, _V6),  # an assessment's large fields packed
)
CURRENT_VERSION = MIGRATIONS[-1][0]
GUARD_TRIGGERS = tuple(f"{table}_no_{verb}"
                       for table in ("records", "kb_sources", "kb_files", "region_bands",
                                     "outcome_events", "exposure_months", "calendar_months",
                                     "compression_dictionaries")
                       for verb in ("update", "delete"))


def user_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def application_id(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA application_id").fetchone()[0]


def table_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the store to CURRENT_VERSION, one transaction per step; returns the steps applied.

    The connection must be in autocommit mode (isolation_level=None): transactions are explicit.
    """
    if user_version(conn) >= CURRENT_VERSION:  # the usual case: no write lock taken at all (a
        return 0                               # server opens the store per request, in N workers)
    applied = 0
    for version, statements in MIGRATIONS:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if user_version(conn) >= version:  # re-read under the write lock: another process may have won
                conn.execute("ROLLBACK")
                continue
            for statement in statements:
                statement(conn) if callable(statement) else conn.execute(statement)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
            applied += 1
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return applied


def missing_guards(conn: sqlite3.Connection) -> list[str]:
    """Append-only triggers that have been dropped (a sign someone edited the store by hand)."""
    present = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    return [name for name in GUARD_TRIGGERS if name not in present]
