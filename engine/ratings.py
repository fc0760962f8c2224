"""The ratings an assessment gives, item by item: due or not, known or not, and from whom.

An item is *not due* outside the ages at which the instrument rates it (its `rated_from_months`
and `rated_until_months`): it is neither known nor missing, and nothing computed from the ratings
uses it. One item may be rated by several informants; the value used is the highest (the most
impaired: a plan that under-reads a difficulty is the riskier error), and ratings that differ by
the instrument's `disagreement_points` or more ask the clinician to reconcile them. A self-report
alone counts only from the instrument's `self_report_from_months`; younger, it is set aside.
docs/scoring.md and docs/rating-guide.md describe all of this for clinicians.
"""

from __future__ import annotations

from dataclasses import dataclass

from dsl.instrument import Item
from dsl.checked import CheckedKnowledgeBase
from engine.models import Assessment

SELF_REPORT = "self_report"


@dataclass(frozen=True)
class ItemRating:
    """One item of the instrument for one client."""

    item: Item
    due: bool
    value: int | None  # the value used: None when unknown or not due
    given: tuple[tuple[str, int | None], ...]  # (informant, value) as recorded, in input order
    set_aside: bool = False  # a self-report alone below the self-report age

    @property
    def known(self) -> bool:
        return self.due and self.value is not None

    @property
    def rated(self) -> int:
        """The value of a known rating; asked only of ratings already found `known`."""
        if self.value is None:
            raise ValueError(f"{self.item.id} has no known rating")
        return self.value

    @property
    def spread(self) -> int:
        """Largest difference between two informants' known ratings of this item."""
        values = [v for _, v in self.given if v is not None]
        return max(values) - min(values) if len(values) > 1 else 0


def resolve_ratings(assessment: Assessment, kb: CheckedKnowledgeBase,
                    items: tuple[Item, ...] | None = None) -> tuple[ItemRating, ...]:
    """Every item of the instrument, in instrument order (or only `items`, in their order)."""
    instrument = kb.instrument
    age = assessment.age.total_months
    given: dict[str, list[tuple[str, int | None]]] = {}
    for rating in assessment.ratings:
        given.setdefault(rating.item, []).append((rating.informant, rating.value))
    out = []
    for item in instrument.items if items is None else items:
        recorded = tuple(given.get(item.id, ()))
        due = item.due_at(age)
        known = [(who, v) for who, v in recorded if v is not None]
        set_aside = bool(known) and all(who == SELF_REPORT for who, _ in known) \
            and age < instrument.self_report_from_months
        value = None if not due or set_aside or not known else max(v for _, v in known)
        out.append(ItemRating(item, due, value, recorded, set_aside and due))
    return tuple(out)


def not_due(ratings: tuple[ItemRating, ...]) -> tuple[str, ...]:
    return tuple(r.item.id for r in ratings if not r.due)
