"""The caseload table for analysts: one CSV row per assessment, pseudonymous, built by one SQL query.

Columns: the record, client and assessor pseudonyms, the assessment date, the knowledge base, each
region's band and score (lowest region first), the plan's size (active, deferred, avoided,
critical flags), the clinician's responses (newest per recommendation), and the outcome events of
the client from this assessment up to the next one. No free text: feedback comments never leave
the store this way.
"""

from __future__ import annotations

import csv
import io

from engine.audit.store import AuditStore

_QUERY = """
    WITH assessed AS (
        SELECT id, client_id, assessor_id, assessment_date, kb_name, kb_version,
               audit_text(plan_json) AS plan_json,  -- unpacked (engine/audit/packing.py)
               lead(assessment_date) OVER (PARTITION BY client_id ORDER BY assessment_date, id) AS next
        FROM records WHERE kind = 'assessment')
    SELECT a.id, a.client_id, a.assessor_id, a.assessment_date, a.kb_name, a.kb_version,
           (SELECT coalesce(sum(json_array_length(p.value, '$.recommendations')), 0)
            FROM json_each(a.plan_json, '$.phases') AS p),
           json_array_length(a.plan_json, '$.deferred'), json_array_length(a.plan_json, '$.avoided'),
           (SELECT count(*) FROM json_each(a.plan_json, '$.flags') AS f
            WHERE json_extract(f.value, '$.severity') = 'critical'),
           (SELECT count(*) FROM (SELECT outcome, row_number() OVER (PARTITION BY intervention
                                  ORDER BY id DESC) AS newest FROM records
                                  WHERE kind = 'feedback' AND target_id = a.id)
            WHERE newest = 1 AND outcome = 'accepted'),
           (SELECT count(*) FROM (SELECT outcome, row_number() OVER (PARTITION BY intervention
                                  ORDER BY id DESC) AS newest FROM records
                                  WHERE kind = 'feedback' AND target_id = a.id)
            WHERE newest = 1 AND outcome = 'overridden'),
           (SELECT count(*) FROM outcome_events AS e WHERE e.kind = 'outcome' AND e.client_id = a.client_id
            AND e.event_date >= a.assessment_date AND (a.next IS NULL OR e.event_date < a.next))
    FROM assessed AS a
    WHERE a.assessment_date BETWEEN :start AND :end
    ORDER BY a.client_id, a.assessment_date, a.id"""

COLUMNS = ("record_id", "client_id", "assessor_id", "assessment_date", "kb_name", "kb_version")
TAIL = ("recommended", "deferred", "avoided", "critical_flags", "accepted", "overridden",
        "outcome_events_to_next_assessment")


def regions(store: AuditStore) -> list[str]:
    """Region names as the newest plan lists them (lowest first); any others after, by name."""
    row = store.conn.execute("SELECT audit_text(plan_json) FROM records WHERE kind = 'assessment' "
                             "ORDER BY id DESC LIMIT 1").fetchone()
    ordered = [r[0] for r in store.conn.execute(
        "SELECT json_extract(value, '$.region') FROM json_each(?, '$.regions')", (row[0],))] if row else []
    others = [r[0] for r in store.conn.execute("SELECT DISTINCT region FROM region_bands ORDER BY 1")
              if r[0] not in ordered]
    return ordered + others


def caseload_csv(store: AuditStore, start: str | None = None, end: str | None = None) -> str:
    names = regions(store)
    bands: dict[int, dict[str, tuple]] = {}
    args = {"start": start or "0000-00-00", "end": end or "9999-99-99"}
    for record_id, region, band, score in store.conn.execute(
            "SELECT record_id, region, band, score FROM region_bands "
            "WHERE assessment_date BETWEEN :start AND :end", args):
        bands.setdefault(record_id, {})[region] = (band, score)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*COLUMNS, *(f"{r}_{x}" for r in names for x in ("band", "score")), *TAIL])
    for row in store.conn.execute(_QUERY, args):
        regional = bands.get(row[0], {})
        cells = [v for r in names for v in regional.get(r, ("", ""))]
        writer.writerow([*row[:6], *("" if v is None else v for v in cells), *row[6:]])
    return buffer.getvalue()
