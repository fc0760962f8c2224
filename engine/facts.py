"""Assessment + knowledge base → the typed fact values every rule is matched against.

What each fact is and how it is computed is declared once, in the fact registry (dsl/facts.py);
this module resolves the ratings (due, informants), scores them, estimates the functional profile
and hands the registry what its computations read.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from dsl.facts import compute
from dsl.checked import CheckedKnowledgeBase
from engine.item_flags import referrals
from engine.models import Assessment
from engine.profile import Stage, functional_profile
from engine.ratings import ItemRating, resolve_ratings
from engine.scoring import Score, score_assessment, score_of


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


class _AsNeeded:
    """The registry's view of one assessment, each part worked out when a fact first reads it:
    a score only for the region or domain asked about, the functional profile only for the
    developmental age. Where a few facts of every case are wanted (the impact screen reads those
    its changed rules test, groundwork/trainer/screen.py), the rest is never computed."""

    def __init__(self, assessment: Assessment, kb: CheckedKnowledgeBase):
        self.assessment = assessment
        self._kb = kb
        self._scores: dict[str, Score] = {}

    @cached_property
    def _ratings(self) -> tuple[ItemRating, ...]:
        return resolve_ratings(self.assessment, self._kb)

    def score(self, name: str) -> Score:
        found = self._scores.get(name)
        if found is None:  # a domain's score wins a name shared with a region, as in build_facts
            domain = name in self._kb.domain_names
            items = tuple(i for i in self._kb.instrument.items
                          if (i.domain if domain else i.region) == name)
            rated = list(resolve_ratings(self.assessment, self._kb, items))
            found = self._scores[name] = score_of(name, rated, self._kb)
        return found

    @cached_property
    def developmental_age_months(self) -> int:
        age = self.assessment.age.total_months
        overall = functional_profile(self._ratings, age, self._kb)[2]
        return overall.months if overall.months is not None else age

    @cached_property
    def referrals(self) -> frozenset[str]:
        return referrals(self._ratings, self._kb)


def some_facts(assessment: Assessment, kb: CheckedKnowledgeBase, paths) -> dict:
    """The values of the facts at `paths` alone: exactly what `build_facts` gives for them
    (tests/test_impact_screen.py holds the two equal)."""
    types = kb.fact_types()
    sources = _AsNeeded(assessment, kb)
    out = {}
    for path in paths:
        fact_type = types[path]
        assert fact_type.fact is not None  # every type fact_types() makes has its declaration
        out[path] = fact_type.fact.compute(sources, fact_type.name)
    return out
