"""Our own scoring method: ratings → a score and a band per region and domain, and an estimate of
developmental age. Documented in docs/scoring.md; the thresholds live in the knowledge base.

Score: the mean of the known ratings of the items that load on a region (or domain), rounded to two
decimals; 0 means typical for age and higher means further below what is typical. A region with
fewer known ratings than the instrument's minimum is banded `insufficient` and has no score.

Developmental age (an estimate, always labelled so): a functional age equivalent, from how many of
the functions due by the client's age are established (see developmental_age_months).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from dsl.vocabulary import INSUFFICIENT
from dsl.checked import CheckedKnowledgeBase
from engine.models import Assessment
GAP_TOLERANCE = 10


@dataclass(frozen=True)
class Score:
    name: str  # region or domain
    score: float | None
    band: str
    known: int
    items: int


def band_for(score: float, kb: CheckedKnowledgeBase) -> str:
    band = kb.thresholds[0].band
    for threshold in kb.thresholds:
        if score >= threshold.from_score:
            band = threshold.band
    return band


def _round(value: float) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _score(name: str, values: list[int | None], kb: CheckedKnowledgeBase) -> Score:
    instrument = kb.instrument
    known = [v for v in values if v is not None]
    needed = max(instrument.min_known_items, math.ceil(instrument.min_known_fraction * len(values)))
    if len(known) < needed:
        return Score(name, None, INSUFFICIENT, len(known), len(values))
    score = _round(sum(known) / len(known))
    return Score(name, score, band_for(score, kb), len(known), len(values))


def score_assessment(assessment: Assessment, kb: CheckedKnowledgeBase) -> tuple[list[Score], list[Score]]:
    """Region scores (in region order) and domain scores (in declaration order)."""
    by_item = {r.item: r.value for r in assessment.ratings}
    items = kb.instrument.items
    regions = [_score(r, [by_item.get(i.id) for i in items if i.region == r], kb)
               for r in kb.region_names]
    domains = [_score(d, [by_item.get(i.id) for i in items if i.domain == d], kb)
               for d in kb.domain_names]
    return regions, domains


def developmental_age_months(assessment: Assessment, kb: CheckedKnowledgeBase) -> int:
    """Functional age equivalent: of the rated functions that are due by the client's age, the
    client has established N (rated at or below the instrument's `established_at_or_below`:
    present, at least with support); a typically developing child has established the first N
    of them (sorted by the age each is typically established) by the age of the N-th. All
    established: the chronological age. Never above the chronological age. One in ten due
    functions may be missing before the estimate drops (GAP_TOLERANCE)."""
    instrument = kb.instrument
    age = assessment.age.total_months
    ratings = {r.item: r.value for r in assessment.ratings if r.value is not None}
    due = sorted((item.typical_from_months, ratings[item.id]) for item in instrument.items
                 if item.id in ratings and item.typical_from_months <= age)
    if not due:
        return age
    established = sum(1 for _, value in due if value <= instrument.established_at_or_below)
    # Ratings are noisy: a few isolated gaps (one in ten due functions) do not move the estimate.
    established += len(due) // GAP_TOLERANCE
    if established >= len(due):
        return age
    if established == 0:
        return 0
    return min(due[established - 1][0], age)
