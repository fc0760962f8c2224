"""The functional profile: an estimated functional stage per domain and per region, each with its
basis. Our own method (docs/scoring.md has worked examples); always an estimate, never a rule's
reason to withhold work from the adults around the client.

For a set of items (a domain, a region, or all of them), take the *due* items whose function is
typically established by the client's age (`typical_from_months` at or below it): these are the
functions a typically developing person of that age has in place. Each known rating of one of them
earns a stage credit from the rating scale (shipped: 0 → 1, 1 → 0.9, 2 → 0.6, 3 → 0.3). The stage is
the chronological age times the mean credit, in whole months (rounded down): every expected
function typical for age gives the chronological age; every one present only with support,
about six tenths of it. With fewer known
ratings than the instrument's minimum (as for a band), the estimate is null, with the reason.

Monotone: rating any item worse never raises its credit, so never makes the estimate older
(tests/test_profile_properties.py). The estimate is a summary of which expected functions are in
place, not a mental age: docs/scoring.md says how to read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from dsl.checked import CheckedKnowledgeBase
from engine import plan as p
from engine.ratings import ItemRating
from engine.scoring import needed_known


@dataclass(frozen=True)
class Stage:
    name: str  # a domain, a region, or "overall"
    months: int | None
    due: tuple[str, ...]  # items typically established by the client's age and rated at it
    known: tuple[str, ...]  # of those, the items with a known rating
    credit: float  # sum of the stage credits of the known ratings
    reason: str | None = None  # why there is no estimate


def stage_of(name: str, ratings: list[ItemRating], age_months: int, kb: CheckedKnowledgeBase) -> Stage:
    instrument = kb.instrument
    due = sorted((r for r in ratings if r.due and r.item.typical_from_months <= age_months),
                 key=lambda r: (r.item.typical_from_months, r.item.id))
    known = [r for r in due if r.value is not None]
    due_ids = tuple(r.item.id for r in due)
    known_ids = tuple(r.item.id for r in known)
    if not due:
        return Stage(name, None, due_ids, known_ids, 0.0,
                     "no item of this kind is yet expected at the client's age")
    if len(due) < 2:
        return Stage(name, None, due_ids, known_ids, 0.0,
                     "only one item of this kind is expected by the client's age: too few for "
                     "an estimate")
    # As for a band, but a young client may have fewer expected items than a band needs: then
    # every one of them must be rated.
    needed = min(needed_known(kb, len(due)), len(due))
    if len(known) < needed:
        return Stage(name, None, due_ids, known_ids, 0.0,
                     f"only {len(known)} of {len(due)} due items are rated; at least {needed} "
                     "are needed for an estimate")
    credit = sum((instrument.credit(r.rated) for r in known), 0.0)
    return Stage(name, _months(age_months, credit, len(known)), due_ids, known_ids, round(credit, 2))


@lru_cache(maxsize=4096)
def _months(age_months: int, credit: float, known: int) -> int:
    """Whole months, rounded down; Fraction keeps the arithmetic exact (no float edge cases).
    Remembered: the same few ages, credit sums and counts come back plan after plan."""
    return int(Fraction(age_months) * Fraction(credit).limit_denominator(1000) / known)


def functional_profile(ratings: tuple[ItemRating, ...], age_months: int, kb: CheckedKnowledgeBase
                       ) -> tuple[list[Stage], list[Stage], Stage]:
    """Stages per domain (declared order), per region (lowest first), and over all items."""
    by_domain: dict[str, list[ItemRating]] = {}
    by_region: dict[str, list[ItemRating]] = {}
    for r in ratings:  # one pass, in the ratings' order (as the filters before it kept)
        by_domain.setdefault(r.item.domain, []).append(r)
        by_region.setdefault(r.item.region, []).append(r)
    domains = [stage_of(d, by_domain.get(d, []), age_months, kb) for d in kb.domain_names]
    regions = [stage_of(g, by_region.get(g, []), age_months, kb) for g in kb.region_names]
    return domains, regions, stage_of("overall", list(ratings), age_months, kb)


METHOD = ("our own estimate: chronological age x mean stage credit of the known ratings of due "
          "items typically established by that age (docs/scoring.md)")


def _estimate(stage: Stage) -> p.StageEstimate:
    return p.StageEstimate(name=stage.name, estimate_months=stage.months, basis_items=stage.due,
                           known_items=stage.known, credit=stage.credit, reason=stage.reason)


def profile_summary(facts) -> p.FunctionalProfile | None:
    """The plan's `profile` from the client's facts (None for facts built without one)."""
    if facts.overall_stage is None:
        return None
    return p.FunctionalProfile(method=METHOD,
                               domains=tuple(_estimate(s) for s in facts.domain_stages),
                               regions=tuple(_estimate(s) for s in facts.region_stages),
                               overall=_estimate(facts.overall_stage))
