"""The program report: what an agency's own records say about its clients over a period.

Every figure is aggregated by SQL inside the store (derived tables, covering indexes); Python
only combines the few aggregated rows. Nothing loads every record, so the report over 100,000
assessments and 200,000 events stays in seconds and megabytes (bench/program.py measures it).

Figures, each with its denominator:
- outcome events by month and setting, and their rate per 100 days of exposure (bed-days or days
  in placement) recorded for the same month and setting;
- the share of re-assessed clients whose lower regions (those worked on in the regulate phase)
  improved by at least one band from their first to their latest assessment in the period;
- adherence: the newest response to each recommendation, accepted or overridden (with reasons);
- placement stability: clients with exposure in the period and no placement move.

These are observational, uncontrolled figures (CAVEAT): they describe, they do not prove.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from dsl.vocabulary import BANDS, SETTINGS
from engine.audit.errors import audit_error
from engine.audit.outcomes import EVENTS
from engine.audit.store import AuditStore

CAVEAT = ("Observational, uncontrolled figures from this agency's own records: they describe what "
          "was recorded, not what caused it. There is no comparison group; clients, staff, settings "
          "and recording practice change over time; a rate over few bed-days is unstable. Read each "
          "figure with its denominator.")
LOWER_PHASE = "regulate"  # the lower regions: brainstem and diencephalon in the bundled model
PER = 100  # rates per 100 days of exposure
_RANK = "CASE band " + " ".join(f"WHEN '{b}' THEN {i}" for i, b in enumerate(BANDS)) + " END"


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Cell(_Out):
    month: str = Field(title="Month", description="YYYY-MM, or 'all' for the whole period")
    setting: str = Field(title="Setting", description="A setting, or 'all'")
    exposure_days: int = Field(title="Exposure days", description="Denominator: bed-days / days in placement")
    events: dict[str, int] = Field(title="Events", description="Count of each outcome event")
    rates: dict[str, float | None] = Field(title="Rates", description="Per 100 exposure days; "
                                                                      "null without exposure")


class Improvement(_Out):
    clients: int = Field(title="Clients assessed", description="At least one assessment in the period")
    reassessed: int = Field(title="Re-assessed", description="Denominator: two or more assessments")
    improved: int = Field(title="Improved", description="A lower region at least one band better, none worse")
    worsened: int = Field(title="Worsened", description="A lower region at least one band worse, none better")
    mixed: int = Field(title="Mixed", description="One lower region better and one worse")
    unchanged: int = Field(title="Unchanged", description="Every lower region in the same band")
    not_comparable: int = Field(title="Not comparable", description="A lower region insufficiently rated")
    share_improved: float | None = Field(title="Share improved", description="improved / reassessed")


class Adherence(_Out):
    responses: int = Field(title="Responses", description="Denominator: newest response per recommendation")
    accepted: int = Field(title="Accepted")
    overridden: int = Field(title="Overridden")
    share_accepted: float | None = Field(title="Share accepted", description="accepted / responses")
    reasons: dict[str, int] = Field(title="Override reasons")


class Stability(_Out):
    clients: int = Field(title="Clients in placement", description="Denominator: exposure recorded in the period")
    without_move: int = Field(title="Without a placement move")
    one_move: int = Field(title="One move")
    two_or_more: int = Field(title="Two or more moves")
    share_stable: float | None = Field(title="Share stable", description="without_move / clients")


class ProgramReport(_Out):
    period_from: str = Field(title="From", description="First day of the period")
    period_to: str = Field(title="To", description="Last day of the period")
    setting: str | None = Field(title="Setting filter", description="null: every setting")
    store_head: int = Field(title="Store head", description="Newest record id the report saw")
    rates_per: int = Field(PER, title="Rates per", description="Rates are per this many exposure days")
    months: tuple[Cell, ...] = Field(title="By month", description="Every setting together")
    by_setting: tuple[Cell, ...] = Field(title="By month and setting")
    settings: tuple[Cell, ...] = Field(title="By setting", description="Whole period")
    total: Cell = Field(title="Total", description="Whole period, every setting")
    improvement: Improvement = Field(title="Lower regions, first to latest assessment")
    adherence: Adherence = Field(title="Adherence to recommendations")
    stability: Stability = Field(title="Placement stability")
    caveat: str = Field(CAVEAT, title="Caveat")


MAX_MONTHS = 600  # fifty years: a longer period is a typing mistake


def check_period(start: str | None, end: str | None, setting: str | None) -> tuple:
    """The report's period and setting as given (dates normalised), or exit 2 / HTTP 422."""
    def day(text: str | None, name: str) -> str | None:
        if text is None:
            return None
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            shown = f" '{text[:10]}'" if text[:10].replace("-", "").isdigit() else ""
            raise audit_error("E737", f"{name}:{shown} is not a date YYYY-MM-DD") from None
    start, end = day(start, "from"), day(end, "to")
    if start and end and end < start:
        raise audit_error("E737", "to: the last day is before the first day (from)")
    if start and end and len(months_between(start, end, MAX_MONTHS + 1)) > MAX_MONTHS:
        raise audit_error("E737", f"to: a report covers at most {MAX_MONTHS // 12} years")
    if setting is not None and setting not in SETTINGS:
        shown = f" '{setting}'" if setting.isidentifier() and len(setting) <= 40 else ""
        raise audit_error("E732", f"setting: unknown setting{shown}; known: " + ", ".join(SETTINGS))
    return start, end, setting


