"""What CDS Hooks adds to the audit store, in tables of its own beside the hash-chained records:

- `cds_seen_tokens`: each JWT id (issuer, jti) until its token expires, so a token is good for
  one call even across restarts and between server processes sharing the store;
- `cds_calls`: for each plan made by a hook call, the hook, its hookInstance, the calling system
  (the JWT's iss) and the user (context.userId);
- `cds_feedback`: for each feedback record, the card, the client's outcomeTimestamp and, when the
  client sent its own override reason, that coding.

The calls and feedback tables are append-only (triggers), like the records they annotate.
"""

from __future__ import annotations

import time

from groundwork.web import plans
from groundwork.web.settings import Settings

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS cds_seen_tokens (
        issuer TEXT NOT NULL, jti TEXT NOT NULL, expires REAL NOT NULL, PRIMARY KEY (issuer, jti))""",
    """CREATE TABLE IF NOT EXISTS cds_calls (
        record_id INTEGER PRIMARY KEY REFERENCES records (id), hook TEXT NOT NULL,
        hook_instance TEXT NOT NULL, issuer TEXT NOT NULL, user_id TEXT)""",
    """CREATE TABLE IF NOT EXISTS cds_feedback (
        record_id INTEGER PRIMARY KEY REFERENCES records (id), card TEXT NOT NULL,
        outcome_timestamp TEXT NOT NULL, issuer TEXT NOT NULL, client_reason_system TEXT,
        client_reason_code TEXT)""",
    *(f"""CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table}
         BEGIN SELECT RAISE(ABORT, 'the audit store is append-only'); END"""
      for table in ("cds_calls", "cds_feedback") for verb in ("UPDATE", "DELETE")),
)


def _connection(store):
    conn = store.conn
    for statement in SCHEMA:
        conn.execute(statement)
    return conn


def first_use(settings: Settings, issuer: str, jti: str, expires: float, leeway: float) -> bool:
    """Record (issuer, jti); False when it was seen before and has not expired."""
    with plans.open_store(settings, mode="create") as store:
        conn = _connection(store)
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM cds_seen_tokens WHERE expires + ? < ?", (leeway, time.time()))
            added = conn.execute("INSERT OR IGNORE INTO cds_seen_tokens VALUES (?, ?, ?)",
                                 (issuer, jti, expires)).rowcount
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return added == 1


def record_call(settings: Settings, record_id: int, hook: str, hook_instance: str, issuer: str,
                user_id: str | None) -> None:
    # The same assessment asked for again is the same record (the store keeps one record per
    # assessment, #18): the call that first produced it stays its call.
    with plans.open_store(settings, mode="append") as store:
        _connection(store).execute("INSERT OR IGNORE INTO cds_calls VALUES (?, ?, ?, ?, ?)",
                                   (record_id, hook, hook_instance, issuer, user_id))


def record_feedback_details(store, rows: list[tuple]) -> None:
    """(feedback record id, card, outcomeTimestamp, issuer, reason system, reason code) rows."""
    conn = _connection(store)
    conn.executemany("INSERT INTO cds_feedback VALUES (?, ?, ?, ?, ?, ?)", rows)


def call_of(store, record_id: int) -> dict | None:
    row = _connection(store).execute(
        "SELECT hook, hook_instance, issuer, user_id FROM cds_calls WHERE record_id = ?",
        (record_id,)).fetchone()
    return dict(zip(("hook", "hook_instance", "issuer", "user_id"), row)) if row else None


def feedback_details(store, record_id: int) -> dict | None:
    row = _connection(store).execute(
        "SELECT card, outcome_timestamp, issuer, client_reason_system, client_reason_code "
        "FROM cds_feedback WHERE record_id = ?", (record_id,)).fetchone()
    keys = ("card", "outcome_timestamp", "issuer", "client_reason_system", "client_reason_code")
    return dict(zip(keys, row)) if row else None
