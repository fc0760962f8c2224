"""Running totals for the program report, kept by triggers as records are appended (schema v3).

The report over 100,000 assessments must come within 20x of a bare `count(*)` (issue #17). The
derived rows of v2 (region_bands, outcome_events, exposure_months) already spare it the plans, but
each figure still visited every one of those rows. These tables hold the totals themselves, one
small row per month and setting, per client and region, per recommendation:

- event_month_counts   outcome events per month, setting and event;
- exposure_month_days  exposure days per month and setting;
- region_spans         each client's first and latest band of each region (with how many);
- client_settings      each client's exposure periods and placement moves per setting;
- latest_feedback      the newest response to each recommendation.

A trigger adds to them in the same transaction as the record, so they are never behind. Months
and clients a report covers whole are read from here; the part-months at the edges of a period
(and first/latest bands within a period shorter than the store's span) are counted from the v2
rows as before. Like those rows they are derived, not hashed: `audit verify` recomputes each
total from its source and names a table that does not match.
"""

from __future__ import annotations

# Sorts dates, then record ids on one date: the order "first" and "latest" assessment follow.
_KEY = "{p}assessment_date || '#' || printf('%020d', {p}record_id)"

_TABLES = (
    """CREATE TABLE event_month_counts (
        month   TEXT NOT NULL,
        setting TEXT NOT NULL,
        event   TEXT NOT NULL,
        n       INTEGER NOT NULL,
        PRIMARY KEY (month, setting, event)
    ) WITHOUT ROWID""",
    """CREATE TABLE exposure_month_days (
        month   TEXT NOT NULL,
        setting TEXT NOT NULL,
        days    INTEGER NOT NULL,
        PRIMARY KEY (month, setting)
    ) WITHOUT ROWID""",
    """CREATE TABLE region_spans (
        phase      TEXT NOT NULL,
        client_id  TEXT NOT NULL,
        region     TEXT NOT NULL,
        n          INTEGER NOT NULL,
        first_key  TEXT NOT NULL,
        first_band TEXT NOT NULL,
        last_key   TEXT NOT NULL,
        last_band  TEXT NOT NULL,
        PRIMARY KEY (phase, client_id, region)
    ) WITHOUT ROWID""",
    """CREATE TABLE client_settings (
        client_id TEXT NOT NULL,
        setting   TEXT NOT NULL,
        exposures INTEGER NOT NULL,
        moves     INTEGER NOT NULL,
        PRIMARY KEY (client_id, setting)
    ) WITHOUT ROWID""",
    """CREATE TABLE latest_feedback (
        target_id    INTEGER NOT NULL,
        intervention TEXT NOT NULL,
        record_id    INTEGER NOT NULL,
        client_id    TEXT NOT NULL,
        outcome      TEXT,
        reason       TEXT,
        PRIMARY KEY (target_id, intervention)
    ) WITHOUT ROWID""",
)

# Each source query gives a table's whole contents; the triggers add one source row at a time,
# and the migration fills the tables from the records already in the store with the same query.
SOURCES = {
    "event_month_counts": """
        SELECT substr(event_date, 1, 7) AS month, setting, event, count(*) AS n FROM outcome_events
        WHERE kind = 'outcome' GROUP BY 1, 2, 3""",
    "exposure_month_days": """
        SELECT month, setting, sum(days) AS days FROM exposure_months GROUP BY 1, 2""",
    # SQLite takes a bare column (band) from the row holding the group's min() or max()
    "region_spans": f"""
        SELECT f.phase, f.client_id, f.region, f.n, f.first_key, f.first_band, l.last_key, l.last_band
        FROM (SELECT phase, client_id, region, count(*) AS n, min({_KEY.format(p="")}) AS first_key,
                     band AS first_band
              FROM region_bands WHERE phase IS NOT NULL GROUP BY 1, 2, 3) AS f
        JOIN (SELECT phase, client_id, region, max({_KEY.format(p="")}) AS last_key,
                     band AS last_band
              FROM region_bands WHERE phase IS NOT NULL GROUP BY 1, 2, 3) AS l
        USING (phase, client_id, region)""",
    "client_settings": """
        SELECT client_id, setting, sum(kind = 'exposure') AS exposures,
               sum(kind = 'outcome' AND event = 'placement_move') AS moves
        FROM outcome_events GROUP BY 1, 2""",
    "latest_feedback": """
        SELECT target_id, intervention, max(id) AS record_id, client_id, outcome, reason FROM records
        WHERE kind = 'feedback' GROUP BY 1, 2""",
}
_TRIGGERS = (
    """CREATE TRIGGER summary_events AFTER INSERT ON outcome_events
        BEGIN
        INSERT INTO event_month_counts SELECT substr(NEW.event_date, 1, 7), NEW.setting, NEW.event, 1
            WHERE NEW.kind = 'outcome'
            ON CONFLICT DO UPDATE SET n = n + 1;
        INSERT INTO client_settings VALUES (NEW.client_id, NEW.setting, NEW.kind = 'exposure',
            NEW.kind = 'outcome' AND NEW.event = 'placement_move')
            ON CONFLICT DO UPDATE SET exposures = exposures + excluded.exposures,
                                      moves = moves + excluded.moves;
        END""",
    """CREATE TRIGGER summary_exposure AFTER INSERT ON exposure_months
        BEGIN INSERT INTO exposure_month_days VALUES (NEW.month, NEW.setting, NEW.days)
            ON CONFLICT DO UPDATE SET days = days + excluded.days; END""",
    # In an upsert's SET every expression reads the row as it was, so the bands are chosen by the
    # old keys before the keys move.
    f"""CREATE TRIGGER summary_spans AFTER INSERT ON region_bands WHEN NEW.phase IS NOT NULL
        BEGIN INSERT INTO region_spans VALUES (NEW.phase, NEW.client_id, NEW.region, 1,
            {_KEY.format(p="NEW.")}, NEW.band, {_KEY.format(p="NEW.")}, NEW.band)
            ON CONFLICT DO UPDATE SET n = n + 1,
                first_band = CASE WHEN excluded.first_key < first_key THEN excluded.first_band
                                  ELSE first_band END,
                first_key = min(first_key, excluded.first_key),
                last_band = CASE WHEN excluded.last_key > last_key THEN excluded.last_band
                                 ELSE last_band END,
                last_key = max(last_key, excluded.last_key); END""",
    """CREATE TRIGGER summary_feedback AFTER INSERT ON records WHEN NEW.kind = 'feedback'
        BEGIN INSERT INTO latest_feedback VALUES (NEW.target_id, NEW.intervention,
            NEW.id, NEW.client_id, NEW.outcome, NEW.reason)
            ON CONFLICT DO UPDATE SET record_id = excluded.record_id, client_id = excluded.client_id,
                outcome = excluded.outcome, reason = excluded.reason; END""",
)

MIGRATION = (
    *_TABLES,
    *(f"INSERT INTO {table} {query}" for table, query in SOURCES.items()),
    *_TRIGGERS,
    # read by the report for a --setting, and by a client's own view
    "CREATE INDEX client_settings_by_setting ON client_settings (setting, client_id, exposures, moves)",
)

def mismatch_queries() -> dict[str, str]:
    """For each table, a query whose one value is true when its contents differ from a
    recomputation from its source rows (recomputed once: region_spans groups every band)."""
    return {table: f"WITH source AS MATERIALIZED ({query}) "
                   f"SELECT EXISTS (SELECT * FROM source EXCEPT SELECT * FROM {table}) "
                   f"OR EXISTS (SELECT * FROM {table} EXCEPT SELECT * FROM source)"
            for table, query in SOURCES.items()}
