"""Our own scoring method: ratings → a score and a band per region and domain, each marked
borderline when one rating could move it across a band edge. Documented in docs/scoring.md; the
thresholds and the margin live in the knowledge base.

Score: the mean of the known ratings of the due items that load on a region (or domain), rounded
half-up to two decimals; 0 means typical for age and higher means further below what is typical.
A region with fewer known ratings than the instrument's minimum is banded `insufficient` and has
no score. The functional stage estimates are in engine/profile.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from dsl.checked import CheckedKnowledgeBase
from dsl.vocabulary import INSUFFICIENT
from engine.ratings import ItemRating


@dataclass(frozen=True)
class Score:
    name: str  # region or domain
    score: float | None
    band: str
    known: int
    items: int  # due items
    not_due: int = 0
    borderline: bool = False
    borderline_note: str | None = None  # which single rating would change the band


def band_for(score: float, kb: CheckedKnowledgeBase) -> str:
    band = kb.thresholds[0].band
    for threshold in kb.thresholds:
        if score >= threshold.from_score:
            band = threshold.band
    return band


def _round(value: float) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def needed_known(kb: CheckedKnowledgeBase, due: int) -> int:
    """Known ratings needed before a band (or a stage estimate) is given for `due` due items."""
    instrument = kb.instrument
    return max(instrument.min_known_items, math.ceil(instrument.min_known_fraction * due))


def score_of(name: str, ratings: list[ItemRating], kb: CheckedKnowledgeBase) -> Score:
    due = [r for r in ratings if r.due]
    known = [r for r in due if r.value is not None]
    not_due = len(ratings) - len(due)
    if len(known) < needed_known(kb, len(due)):
        return Score(name, None, INSUFFICIENT, len(known), len(due), not_due)
    score = _round(sum(r.rated for r in known) / len(known))
    band = band_for(score, kb)
    note = borderline_note(name, score, band, known, kb)
    return Score(name, score, band, len(known), len(due), not_due, note is not None, note)


def borderline_note(name: str, score: float, band: str, known: list[ItemRating],
                    kb: CheckedKnowledgeBase) -> str | None:
    """None unless the score is within the knowledge base's margin of a band edge; then the
    smallest single change of one known rating that moves the band across that edge."""
    margin = kb.instrument.borderline_margin
    edges = [t.from_score for t in kb.thresholds[1:]]
    near = [edge for edge in edges if abs(score - edge) < margin or score == edge]
    if not near:
        return None
    edge = min(near, key=lambda e: (abs(score - e), e))
    worse = score < edge  # crossing means rating one item higher (worse)
    total, count = sum(r.rated for r in known), len(known)
    for step in range(1, kb.instrument.max_value + 1):
        for rating in sorted(known, key=lambda r: r.item.id):
            new = rating.rated + step if worse else rating.rated - step
            if not 0 <= new <= kb.instrument.max_value:
                continue
            new_band = band_for(_round((total - rating.rated + new) / count), kb)
            if new_band != band:
                return (f"{name} {score:.2f} is within {margin:g} of the band edge at {edge:g}: "
                        f"one rating decides the band (rating {rating.item.id} {new} instead of "
                        f"{rating.value} would make {name} {new_band})")
    return (f"{name} {score:.2f} is within {margin:g} of the band edge at {edge:g}, but no single "
            "rating would change its band")


def score_assessment(ratings: tuple[ItemRating, ...], kb: CheckedKnowledgeBase) -> tuple[list[Score], list[Score]]:
    """Region scores (in region order) and domain scores (in declaration order)."""
    regions = [score_of(r, [x for x in ratings if x.item.region == r], kb) for r in kb.region_names]
    domains = [score_of(d, [x for x in ratings if x.item.domain == d], kb) for d in kb.domain_names]
    return regions, domains
