"""Static analysis of a checked knowledge base, for `groundwork lint`.

Each analysis is a small pure function (kb, findings) in a module of its own, listed in order in
ANALYSES; the semantic passes of dsl/check.py have already run. Findings that need the engine
(coverage gaps) and the rule scenarios are added by the trainer tools (groundwork/trainer/), which
keeps this package free of engine imports. docs/dsl.md section 15 explains every finding.
"""

from __future__ import annotations

from dsl.analysis import conflicts, lifecycle, ordering, sources, subsumption, unsat
from dsl.analysis.context import Analysis
from dsl.analysis.logic import Logic
from dsl.checked import CheckedKnowledgeBase

ANALYSES = (
    unsat.check_unsatisfiable,
    conflicts.check_recommend_avoid,
    conflicts.check_no_action_conflicts,
    conflicts.check_dose_conflicts,
    subsumption.check_subsumed,
    ordering.check_ordering,
    lifecycle.check_drafts_in_release,
    lifecycle.check_retired_derivations,
    lifecycle.check_unused_interventions,
    sources.check_sources,
)


# The analyses that can find an error (the others only warn): a knowledge base with such an
# error is refused by every command that makes plans (knowledge_base.load_for_plans).
# tests/editor/test_refuse_errors.py checks that no other analysis reports an error.
ERROR_ANALYSES = (unsat.check_unsatisfiable,)


def lint_errors(kb: CheckedKnowledgeBase) -> list:
    """The errors the analyses find, without running the ones that can only warn."""
    rules = tuple(r for r in kb.rules if r.status != "retired")
    findings = Analysis(sources=dict(kb.sources))
    findings.solver = Logic(kb, rules)
    findings.rules = rules
    for run in ERROR_ANALYSES:
        run(kb, findings)
    return [d for d in findings.diagnostics if d.severity == "error"]


def analyse(kb: CheckedKnowledgeBase, findings: Analysis | None = None) -> Analysis:
    """Run every analysis over the knowledge base; retired rules never fire, so they take no part."""
    rules = tuple(r for r in kb.rules if r.status != "retired")
    findings = findings or Analysis(sources=dict(kb.sources))
    findings.solver = Logic(kb, rules)
    findings.rules = rules
    for run in ANALYSES:
        run(kb, findings)
    return findings
