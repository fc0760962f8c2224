"""A client's progress across re-assessments: scores and bands over time, what changed in the plan
between consecutive assessments and which rules did it, the phase goals (`move_on_when`) met or not
yet, the clinician's feedback, and the client's outcome events between assessments.

Reads only that client's records (the store's client index). Stored plans are read defensively as
JSON: a plan written by an older or newer engine may lack a field or carry more.
"""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict, Field

from dsl.errors import did_you_mean
from dsl.vocabulary import BANDS
from engine.audit.diff import Placement, placements
from engine.audit.errors import audit_error
from engine.audit.store import AuditStore, Record
from engine.pipeline import plan_json
from engine.plan import BandChange, ItemChange, Plan, PlanChange, SincePrevious

PHASES = ("regulate", "relate", "reason")
OPENING_GATES = ("region", "arousal", "rule")  # not "prerequisite": that is about one activity
OPEN_SENTENCE = "nothing holds back"  # engine/sequence.py's move_on_when when the next phase is open


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Score(_Out):
    name: str = Field(title="Region or domain")
    score: float | None = Field(title="Score", description="On the instrument's scale; null if insufficient")
    band: str = Field(title="Band")


class Goal(_Out):
    phase: str = Field(title="Phase", description="The phase whose goal this is")
    next_phase: str = Field(title="Next phase", description="The phase that opens when it is met")
    criteria: tuple[str, ...] = Field(title="Move on when", description="As the plan states it")
    met: bool = Field(title="Met", description="Nothing of the next phase waits on a region or "
                                               "arousal gate at this assessment")
    holding: tuple[str, ...] = Field(title="Holding", description="The values still holding it shut")


class Feedback(_Out):
    intervention: str = Field(title="Intervention")
    outcome: str = Field(title="Outcome", description="accepted or overridden (the newest response)")
    reason: str | None = Field(None, title="Override reason")
    record_id: int = Field(title="Feedback record")


class Point(_Out):
    record_id: int = Field(title="Assessment record")
    assessment_date: str = Field(title="Assessment date")
    kb: str = Field(title="Knowledge base", description="name version")
    regions: tuple[Score, ...] = Field(title="Regions", description="Lowest first")
    domains: tuple[Score, ...] = Field(title="Domains")
    arousal: str | None = Field(title="Current arousal")
    flags: tuple[str, ...] = Field(title="Flags raised")
    phases: dict[str, int] = Field(title="Active recommendations per phase")
    deferred: int = Field(title="Deferred")
    avoided: int = Field(title="Avoided")
    goals: tuple[Goal, ...] = Field(title="Goals", description="Each phase's move-on goal")
    feedback: tuple[Feedback, ...] = Field(title="Feedback", description="Newest per intervention")


class Change(PlanChange):
    from_record: int = Field(title="Earlier assessment record")
    to_record: int = Field(title="Later assessment record")
    events: dict[str, int] = Field(title="Outcome events", description="Between the two dates")


class Progress(_Out):
    client_id: str = Field(title="Client pseudonym")
    assessments: tuple[Point, ...] = Field(title="Assessments", description="By assessment date")
    changes: tuple[Change, ...] = Field(title="Changes", description="Between consecutive assessments")
    events: dict[str, int] = Field(title="Outcome events", description="All of the client's, by event")
    exposure_days: int = Field(title="Exposure days", description="Days in placement recorded")


def client_progress(store: AuditStore, client: str) -> Progress:
    """The client's progress; exit 2 (E714) when the store has no assessment of them."""
    records = store.records(client=client)
    assessments = sorted((r for r in records if r.kind == "assessment"),
                         key=lambda r: (r.assessment_date or "", r.id))
    if not assessments:
        raise audit_error("E714", f"no assessments of client '{client}' in the store",
                          store.display, hint=did_you_mean(client, store.clients()))
    feedback = [r for r in records if r.kind == "feedback"]
    events = [r.input for r in records if r.kind == "outcome"]
    points = [point(r, [f for f in feedback if f.target_id == r.id]) for r in assessments]
    changes = [change(a, b, events) for a, b in zip(assessments, assessments[1:])]
    counts: dict[str, int] = {}
    for event in events:
        counts[event.get("event", "?")] = counts.get(event.get("event", "?"), 0) + 1
    days = sum(int(r.input.get("days") or 0) for r in records if r.kind == "exposure")
    return Progress(client_id=client, assessments=tuple(points), changes=tuple(changes),
                    events=dict(sorted(counts.items())), exposure_days=days)


def _scores(plan: dict, key: str, name: str) -> tuple[Score, ...]:
    return tuple(Score(name=str(s.get(name)), score=s.get("score"), band=str(s.get("band")))
                 for s in plan.get(key, []) if isinstance(s, dict))


def point(record: Record, feedback: list[Record]) -> Point:
    plan = record.plan
    latest = {f.intervention: f for f in feedback}  # the newest response counts
    return Point(
        record_id=record.id, assessment_date=record.assessment_date or "",
        kb=f"{record.kb_name} {record.kb_version}",
        regions=_scores(plan, "regions", "region"), domains=_scores(plan, "domains", "domain"),
        arousal=(plan.get("arousal") or {}).get("current"),
        flags=tuple(sorted(f.get("code", "") for f in plan.get("flags", []))),
        phases={p.get("name"): len(p.get("recommendations", [])) for p in plan.get("phases", [])},
        deferred=len(plan.get("deferred", [])), avoided=len(plan.get("avoided", [])),
        goals=goals(plan),
        feedback=tuple(Feedback(intervention=i, outcome=f.outcome or "", reason=f.reason,
                                record_id=f.id)
                       for i, f in sorted((k, f) for k, f in latest.items() if k is not None)))


