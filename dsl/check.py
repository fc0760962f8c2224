"""Semantic checks: small pure passes over the assembled knowledge base, run in order.

Every pass reports into one collector so that a single run lists every problem; the knowledge base
is returned only when no pass found an error.
"""

from __future__ import annotations

from dataclasses import replace

from dsl.checked import CheckedKnowledgeBase, checked
from dsl.errors import Collector
from dsl.kb import KnowledgeBase
from dsl.passes import catalog, catalog_sets, conditions, headers, model, strata

PASSES = (
    model.check_model,
    model.check_instrument,
    catalog.check_catalog,
    catalog.check_prerequisite_cycles,
    headers.check_rule_headers,
    conditions.check_conditions,
    conditions.check_actions,
    catalog.check_support_gates,
    catalog.check_budgets,
    strata.check_stratified,
)


def check(kb: KnowledgeBase, collector: Collector | None = None) -> CheckedKnowledgeBase:
    """Run every pass; raise GroundworkError listing every error, else the checked type."""
    collector = collector or Collector(sources=dict(kb.sources))
    kb = catalog_sets.expand(kb, collector)  # first: the passes check ordinary defers
    for run_pass in PASSES:
        run_pass(kb, collector)
    collector.raise_if_errors()
    warnings = tuple(d for d in collector.diagnostics if d.severity == "warning")
    if kb.instrument is None:  # model.check_instrument reports this as an error
        raise AssertionError("a knowledge base without an instrument passed the checks")
    return checked(replace(kb, warnings=warnings), kb.instrument)