def months_between(start: str, end: str, limit: int = MAX_MONTHS) -> list[str]:
    year, month = int(start[:4]), int(start[5:7])
    out: list[str] = []
    while f"{year:04d}-{month:02d}" <= end[:7] and len(out) < limit:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def default_period(store: AuditStore) -> tuple[str, str]:
    """The whole span of dates in the store (events, exposure, assessments); today if empty."""
    row = store.conn.execute(
        "SELECT min(d), max(d) FROM (SELECT min(event_date) AS d FROM outcome_events "
        "WHERE kind = 'outcome' UNION ALL SELECT min(event_date) FROM outcome_events "
        "WHERE kind = 'exposure' UNION ALL "
        "SELECT max(event_date) FROM outcome_events WHERE kind = 'outcome' UNION ALL "
        "SELECT max(last_day) FROM exposure_months WHERE month = "
        "(SELECT max(month) FROM exposure_months) UNION ALL "
        "SELECT min(assessment_date) FROM region_bands UNION ALL "
        "SELECT max(assessment_date) FROM region_bands)").fetchone()
    today = dt.date.today().isoformat()
    return (row[0] or today, row[1] or today)


def _setting_clause(setting: str | None) -> str:
    return " AND setting = :setting" if setting else ""


def whole_months(start: str, end: str) -> tuple[str, str] | None:
    """The first and last month that [start, end] covers completely (None if it covers none)."""
    first = start[:7] if start[8:] == "01" else _next_month(start[:7])
    last = end[:7] if end == _last_day(end[:7]) else _previous_month(end[:7])
    return (first, last) if first <= last else None


def _next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + 1:04d}-01" if number == 12 else f"{year:04d}-{number + 1:02d}"


def _previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1:04d}-12" if number == 1 else f"{year:04d}-{number - 1:02d}"


def _last_day(month: str) -> str:
    return (dt.date.fromisoformat(_next_month(month) + "-01") - dt.timedelta(days=1)).isoformat()


def _split(args: dict) -> tuple[dict, list[dict]]:
    """The months read from the running totals, and the part-months at the edges of the period
    counted from the rows (at most two date ranges)."""
    start, end = args["start"], args["end"]
    whole = whole_months(start, end)
    if whole is None:
        return {**args, "first_month": "", "last_month": ""}, [args]
    edges = []
    if whole[0] != start[:7]:
        edges.append({**args, "end": _last_day(start[:7])})
    if whole[1] != end[:7]:
        edges.append({**args, "start": end[:7] + "-01"})
    return {**args, "first_month": whole[0], "last_month": whole[1]}, edges


def event_counts(store: AuditStore, args: dict) -> list[tuple[str, str, str, int]]:
    totals, edges = _split(args)
    setting = _setting_clause(args.get("setting"))
    rows = list(store.conn.execute(
        "SELECT month, setting, event, n FROM event_month_counts "
        f"WHERE month BETWEEN :first_month AND :last_month {setting}", totals))
    for edge in edges:
        rows += store.conn.execute(
            "SELECT substr(event_date, 1, 7), setting, event, count(*) FROM outcome_events "
            f"WHERE kind = 'outcome' AND event_date BETWEEN :start AND :end {setting} "
            "GROUP BY 1, 2, 3", edge)
    return rows