def goals(plan: dict) -> tuple[Goal, ...]:
    """Each phase's move-on goal at this assessment. Met when the plan says nothing holds the next
    phase back and none of its work waits on a gate (a region band, the arousal state, or a rule
    that waits for the lower regions); a prerequisite gate is about one activity, not the phase."""
    stated = {p.get("name"): tuple(p.get("move_on_when", ())) for p in plan.get("phases", [])}
    out = []
    for phase, next_phase in zip(PHASES, PHASES[1:]):
        holding = sorted({str(d.get("holding_value", "?")) for d in plan.get("deferred", [])
                          if d.get("phase") == next_phase and d.get("gate_kind") in OPENING_GATES})
        criteria = stated.get(phase, ())
        if phase not in stated and not holding:
            continue  # no work in this phase and nothing waiting: no goal to track
        open_ = all(c.startswith(OPEN_SENTENCE) for c in criteria)
        out.append(Goal(phase=phase, next_phase=next_phase, criteria=criteria,
                        met=open_ and not holding, holding=tuple(holding)))
    return tuple(out)


def _band_changes(before: tuple[Score, ...], after: tuple[Score, ...]) -> tuple[BandChange, ...]:
    then = {s.name: s.band for s in before}
    out = []
    for score in after:
        old = then.get(score.name)
        if old is not None and old != score.band:
            steps = BANDS.index(score.band) - BANDS.index(old) \
                if old in BANDS and score.band in BANDS else None
            out.append(BandChange(name=score.name, before=old, after=score.band, steps=steps))
    return tuple(out)


def _item(intervention: str, a: Placement | None, b: Placement | None) -> ItemChange:
    return ItemChange(intervention=intervention,
                      before=a.describe() if a else "not in the plan",
                      after=b.describe() if b else "not in the plan",
                      rules=tuple(sorted(set((a.rules if a else ()) + (b.rules if b else ())))))


def plan_change(earlier: dict, later: dict) -> dict:
    """The fields of a PlanChange between two stored plans (read defensively, as JSON)."""
    then, now = placements(earlier), placements(later)
    started: list[ItemChange] = []
    released: list[ItemChange] = []
    stopped: list[ItemChange] = []
    for intervention in sorted(set(then) | set(now)):
        x, y = then.get(intervention), now.get(intervention)
        was = x is not None and x.status == "recommended"
        is_ = y is not None and y.status == "recommended"
        if is_ and not was:
            (released if x is not None and x.status == "deferred" else started).append(
                _item(intervention, x, y))
        elif was and not is_:
            stopped.append(_item(intervention, x, y))
    flags_then = {f.get("code"): f for f in earlier.get("flags", [])}
    flags_now = {f.get("code"): f for f in later.get("flags", [])}
    rules = {r for item in started + released + stopped for r in item.rules}
    rules |= {r for code in set(flags_then) ^ set(flags_now)
              for r in (flags_then.get(code) or flags_now.get(code) or {}).get("rules", [])}
    return {"regions": _band_changes(_scores(earlier, "regions", "region"),
                                     _scores(later, "regions", "region")),
            "domains": _band_changes(_scores(earlier, "domains", "domain"),
                                     _scores(later, "domains", "domain")),
            "flags_raised": tuple(sorted(set(flags_now) - set(flags_then))),
            "flags_dropped": tuple(sorted(set(flags_then) - set(flags_now))),
            "started": tuple(started), "released": tuple(released), "stopped": tuple(stopped),
            "rules": tuple(sorted(rules))}


def change(earlier: Record, later: Record, events: list[dict]) -> Change:
    between: dict[str, int] = {}
    for event in events:
        if (earlier.assessment_date or "") < event.get("date", "") <= (later.assessment_date or ""):
            between[event["event"]] = between.get(event["event"], 0) + 1
    return Change(from_record=earlier.id, to_record=later.id, events=dict(sorted(between.items())),
                  **plan_change(earlier.plan, later.plan))


def since_previous(store: AuditStore, plan: Plan, previous_record: int | None) -> Plan:
    """`plan` with what changed since the previous assessment it names (unchanged if none).

    Exit 2 when the record is missing (E710), not an assessment (E711), of another client or
    dated after this assessment (E739): the comparison would be meaningless.
    """
    if previous_record is None:
        return plan
    previous = store.record(previous_record, kind="assessment")
    if previous.client_id != plan.client_id:
        raise audit_error("E739", f"previous_record {previous_record} is an assessment of another "
                                  "client", store.display,
                          hint="name an earlier assessment of this client (`groundwork audit list "
                               "--client ID`)")
    if (previous.assessment_date or "") > plan.assessment_date:
        raise audit_error("E739", f"previous_record {previous_record} is dated "
                                  f"{previous.assessment_date}, after this assessment", store.display)
    later = json.loads(plan_json(plan))
    since = SincePrevious(record_id=previous.id, record_hash=previous.record_hash,
                          assessment_date=previous.assessment_date or "",
                          **plan_change(previous.plan, later))
    return plan.model_copy(update={"since_previous": since})
