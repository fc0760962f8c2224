"""A synthetic agency for demos, tests and the benchmark: deterministic by seed.

Each client is placed (residential or at home with carers) and re-assessed about every three
months over two years. Region bands start compromised, lower regions first, and tend to settle
bottom-up: a region rarely improves while a region below it is still moderate or severe. Outcome
events (restraint, critical incidents …) occur at rates per 100 bed-days that rise with how
compromised the lower regions are at the time, so the agency's rates fall as its clients' lower
regions improve. Exposure is recorded from one assessment to the next.

Every assessment goes through the real engine; an assessment whose clinical content (everything
but the client, assessor and date) was already assessed reuses that plan and trace with those
three fields (and the input hash) put in, which is exactly what the engine would produce: the
plan depends on the client only through them (tests/test_agency.py checks this).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from dataclasses import dataclass

from dsl.checked import CheckedKnowledgeBase
from dsl.vocabulary import BANDS
from engine import __version__
from engine.audit.feedback import OVERRIDE_REASONS
from engine.audit.outcomes import PAYLOAD_FORMAT
from engine.audit.store import AuditStore, assessment_fields
from engine.intake import validate_assessment
from engine.pipeline import assess, canonical_json, input_hash
from engine.synthetic.clients import Profile, raw_assessment

# events per 100 bed-days, multiplied by intensity(): rarer as the lower regions settle
BASE_RATES = {"restraint": 1.4, "seclusion": 0.4, "critical_incident": 0.8, "placement_move": 0.06,
              "school_exclusion": 0.3, "missing_episode": 0.5, "hospital_admission": 0.12}
PLACEMENTS = (("residential", 0.6), ("home", 0.4))
DAYS_BETWEEN = 91


@dataclass(frozen=True)
class AgencyShape:
    clients: int = 40
    start: str = "2024-01-01"
    months: int = 24
    seed: int = 7
    event_scale: float = 1.0  # the benchmark scales event rates to reach its event count
    ages: tuple[int, ...] = tuple(range(6, 17))  # fewer ages: more assessments share a plan


@dataclass
class Written:
    assessments: int = 0
    feedback: int = 0
    events: int = 0
    exposures: int = 0


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small means here."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def settle(rng: random.Random, bands: dict[str, int], regions: list[str]) -> dict[str, int]:
    """One review period: regions improve bottom-up, now and then one slips back."""
    out = dict(bands)
    for index, region in enumerate(regions):
        below_settled = all(out[r] <= 1 for r in regions[:index])
        chance = 0.3 if below_settled else 0.06
        if out[region] > 0 and rng.random() < chance:
            out[region] -= 1
        elif out[region] < 3 and rng.random() < 0.07:
            out[region] += 1
    return out


def intensity(severity: float) -> float:
    """How much more often events happen than at base rate, by mean lower-region band (0 … 3)."""
    return 0.15 + severity ** 1.5 / 2


def arousal_for(severity: float) -> str:
    return "alarm" if severity >= 2.5 else "alert" if severity >= 1.5 else "calm"


class PlanCache:
    """Plans and traces by clinical content (everything but client, assessor, date).

    A reused plan is the engine's JSON text with the client, the date and the input hash put in
    by replacing their (unique) lines: re-encoding with `indent` runs json's pure-Python encoder,
    which would cost more than the rest of a record.
    """

    def __init__(self, kb: CheckedKnowledgeBase):
        self.kb = kb
        self._made: dict[str, tuple[dict, str]] = {}

    def fields(self, raw: dict) -> dict:
        key = canonical_json({k: v for k, v in raw.items()
                              if k not in ("client_id", "assessor_id", "assessment_date")})
        if key not in self._made:
            assessment = validate_assessment(raw, "(synthetic)", self.kb)
            made = assessment_fields(assess(assessment, raw, self.kb), raw)
            self._made[key] = (made, made["plan_json"])
            return made
        made, plan = self._made[key]
        digest = input_hash(raw)
        for name, value in (("client_id", raw["client_id"]),
                            ("assessment_date", raw["assessment_date"])):
            plan = plan.replace(f'\n  "{name}": {json.dumps(made[name])},\n',
                                f'\n  "{name}": {json.dumps(value)},\n', 1)
        plan = plan.replace(f'"input_hash": "{made["input_hash"]}"', f'"input_hash": "{digest}"', 1)
        return dict(made, client_id=raw["client_id"], assessor_id=raw["assessor_id"],
                    assessment_date=raw["assessment_date"], input_hash=digest,
                    input_json=canonical_json(raw), plan_json=plan)


def _event(kind: str, client: str, payload: dict) -> dict:
    payload = {"format": PAYLOAD_FORMAT, **payload}
    return {"kind": kind, "client_id": client, "assessor_id": None, "engine_version": __version__,
            "input_json": canonical_json(payload), "input_hash": input_hash(payload)}


class Agency:
    def __init__(self, kb: CheckedKnowledgeBase, shape: AgencyShape):
        self.kb, self.shape = kb, shape
        self.cache = PlanCache(kb)
        self.regions = list(kb.region_names)
        self.lower = [r.name for r in kb.regions if r.phase == "regulate"]
        self.end = _add_months(dt.date.fromisoformat(shape.start), shape.months) - dt.timedelta(days=1)

    def client(self, index: int) -> tuple[list[dict], list[float], list[dict]]:
        """One client's assessments, feedback wishes and events, by date."""
        rng = random.Random(f"{self.shape.seed}-{index}")
        client = f"C{index:05d}"
        setting = "residential" if rng.random() < PLACEMENTS[0][1] else "home"
        bands = {r: rng.choice((2, 3, 3)) if r in self.lower else rng.choice((1, 2, 3))
                 for r in self.regions}
        day = dt.date.fromisoformat(self.shape.start) + dt.timedelta(days=rng.randrange(0, 120))
        assessments, feedback, events = [], [], []
        age = rng.choice(self.shape.ages)
        while day <= self.end:
            severity = sum(bands[r] for r in self.lower) / max(len(self.lower), 1)
            raw = raw_assessment(Profile(bands={r: BANDS[b] for r, b in bands.items()},
                                         age_years=age, arousal_current=arousal_for(severity),
                                         arousal_baseline=arousal_for(severity),
                                         settings=(setting, "school")), self.kb, client)
            raw.update(assessor_id=f"CLIN-{rng.randrange(1, 9):02d}", assessment_date=day.isoformat())
            assessments.append(raw)
            feedback.append(rng.random())
            nxt = min(day + dt.timedelta(days=DAYS_BETWEEN + rng.randrange(-10, 11)),
                      self.end + dt.timedelta(days=1))
            events += self._period(rng, client, setting, day, nxt - dt.timedelta(days=1), severity)
            bands, day = settle(rng, bands, self.regions), nxt
        return assessments, feedback, events

    def _period(self, rng, client, setting, first, last, severity) -> list[dict]:
        days = (last - first).days + 1
        out = [_event("exposure", client, {"event": "exposure", "date": first.isoformat(),
                                           "to": last.isoformat(), "days": days, "setting": setting})]
        for event, base in BASE_RATES.items():
            if event == "seclusion" and setting != "residential":
                continue
            for _ in range(poisson(rng, self.shape.event_scale * base * intensity(severity) * days / 100)):
                when = first + dt.timedelta(days=rng.randrange(days))
                code = f"{event[:3].upper()}-{rng.randrange(10**6):06d}"
                out.append(_event("outcome", client, {"event": event, "date": when.isoformat(),
                                                      "setting": setting, "code": code}))
        return sorted(out, key=lambda e: json.loads(e["input_json"])["date"])


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1, day=1)


