"""Assessment + knowledge base → the typed fact values every rule is matched against.

What each fact is and how it is computed is declared once, in the fact registry (dsl/facts.py);
this module scores the assessment and hands the registry what its computations read.
"""

from __future__ import annotations

from dataclasses import dataclass

from dsl.facts import compute
from dsl.kb import KnowledgeBase
from engine.models import Assessment
from engine.scoring import Score, developmental_age_months, score_assessment


@dataclass(frozen=True)
class ClientFacts:
    """What the rules see: `values` maps each fact path to its value (None when unknown)."""

    values: dict
    regions: tuple[Score, ...]
    domains: tuple[Score, ...]
    developmental_age_months: int


@dataclass(frozen=True)
class _Sources:
    """The registry's view of one scored assessment (dsl.facts.Sources)."""

    assessment: Assessment
    scores: dict[str, Score]
    developmental_age_months: int

    def score(self, name: str) -> Score:
        return self.scores[name]


def build_facts(assessment: Assessment, kb: KnowledgeBase) -> ClientFacts:
    regions, domains = score_assessment(assessment, kb)
    dev_age = developmental_age_months(assessment, kb)
    sources = _Sources(assessment, {s.name: s for s in regions + domains}, dev_age)
    values = compute(kb.fact_types(), sources)
    return ClientFacts(values, tuple(regions), tuple(domains), dev_age)