def exposure_days(store: AuditStore, args: dict) -> list[tuple[str, str, int]]:
    """Exposure days per month and setting: whole months from the running totals; in a part-month
    at an edge, the periods already split at month boundaries (exposure_months) clipped to it."""
    totals, edges = _split(args)
    setting = _setting_clause(args.get("setting"))
    rows = list(store.conn.execute(
        "SELECT month, setting, days FROM exposure_month_days "
        f"WHERE month BETWEEN :first_month AND :last_month {setting}", totals))
    for edge in edges:
        rows += store.conn.execute(f"""
            SELECT month, setting, sum(CASE WHEN first_day >= :start AND last_day <= :end THEN days
                ELSE CAST(julianday(min(last_day, :end)) - julianday(max(first_day, :start)) + 1
                          AS INTEGER) END)
            FROM exposure_months
            WHERE month BETWEEN substr(:start, 1, 7) AND substr(:end, 1, 7) AND last_day >= :start
                  AND first_day <= :end {setting}
            GROUP BY month, setting""", edge)
    return rows


def _cell(month: str, setting: str, days: int, counts: dict[str, int]) -> Cell:
    events = {e: counts.get(e, 0) for e in EVENTS}
    rates = {e: (round(PER * n / days, 3) if days else None) for e, n in events.items()}
    return Cell(month=month, setting=setting, exposure_days=days, events=events, rates=rates)


def rate_cells(store: AuditStore, args: dict, months: list[str]):
    counts: dict[tuple[str, str], dict[str, int]] = {}
    events, exposure = event_counts(store, args), exposure_days(store, args)
    settings = [args["setting"]] if args.get("setting") else \
        sorted({row[1] for row in events} | {row[1] for row in exposure})
    for month, setting, event, n in events:
        for key in ((month, setting), (month, "all"), ("all", setting), ("all", "all")):
            bucket = counts.setdefault(key, {})
            bucket[event] = bucket.get(event, 0) + n
    days: dict[tuple[str, str], int] = {}
    for month, setting, n in exposure:
        for key in ((month, setting), (month, "all"), ("all", setting), ("all", "all")):
            days[key] = days.get(key, 0) + n

    def cell(month: str, setting: str) -> Cell:
        return _cell(month, setting, days.get((month, setting), 0), counts.get((month, setting), {}))
    return ([cell(m, "all") for m in months], [cell(m, s) for m in months for s in settings],
            [cell("all", s) for s in settings], cell("all", "all"))


def _in_setting(args: dict, column: str = "client_id") -> str:
    """Clients with exposure in the --setting during the period (every client without one)."""
    if not args.get("setting"):
        return ""
    return (f"AND {column} IN (SELECT x.client_id FROM outcome_events AS x WHERE x.kind = 'exposure' AND "
            "x.setting = :setting AND x.event_date <= :end AND x.period_end >= :start)")


# From each client's first and latest band of each lower region (`ranked`), the report's counts.
_PER_CLIENT = """per_client AS (SELECT max(n) AS n, sum(latest < first) AS better,
                             sum(latest > first) AS worse,
                             max(first IS NULL OR latest IS NULL) AS unknown
                      FROM ranked GROUP BY client_id)
    SELECT count(*), sum(n >= 2), sum(n >= 2 AND unknown = 0 AND better > 0 AND worse = 0),
           sum(n >= 2 AND unknown = 0 AND worse > 0 AND better = 0),
           sum(n >= 2 AND unknown = 0 AND worse > 0 AND better > 0),
           sum(n >= 2 AND unknown = 0 AND worse = 0 AND better = 0), sum(n >= 2 AND unknown > 0)
    FROM per_client"""


def _ever_in_setting(args: dict) -> str:
    """Over the store's whole span: clients with any exposure in the --setting."""
    if not args.get("setting"):
        return ""
    return ("AND client_id IN (SELECT client_id FROM client_settings WHERE setting = :setting "
            "AND exposures > 0)")


def improvement(store: AuditStore, args: dict) -> Improvement:
    """First and latest band of each lower region of each client: over the store's whole span,
    the running spans (region_spans); over a shorter period, one pass each over the covering
    index (phase, client, region, date, record): SQLite takes a bare column (`band`) from the row
    that holds the group's min() or max(); on one date, the first and the last recorded
    assessment."""
    if args.get("whole"):
        return _improvement(store.conn.execute(f"""
            WITH ranked AS (SELECT client_id, n, {_RANK.replace("band", "first_band")} AS first,
                                   {_RANK.replace("band", "last_band")} AS latest
                            FROM region_spans WHERE phase = '{LOWER_PHASE}' {_ever_in_setting(args)}),
            {_PER_CLIENT}""", args).fetchone())
    where = f"""FROM region_bands WHERE phase = '{LOWER_PHASE}'
                AND assessment_date BETWEEN :start AND :end {_in_setting(args)}
                GROUP BY client_id, region"""
    row = store.conn.execute(f"""
        WITH firsts AS (SELECT client_id, region, band AS first, min(assessment_date), count(*) AS n
                        {where}),
        lasts AS (SELECT client_id, region, band AS latest,
                         max(assessment_date || '#' || printf('%020d', record_id)) {where}),
        ranked AS (SELECT client_id, n, {_RANK.replace("band", "first")} AS first,
                          {_RANK.replace("band", "latest")} AS latest
                   FROM firsts JOIN lasts USING (client_id, region)),
        {_PER_CLIENT}""", args).fetchone()
    return _improvement(row)


