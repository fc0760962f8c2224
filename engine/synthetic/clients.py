"""Synthetic clients: a shorthand profile (bands, arousal, ages, facts) → a valid Assessment.

Trainers describe a client by what the rules look at; this module chooses instrument ratings that
produce the requested band for each region (every item of a region gets the same rating when one
rating value falls in the band, else the closest mix of two neighbouring values), and fills in
everything else with a neutral default: a 10-year-old, calm, at home and at school, one
well-regulated parent, adequate relational health, no adversity, no safeguarding concern, no
sensitivity. Domain bands and the developmental-age estimate follow from the ratings, exactly as
for a real assessment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from dsl.errors import Diagnostic, GroundworkError
from dsl.vocabulary import BANDS, INSUFFICIENT
from dsl.checked import CheckedKnowledgeBase
from engine.intake import validate_assessment
from engine.models import Assessment
from engine.scoring import band_for

ASSESSMENT_DATE = "2024-01-01"  # fixed, so that a synthetic client always hashes the same


@dataclass(frozen=True)
class Caregiver:
    role: str = "parent"
    regulation: str = "well_regulated"
    settings: tuple[str, ...] = ("home",)


@dataclass(frozen=True)
class Profile:
    """A client described by what the rules look at; anything left out is neutral."""

    bands: dict[str, str] = field(default_factory=dict)  # region → band or insufficient
    ratings: dict[str, int | None] = field(default_factory=dict)  # item → rating, overrides
    age_years: int = 10
    age_months: int = 0
    arousal_current: str = "calm"
    arousal_baseline: str = "calm"
    dissociative: bool = False
    sensitivities: tuple[str, ...] = ()
    safeguarding: tuple[str, ...] = ()
    settings: tuple[str, ...] = ("home", "school")
    caregivers: tuple[Caregiver, ...] = (Caregiver(),)
    relational_health: dict[str, str] = field(default_factory=dict)  # family, community, cultural
    history: dict[str, tuple[str, str]] = field(default_factory=dict)  # period → (adversity, poverty)


def _hundredths(value: float) -> float:
    """Rounded as engine/scoring.py rounds a score (half up, two decimals)."""
    return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def region_ratings(count: int, band: str, kb: CheckedKnowledgeBase) -> list[int | None]:
    """Ratings for `count` items whose mean falls in `band` (None for every item: insufficient)."""
    if band == INSUFFICIENT:
        return [None] * count
    top = kb.instrument.max_value
    for value in range(top + 1):
        if band_for(float(value), kb) == band:
            return [value for _ in range(count)]
    for low in range(top):
        for high_count in range(1, count):
            mean = _hundredths((high_count * (low + 1) + (count - high_count) * low) / count)
            if band_for(mean, kb) == band:
                return [low + 1 if i < high_count else low for i in range(count)]
    raise GroundworkError([Diagnostic(
        "E510", f"no ratings of {count} items give the band '{band}' with this instrument",
        kb.root)])


def raw_assessment(profile: Profile, kb: CheckedKnowledgeBase, client_id: str) -> dict:
    """The assessment JSON (as a dict) for a profile."""
    ratings: dict[str, int | None] = {}
    age = profile.age_years * 12 + profile.age_months
    for region in kb.region_names:
        # Only the items rated at the client's age: a not-due item takes no part in a score.
        items = [i.id for i in kb.instrument.due_items(age) if i.region == region]
        band = profile.bands.get(region, BANDS[0])
        ratings.update(zip(items, region_ratings(len(items), band, kb)))
    ratings.update(profile.ratings)
    health = {"family": "adequate", "community": "adequate", "cultural": "adequate"}
    health.update(profile.relational_health)
    return {
        "schema_version": "1",
        "client_id": client_id,
        "assessor_id": "trainer",
        "assessment_date": ASSESSMENT_DATE,
        "age": {"years": profile.age_years, "months": profile.age_months},
        "ratings": [{"item": item, "value": value, "informant": "clinician_observation"}
                    for item, value in ratings.items()],
        "arousal": {"baseline": profile.arousal_baseline, "current": profile.arousal_current,
                    "dissociative": profile.dissociative},
        "history": [{"period": period, "adversity": adversity, "relational_poverty": poverty}
                    for period, (adversity, poverty) in profile.history.items()],
        "relational_health": health,
        "caregivers": [{"id": f"adult-{index}", "role": c.role, "settings": list(c.settings),
                        "regulation": c.regulation}
                       for index, c in enumerate(profile.caregivers, 1)],
        "safeguarding": list(profile.safeguarding),
        "sensitivities": list(profile.sensitivities),
        "settings": list(profile.settings),
    }


def synthesise(profile: Profile, kb: CheckedKnowledgeBase, client_id: str = "synthetic",
               display: str = "(profile)") -> tuple[Assessment, dict]:
    """A validated Assessment for the profile, and its raw form; GroundworkError if invalid."""
    raw = raw_assessment(profile, kb, client_id)
    return validate_assessment(raw, display, kb), raw
