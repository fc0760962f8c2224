"""A client's plans over time, with the change in each region's band between assessments."""

from __future__ import annotations

from dataclasses import dataclass

from dsl.errors import did_you_mean
from dsl.vocabulary import BANDS
from engine.audit.errors import audit_error
from engine.audit.store import AuditStore, Record


@dataclass(frozen=True)
class RegionChange:
    region: str
    before: str | None  # None: the first assessment
    after: str
    score: float | None

    @property
    def steps(self) -> int | None:
        """Bands moved: positive is worse, negative better; None when not comparable."""
        if self.before not in BANDS or self.after not in BANDS:
            return None
        return BANDS.index(self.after) - BANDS.index(self.before)

    def describe(self) -> str:
        if self.before is None:
            return self.after
        if self.before == self.after:
            return f"{self.after} (no change)"
        steps = self.steps
        if steps is None:
            return f"{self.before} -> {self.after}"
        word = "worse" if steps > 0 else "better"
        return f"{self.before} -> {self.after} ({abs(steps)} band{'s' if abs(steps) > 1 else ''} {word})"


@dataclass(frozen=True)
class HistoryEntry:
    record: Record
    regions: tuple[RegionChange, ...]
    phases: tuple[tuple[str, int], ...]  # (phase, number of recommendations)
    deferred: int
    avoided: int
    feedback: tuple[Record, ...]


def client_history(store: AuditStore, client: str) -> list[HistoryEntry]:
    """Assessments of `client` by assessment date (then record id); exit 2 for an unknown client."""
    records = store.records(client=client, kind="assessment")
    if not records:
        hint = did_you_mean(client, store.clients())
        raise audit_error("E714", f"no assessments of client '{client}' in the store", store.display,
                          hint=hint)
    records.sort(key=lambda r: (r.assessment_date or "", r.id))
    entries: list = []
    previous: dict = {}
    for record in records:
        plan = record.plan
        bands = {r["region"]: (r["band"], r.get("score")) for r in plan.get("regions", [])}
        changes = tuple(RegionChange(region, previous.get(region), band, score)
                        for region, (band, score) in bands.items())
        entries.append(HistoryEntry(
            record, changes,
            tuple((p["name"], len(p.get("recommendations", []))) for p in plan.get("phases", [])),
            len(plan.get("deferred", [])), len(plan.get("avoided", [])),
            tuple(store.feedback_for(record.id))))
        previous = {region: band for region, (band, _) in bands.items()}
    return entries