def _improvement(row: tuple) -> Improvement:
    clients, reassessed, improved, worsened, mixed, same, unknown = (int(x or 0) for x in row)
    return Improvement(clients=clients, reassessed=reassessed, improved=improved, worsened=worsened,
                       mixed=mixed, unchanged=same, not_comparable=unknown,
                       share_improved=_share(improved, reassessed))


def adherence(store: AuditStore, args: dict) -> Adherence:
    """The newest response to each recommendation (latest_feedback, kept by a trigger), for the
    recommendations of assessments in the period."""
    in_period = "" if args.get("whole") else (
        "AND target_id IN (SELECT record_id FROM region_bands "
        "WHERE assessment_date BETWEEN :start AND :end)")
    in_setting = _ever_in_setting(args) if args.get("whole") else _in_setting(args)
    rows = store.conn.execute(f"""
        SELECT outcome, reason, count(*) FROM latest_feedback
        WHERE 1 {in_period} {in_setting} GROUP BY 1, 2""", args)
    accepted = overridden = 0
    reasons: dict[str, int] = {}
    for outcome, reason, n in rows:
        if outcome == "accepted":
            accepted += n
        else:
            overridden += n
            reasons[reason or "(none)"] = reasons.get(reason or "(none)", 0) + n
    total = accepted + overridden
    return Adherence(responses=total, accepted=accepted, overridden=overridden,
                     share_accepted=_share(accepted, total), reasons=dict(sorted(reasons.items())))


def stability(store: AuditStore, args: dict) -> Stability:
    setting = _setting_clause(args.get("setting"))
    if args.get("whole"):  # every exposure and move is in the period: the running counts
        return _stability(store.conn.execute(f"""
            SELECT count(*), sum(n = 0), sum(n = 1), sum(n >= 2) FROM (
                SELECT sum(moves) AS n FROM client_settings WHERE 1 {setting}
                GROUP BY client_id HAVING sum(exposures) > 0)""", args).fetchone())
    row = store.conn.execute(f"""
        SELECT count(*), sum(n = 0), sum(n = 1), sum(n >= 2) FROM (
            SELECT (SELECT count(*) FROM outcome_events AS m WHERE m.client_id = p.client_id
                    AND m.kind = 'outcome' AND m.event = 'placement_move'
                    AND m.event_date BETWEEN :start AND :end
                    {"AND m.setting = :setting" if setting else ""}) AS n
            FROM (SELECT DISTINCT client_id FROM exposure_months
                  WHERE month BETWEEN substr(:start, 1, 7) AND substr(:end, 1, 7)
                        AND last_day >= :start AND first_day <= :end {setting}) AS p)""",
        args).fetchone()
    return _stability(row)


def _stability(row: tuple) -> Stability:
    clients, stable, one, more = (int(x or 0) for x in row)
    return Stability(clients=clients, without_move=stable, one_move=one, two_or_more=more,
                     share_stable=_share(stable, clients))


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def program_report(store: AuditStore, start: str | None = None, end: str | None = None,
                   setting: str | None = None) -> ProgramReport:
    """The report over [start, end] (ISO dates; default the whole span in the store)."""
    start, end, setting = check_period(start, end, setting)
    first, last = default_period(store)
    start, end = start or first, end or last
    if end < start:  # only one end given, on the far side of the data
        start, end = (start, start) if start > last else (end, end)
    # the whole span of the store: every assessment is in the period, no need to look up dates
    args = {"start": start, "end": end, "setting": setting,
            "whole": start <= first and end >= last}
    months, by_setting, per_setting, total = rate_cells(store, args, months_between(start, end))
    head, _ = store.head()
    return ProgramReport(period_from=start, period_to=end, setting=setting, store_head=head,
                         months=tuple(months), by_setting=tuple(by_setting),
                         settings=tuple(per_setting), total=total,
                         improvement=improvement(store, args), adherence=adherence(store, args),
                         stability=stability(store, args))