def fill(store: AuditStore, kb: CheckedKnowledgeBase, shape: AgencyShape) -> Written:
    """Append the agency to `store`, one transaction per client; returns what was written."""
    agency, written = Agency(kb, shape), Written()
    for index in range(1, shape.clients + 1):
        assessments, wishes, events = agency.client(index)
        entries = [agency.cache.fields(raw) for raw in assessments]
        appended = store.append_assessments(entries, kb)
        written.assessments += len(appended)
        store.append_records(events)
        written.events += sum(e["kind"] == "outcome" for e in events)
        written.exposures += sum(e["kind"] == "exposure" for e in events)
        written.feedback += _feedback(store, entries, appended, wishes)
    return written


def _feedback(store: AuditStore, entries: list[dict], appended, wishes: list[float]) -> int:
    """The clinician responds to the first two recommendations of most plans; overrides are rarer."""
    rows = []
    for fields, done, wish in zip(entries, appended, wishes):
        if wish > 0.8:
            continue
        plan = json.loads(fields["plan_json"])
        first = [r["intervention"] for p in plan.get("phases", []) for r in p["recommendations"]][:2]
        for n, intervention in enumerate(first):
            overridden = (wish * 10 + n) % 1 < 0.2
            reason = list(OVERRIDE_REASONS)[int(wish * 1000) % 6] if overridden else None
            rows.append({"kind": "feedback", "client_id": fields["client_id"], "assessor_id":
                         fields["assessor_id"], "engine_version": __version__, "target_id": done.id,
                         "intervention": intervention,
                         "outcome": "overridden" if overridden else "accepted", "reason": reason})
    if rows:
        store.append_records(rows)
    return len(rows)


