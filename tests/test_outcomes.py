"""Outcome events and exposure: recorded through the CLI, chained, verified, tamper-evident; every
bad input refused with one message per field, exit 2, nothing written."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import sys

import pytest

from engine.audit import outcomes, schema
from engine.audit.store import AuditStore
from engine.audit.verify import verify
from groundwork.cli import main
from tests.audit_support import file_digest, small_store, unguarded

TOMORROW = (dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=2)).isoformat()


@pytest.fixture
def gw(capsys, monkeypatch):
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


def _event(db, *extra):
    return ("outcome", "record", "client-a", "restraint", "--date", "2026-03-04", "--setting",
            "residential", "--code", "INC-2291", "--db", db, *extra)


def test_an_event_and_an_exposure_are_chained_records_and_verify_passes(gw, db):
    code, out, err = gw(*_event(db, "--by", "staff-3"))
    assert (code, err) == (0, "") and out.startswith("audit record 4: restraint of client client-a")
    code, out, _ = gw("outcome", "exposure", "client-a", "--setting", "residential", "--from",
                      "2026-03-01", "--to", "2026-03-31", "--db", db)
    assert code == 0 and "31 days of client client-a" in out
    with AuditStore.open(db) as store:
        event, exposure = store.get(4), store.get(5)
        assert (event.kind, exposure.kind) == ("outcome", "exposure")
        assert event.prev_hash == store.get(3).record_hash and exposure.prev_hash == event.record_hash
        assert json.loads(event.input_json) == {"format": 1, "event": "restraint", "date": "2026-03-04",
                                                "setting": "residential", "code": "INC-2291"}
        assert event.assessor_id == "staff-3" and exposure.input["days"] == 31
        columns = store.conn.execute("SELECT event, event_date, setting, period_end, days FROM "
                                     "outcome_events ORDER BY record_id").fetchall()
        assert columns == [("restraint", "2026-03-04", "residential", None, None),
                           ("exposure", "2026-03-01", "residential", "2026-03-31", 31)]
        assert verify(store).intact
    code, out, _ = gw("audit", "verify", "--db", db)
    assert code == 0 and out.startswith("chain intact: 5 records")
    code, out, _ = gw("audit", "list", "--db", db)
    assert "restraint on 2026-03-04 in residential (code INC-2291)" in out
    assert "exposure in residential: 2026-03-01 to 2026-03-31, 31 days" in out


@pytest.mark.parametrize("tamper", [
    "UPDATE records SET input_json = replace(input_json, 'restraint', 'seclusion') WHERE id = 4",
    "UPDATE records SET client_id = 'client-b' WHERE id = 4",
    "UPDATE records SET input_json = replace(input_json, '2026-03-04', '2026-03-05'), "
    "input_hash = 'x' WHERE id = 4",
])
def test_tampering_with_an_event_is_detected_at_that_record(gw, db, tamper):
    gw(*_event(db))
    gw("outcome", "exposure", "client-a", "--setting", "home", "--from", "2026-01-01", "--to",
       "2026-01-31", "--db", db)
    conn = unguarded(db)
    conn.execute(tamper)
    conn.close()
    code, out, _ = gw("audit", "verify", "--db", db)
    assert code == 1 and out.startswith("chain broken at record 4")
    assert "record 4: its contents do not match its hash" in out


def test_removing_an_event_breaks_the_chain_at_the_next_record(gw, db):
    gw(*_event(db))
    gw(*_event(db))
    conn = unguarded(db)
    conn.execute("DELETE FROM records WHERE id = 4")
    conn.close()
    code, out, _ = gw("audit", "verify", "--db", db)
    assert code == 1 and out.startswith("chain broken at record 5")


BAD_EVENTS = [
    (("John Smith", "restraint", "2026-03-04", "residential", "INC-1"), "E718",
     "client_id: the client must be a pseudonymous id"),
    (("client-a", "fight", "2026-03-04", "residential", "INC-1"), "E730", "event: unknown event; known:"),
    (("client-a", "restraint", "2026-13-04", "residential", "INC-1"), "E731", "date: the date must be a day"),
    (("client-a", "restraint", "4 March", "residential", "INC-1"), "E731", "date: the date must be a day"),
    (("client-a", "restraint", TOMORROW, "residential", "INC-1"), "E731", "date: the event's date is in the future"),
    (("client-a", "restraint", "2026-03-04", "garden", "INC-1"), "E732", "setting: unknown setting; known: home"),
    (("client-a", "restraint", "2026-03-04", "residential", "he hit me"), "E733", "code: the code must be an id"),
    (("client-a", "restraint", "2026-03-04", "residential", "X" * 33), "E733", "code: the code must be an id"),
]


@pytest.mark.parametrize("values, code, message", BAD_EVENTS, ids=[b[1] + "-" + str(i) for i, b in enumerate(BAD_EVENTS)])
def test_a_bad_event_exits_2_with_its_message_and_writes_nothing(gw, db, values, code, message):
    before = file_digest(db)
    client, event, date, setting, ref = values
    status, out, err = gw("outcome", "record", client, event, "--date", date, "--setting", setting,
                          "--code", ref, "--db", db)
    assert status == 2 and out == ""
    assert err.startswith(f"outcome: error: {code}: {message}"), err
    assert "Traceback" not in err and "John Smith" not in err and "he hit me" not in err
    assert file_digest(db) == before


def test_every_bad_field_is_reported_in_one_run(gw, db):
    status, _, err = gw("outcome", "record", "bad name", "fight", "--date", "soon", "--setting",
                        "garden", "--code", "a b", "--db", db)
    assert status == 2
    assert [line.split(":")[2].strip() for line in err.splitlines()] == [
        "E718", "E730", "E731", "E732", "E733"]


BAD_EXPOSURES = [
    (("2026-03-10", "2026-03-01"), "E734", "end: the last day (--to) is before the first day (--from)"),
    (("2026-03-01", TOMORROW), "E734", "end: the last day (--to) is in the future"),
    (("2024-01-01", "2025-06-30"), "E734", "end: a period is at most 366 days"),
    (("March", "2026-03-31"), "E734", "start: the first day (--from) must be a day"),
]


@pytest.mark.parametrize("period, code, message", BAD_EXPOSURES)
def test_a_bad_exposure_exits_2_and_writes_nothing(gw, db, period, code, message):
    before = file_digest(db)
    status, out, err = gw("outcome", "exposure", "client-a", "--setting", "home", "--from", period[0],
                          "--to", period[1], "--db", db)
    assert (status, out) == (2, "") and err.startswith(f"outcome: error: {code}: {message}"), err
    assert file_digest(db) == before


def test_an_overlapping_exposure_is_refused_naming_the_record_it_overlaps(gw, db):
    assert gw("outcome", "exposure", "client-a", "--setting", "home", "--from", "2026-03-01",
              "--to", "2026-03-31", "--db", db)[0] == 0
    before = file_digest(db)
    status, _, err = gw("outcome", "exposure", "client-a", "--setting", "residential", "--from",
                        "2026-03-31", "--to", "2026-04-30", "--db", db)
    assert status == 2 and "E736: the period overlaps exposure record 4 of this client " \
                           "(2026-03-01 to 2026-03-31)" in err
    assert file_digest(db) == before
    assert gw("outcome", "exposure", "client-b", "--setting", "home", "--from", "2026-03-01",
              "--to", "2026-03-31", "--db", db)[0] == 0  # another client's days are their own


def test_a_missing_store_is_not_created_by_outcome_record(gw, tmp_path):
    status, _, err = gw(*_event(tmp_path / "none.sqlite"))
    assert status == 2 and "E701" in err and not (tmp_path / "none.sqlite").exists()


def test_a_changed_derived_row_is_found_by_verify(gw, db):
    gw(*_event(db))
    conn = unguarded(db)
    conn.execute("UPDATE outcome_events SET event = 'seclusion' WHERE record_id = 4")
    conn.close()
    code, out, _ = gw("audit", "verify", "--db", db)
    assert code == 1 and "record 4: its row in outcome_events (derived for the program report) is " \
                         "missing or does not match it" in out


def test_an_exposure_is_split_at_month_boundaries_and_a_changed_split_is_found(gw, db):
    gw("outcome", "exposure", "client-a", "--setting", "home", "--from", "2026-01-20", "--to",
       "2026-03-05", "--db", db)
    with AuditStore.open(db) as store:
        rows = store.conn.execute("SELECT month, first_day, last_day, days FROM exposure_months "
                                  "ORDER BY month").fetchall()
    assert rows == [("2026-01", "2026-01-20", "2026-01-31", 12), ("2026-02", "2026-02-01",
                     "2026-02-28", 28), ("2026-03", "2026-03-01", "2026-03-05", 5)]
    conn = unguarded(db)
    conn.execute("DELETE FROM exposure_months WHERE month = '2026-02'")
    conn.close()
    code, out, _ = gw("audit", "verify", "--db", db)
    assert code == 1 and "record 4: the month split of exposure record 4" in out


def test_an_event_record_whose_payload_is_not_an_event_fails_verify(db):
    """A record written around the validation (hash recomputed, so only the content check sees it)."""
    with AuditStore.open(db, mode="append") as store:
        payload = {"format": 1, "event": "shouting", "date": "2026-03-04", "setting": "home", "code": "A"}
        store.append_records([outcomes._fields("outcome", "client-a", None, payload, "0.1.0")])
        report = verify(store)
    assert [p.render() for p in report.problems] == [
        "record 4: its outcome is not a valid outcome record"]


def test_migrating_a_version_1_store_keeps_every_record_and_fills_region_bands(tmp_path):
    path = tmp_path / "v1.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in schema.MIGRATIONS[0][1]:
        conn.execute(statement)
    conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    saved = schema.MIGRATIONS
    schema.MIGRATIONS = saved[:1]
    schema.CURRENT_VERSION = 1
    try:
        small_store(path)
    finally:
        schema.MIGRATIONS, schema.CURRENT_VERSION = saved, saved[-1][0]
    with pytest.raises(Exception) as refused:
        AuditStore.open(path)  # reading commands never migrate
    assert "E705" in str(refused.value)
    with AuditStore.open(path, mode="append") as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == schema.CURRENT_VERSION
        assert store.conn.execute("SELECT count(*) FROM region_bands").fetchone()[0] == 8
        assert verify(store).intact
        parsed = outcomes.parse(outcomes.OutcomeEventIn, {
            "client_id": "client-a", "event": "seclusion", "date": "2026-01-02", "setting": "home",
            "code": "S-1"})
        assert outcomes.record_event(store, parsed, "0.1.0").id == 4
        assert verify(store).intact
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
