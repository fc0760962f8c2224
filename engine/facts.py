"""Assessment + knowledge base → the typed fact values every rule is matched against."""

from __future__ import annotations

from dataclasses import dataclass

from dsl.kb import KnowledgeBase
from dsl.vocabulary import DEVELOPMENTAL_PERIODS, RELATIONAL_DOMAINS, RELATIONAL_LEVELS, SEVERITIES
from engine.item_flags import referrals
from engine.models import Assessment
from engine.profile import Stage, functional_profile
from engine.ratings import ItemRating, resolve_ratings
from engine.scoring import Score, score_assessment


@dataclass(frozen=True)
class ClientFacts:
    """What the rules see: `values` maps each fact path to its value (None when unknown)."""

    values: dict
    regions: tuple[Score, ...]
    domains: tuple[Score, ...]
    developmental_age_months: int
    ratings: tuple[ItemRating, ...] = ()
    domain_stages: tuple[Stage, ...] = ()
    region_stages: tuple[Stage, ...] = ()
    overall_stage: Stage | None = None

    def domain_stage(self, domain: str) -> Stage | None:
        return next((s for s in self.domain_stages if s.name == domain), None)


def build_facts(assessment: Assessment, kb: KnowledgeBase) -> ClientFacts:
    ratings = resolve_ratings(assessment, kb)
    regions, domains = score_assessment(ratings, kb)
    age = assessment.age.total_months
    domain_stages, region_stages, overall = functional_profile(ratings, age, kb)
    # The summary in the contract: the overall estimate, or the chronological age when too few
    # items are known for one (the profile then says why). No rule withholds work on it.
    dev_age = overall.months if overall.months is not None else age
    values: dict = {}
    for score in regions + domains:
        values[f"{score.name}.band"] = score.band
        values[f"{score.name}.score"] = score.score
    values["arousal.current"] = assessment.arousal.current
    values["arousal.baseline"] = assessment.arousal.baseline
    values["arousal.dissociative"] = assessment.arousal.dissociative
    values["age.years"] = float(assessment.age.years)
    values["age.months"] = float(assessment.age.total_months)
    values["developmental_age.months"] = float(dev_age)
    values["developmental_age.years"] = float(dev_age // 12)
    history = {h.period: h for h in assessment.history}
    worst = 0
    for period in DEVELOPMENTAL_PERIODS:
        entry = history.get(period)
        adversity = entry.adversity if entry else "none"
        values[f"history.{period}.adversity"] = adversity
        values[f"history.{period}.relational_poverty"] = entry.relational_poverty if entry else "none"
        worst = max(worst, SEVERITIES.index(adversity))
    values["history.worst_adversity"] = SEVERITIES[worst]
    health = assessment.relational_health
    for part in RELATIONAL_DOMAINS:
        values[f"relational_health.{part}"] = getattr(health, part)
    values["relational_health.lowest"] = min(
        (getattr(health, part) for part in RELATIONAL_DOMAINS), key=RELATIONAL_LEVELS.index)
    values["caregivers.count"] = float(len(assessment.caregivers))
    values["caregivers.dysregulated"] = float(
        sum(1 for c in assessment.caregivers if c.regulation == "dysregulated"))
    values["caregivers.roles"] = frozenset(c.role for c in assessment.caregivers)
    values["safeguarding"] = frozenset(assessment.safeguarding)
    values["sensitivities"] = frozenset(assessment.sensitivities)
    values["settings"] = frozenset(assessment.settings)
    values["referrals"] = referrals(ratings, kb)
    return ClientFacts(values, tuple(regions), tuple(domains), dev_age, ratings,
                       tuple(domain_stages), tuple(region_stages), overall)
