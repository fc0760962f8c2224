"""The program report against figures computed independently here, record by record in Python,
from a generated agency; its formats; every bad option (exit 2, one message, nothing written)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter, defaultdict

import pytest

from engine.audit.outcomes import EVENTS
from engine.audit.store import AuditStore
from engine.reports.program import CAVEAT, program_report
from tests.audit_support import file_digest
from tests.helpers import run_cli

RANK = {"typical": 0, "mild": 1, "moderate": 2, "severe": 3}


@pytest.fixture(scope="module")
def agency(tmp_path_factory):
    db = tmp_path_factory.mktemp("agency") / "agency.sqlite"
    done = run_cli("program", "generate", "--db", str(db), "--clients", "12", "--seed", "3")
    assert done.returncode == 0, done.stderr
    return db


def _records(db):
    with AuditStore.open(db) as store:
        return list(store.iter_records())


def _month_days(first: dt.date, last: dt.date):
    day = first
    while day <= last:
        yield day.isoformat()[:7]
        day += dt.timedelta(days=1)


def independent(db, start: str, end: str, setting: str | None = None) -> dict:
    """Every figure, from the records one by one (no SQL)."""
    records = _records(db)
    counts, days = Counter(), Counter()
    placed, moves = set(), Counter()
    for r in records:
        if r.kind not in ("outcome", "exposure"):
            continue
        e = r.input
        if setting and e["setting"] != setting:
            continue
        if r.kind == "outcome" and start <= e["date"] <= end:
            counts[(e["date"][:7], e["event"])] += 1
            if e["event"] == "placement_move":
                moves[r.client_id] += 1
        if r.kind == "exposure" and e["date"] <= end and e["to"] >= start:
            placed.add(r.client_id)
            first = max(dt.date.fromisoformat(e["date"]), dt.date.fromisoformat(start))
            last = min(dt.date.fromisoformat(e["to"]), dt.date.fromisoformat(end))
            for month in _month_days(first, last):
                days[month] += 1
    in_setting = placed if setting else None
    lower = defaultdict(list)
    for r in records:
        if r.kind == "assessment" and start <= r.assessment_date <= end and \
                (in_setting is None or r.client_id in in_setting):
            bands = {x["region"]: x["band"] for x in r.plan["regions"] if x["phase"] == "regulate"}
            lower[r.client_id].append((r.assessment_date, r.id, bands))
    improved = reassessed = 0
    for visits in lower.values():
        visits.sort()
        if len(visits) < 2:
            continue
        reassessed += 1
        first, latest = visits[0][2], visits[-1][2]
        steps = [RANK[latest[k]] - RANK[first[k]] for k in first]
        improved += any(s < 0 for s in steps) and not any(s > 0 for s in steps)
    newest = {}
    assessed_on = {r.id: r.assessment_date for r in records if r.kind == "assessment"}
    for r in records:
        if r.kind == "feedback" and start <= assessed_on[r.target_id] <= end and \
                (in_setting is None or r.client_id in in_setting):
            newest[(r.target_id, r.intervention)] = r.outcome
    return {"counts": counts, "days": days, "clients": len(lower), "reassessed": reassessed,
            "improved": improved, "accepted": sum(v == "accepted" for v in newest.values()),
            "responses": len(newest), "placed": len(placed),
            "stable": sum(1 for c in placed if moves[c] == 0)}


@pytest.mark.parametrize("start, end, setting", [
    (None, None, None), ("2024-07-01", "2025-03-15", None), ("2024-01-01", "2025-12-31", "residential"),
    (None, None, "residential"), ("2024-03-16", "2024-03-16", None), ("2024-02-10", "2024-04-30", "home"),
    ("2024-05-01", "2025-02-11", None)])
def test_the_report_agrees_with_figures_counted_record_by_record(agency, start, end, setting):
    with AuditStore.open(agency) as store:
        report = program_report(store, start, end, setting)
    expected = independent(agency, report.period_from, report.period_to, setting)
    for cell in report.months:
        assert cell.exposure_days == expected["days"][cell.month], cell.month
        for event in EVENTS:
            n = expected["counts"][(cell.month, event)]
            assert cell.events[event] == n
            rate = round(100 * n / cell.exposure_days, 3) if cell.exposure_days else None
            assert cell.rates[event] == rate
    assert report.total.exposure_days == sum(expected["days"].values())
    assert sum(report.total.events.values()) == sum(expected["counts"].values())
    assert (report.improvement.clients, report.improvement.reassessed,
            report.improvement.improved) == (expected["clients"], expected["reassessed"],
                                             expected["improved"])
    assert (report.adherence.accepted, report.adherence.responses) == (expected["accepted"],
                                                                       expected["responses"])
    assert (report.stability.clients, report.stability.without_move) == (expected["placed"],
                                                                         expected["stable"])
    assert sum(c.exposure_days for c in report.settings) == report.total.exposure_days
    assert report.caveat == CAVEAT


def test_the_generated_agency_has_falling_rates_and_improving_lower_regions(agency):
    with AuditStore.open(agency) as store:
        report = program_report(store)
    first, last = report.months[1:9], report.months[-8:]

    def rate(cells):
        return sum(c.events["restraint"] + c.events["critical_incident"] for c in cells) / \
            sum(c.exposure_days for c in cells)
    assert rate(last) < rate(first)
    assert report.improvement.improved > report.improvement.reassessed / 2


def test_every_format_carries_the_caveat_and_the_denominators(agency):
    text = run_cli("program", "report", "--db", str(agency)).stdout
    assert "CAVEAT: Observational, uncontrolled" in text and " of 12 re-assessed clients" in text
    data = json.loads(run_cli("program", "report", "--db", str(agency), "-f", "json").stdout)
    assert data["caveat"] == CAVEAT and data["improvement"]["reassessed"] == 12
    rows = list(csv.DictReader(io.StringIO(run_cli("program", "report", "--db", str(agency),
                                                   "-f", "csv").stdout)))
    restraint = [r for r in rows if r["event"] == "restraint" and r["setting"] == "all"
                 and r["month"] == "all"]
    assert restraint[0]["denominator"] == str(data["total"]["exposure_days"])
    assert {r["caveat"] for r in rows} == {"observational"}
    assert any(r["figure"] == "lower_regions_improved" and r["denominator"] == "12" for r in rows)
    html = run_cli("program", "report", "--db", str(agency), "-f", "html").stdout
    assert html.count("<svg") == 2 and "Restraint and critical incident rates by month" in html
    assert "bed-days (denominator" in html and "Observational, uncontrolled figures." in html
    assert "<script" not in html


def test_the_report_is_the_same_bytes_twice(agency):
    first = run_cli("program", "report", "--db", str(agency), "-f", "html").stdout
    assert run_cli("program", "report", "--db", str(agency), "-f", "html").stdout == first


@pytest.mark.parametrize("args, message", [
    (("--from", "2024-02-30"), "error: E737: --from: '2024-02-30' is not a date YYYY-MM-DD"),
    (("--from", "soon"), "error: E737: --from: is not a date YYYY-MM-DD"),
    (("--from", "2025-01-01", "--to", "2024-01-01"), "error: E737: --to: the last day is before"),
    (("--from", "1900-01-01", "--to", "2025-01-01"), "error: E737: --to: a report covers at most 50 years"),
    (("--setting", "garden"), "error: E732: --setting: unknown setting 'garden'; known: home"),
    (("--setting", "Jane Doe's house"), "error: E732: --setting: unknown setting; known: home"),
])
def test_bad_report_options_exit_2_with_one_message(agency, args, message):
    before = file_digest(agency)
    done = run_cli("program", "report", "--db", str(agency), *args)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines()[0].startswith("program: " + message), done.stderr
    assert "Jane" not in done.stderr and "Traceback" not in done.stderr
    assert file_digest(agency) == before


def test_generate_refuses_an_existing_store_and_the_default_one(agency, tmp_path):
    before = file_digest(agency)
    done = run_cli("program", "generate", "--db", str(agency))
    assert done.returncode == 2 and "E738: the store already exists" in done.stderr
    assert file_digest(agency) == before
    done = run_cli("program", "generate")
    assert done.returncode == 2 and "E738: --db PATH is required" in done.stderr


def test_export_csv_has_one_pseudonymous_row_per_assessment(agency):
    rows = list(csv.DictReader(io.StringIO(run_cli("export", "--csv", "--db", str(agency)).stdout)))
    records = _records(agency)
    assessments = {r.id: r for r in records if r.kind == "assessment"}
    assert sorted(int(r["record_id"]) for r in rows) == sorted(assessments)
    for row in rows[:20]:
        record = assessments[int(row["record_id"])]
        plan = record.plan
        assert row["client_id"] == record.client_id and row["assessment_date"] == record.assessment_date
        for region in plan["regions"]:
            assert row[f"{region['region']}_band"] == region["band"]
        assert int(row["recommended"]) == sum(len(p["recommendations"]) for p in plan["phases"])
        assert int(row["deferred"]) == len(plan["deferred"])
    assert "comment" not in rows[0]
    events = sum(int(r["outcome_events_to_next_assessment"]) for r in rows)
    first_seen = {}
    for r in sorted(assessments.values(), key=lambda r: r.assessment_date):
        first_seen.setdefault(r.client_id, r.assessment_date)
    assert events == sum(1 for r in records if r.kind == "outcome"
                         and r.input["date"] >= first_seen[r.client_id])
    done = run_cli("export", "--csv", "--db", str(agency), "--from", "2024-13-01")
    assert done.returncode == 2 and "E737" in done.stderr


def test_the_running_totals_give_the_figures_the_rows_give(agency):
    """Over the store's whole span the report reads the running totals (engine/audit/summaries.py);
    the same figures counted from the rows must agree, with and without a setting."""
    from engine.reports import program
    with AuditStore.open(agency) as store:
        assert store.summary_mismatches() == []  # the triggers kept what a recount gives
        start, end = program.default_period(store)
        for setting in (None, "home", "residential"):
            fast = {"start": start, "end": end, "setting": setting, "whole": True}
            rows = {**fast, "whole": False}
            for figure in (program.improvement, program.adherence, program.stability):
                assert figure(store, fast) == figure(store, rows), (figure.__name__, setting)
