"""Assessment + knowledge base → the typed fact values every rule is matched against.

What each fact is and how it is computed is declared once, in the fact registry (dsl/facts.py);
this module resolves the ratings (due, informants), scores them, estimates the functional profile
and hands the registry what its computations read.
"""

from __future__ import annotations

from dataclasses import dataclass

from dsl.facts import compute
from dsl.checked import CheckedKnowledgeBase
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


@dataclass(frozen=True)
class _Sources:
    """The registry's view of one scored assessment (dsl.facts.Sources)."""

    assessment: Assessment
    scores: dict[str, Score]
    developmental_age_months: int
    referrals: frozenset[str]

    def score(self, name: str) -> Score:
        return self.scores[name]


def build_facts(assessment: Assessment, kb: CheckedKnowledgeBase) -> ClientFacts:
    ratings = resolve_ratings(assessment, kb)
    regions, domains = score_assessment(ratings, kb)
    age = assessment.age.total_months
    domain_stages, region_stages, overall = functional_profile(ratings, age, kb)
    # The summary in the contract: the overall estimate, or the chronological age when too few
    # items are known for one (the profile then says why). No rule withholds work on it.
    dev_age = overall.months if overall.months is not None else age
    sources = _Sources(assessment, {s.name: s for s in regions + domains}, dev_age,
                       referrals(ratings, kb))
    values = compute(kb.fact_types(), sources)
    return ClientFacts(values, tuple(regions), tuple(domains), dev_age, ratings,
                       tuple(domain_stages), tuple(region_stages), overall)
