"""Everything an explanation needs about one assessed client, gathered once.

The explanation never re-decides anything: statuses come from the plan, gates from the decisions
the sequencer recorded (engine/decisions.py), condition values from the reference evaluator
(dsl/evaluate.py) on the same facts the rules ran on.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from dsl import ast
from dsl.evaluate import Evaluation, evaluate
from dsl.facts import FactType
from dsl.checked import CheckedKnowledgeBase, CheckedRule
from engine.pipeline import Outcome
from engine.plan import Plan, Recommendation
from engine.decisions import Decisions, Findings


@dataclass(frozen=True)
class Located:
    """A recommendation with its place in the plan."""

    phase_number: int
    phase: str
    position: int
    of: int
    recommendation: Recommendation
    before: tuple[str, ...]


@dataclass
class Context:
    kb: CheckedKnowledgeBase
    outcome: Outcome

    @property
    def plan(self) -> Plan:
        return self.outcome.plan

    @property
    def values(self) -> dict:
        return self.outcome.facts.values

    @cached_property
    def derived(self) -> frozenset[str]:
        return frozenset(self.outcome.derived)

    @cached_property
    def types(self) -> dict[str, FactType]:
        return self.kb.fact_types()

    @property
    def decisions(self) -> Decisions:
        return self.outcome.decisions

    @property
    def findings(self) -> Findings:
        return self.outcome.decisions.findings

    @cached_property
    def fired(self) -> frozenset[str]:
        return frozenset(f.rule_id for f in self.outcome.firings)

    def evaluate(self, condition: ast.Condition) -> Evaluation:
        return evaluate(condition, self.values, self.derived, self.types)

    def locate(self, intervention: str) -> Located | None:
        for number, phase in enumerate(self.plan.phases, 1):
            ids = [r.intervention for r in phase.recommendations]
            if intervention in ids:
                index = ids.index(intervention)
                return Located(number, phase.name, index + 1, len(ids),
                               phase.recommendations[index], tuple(ids[:index]))
        return None

    def rules_acting_on(self, intervention: str, kind: type) -> tuple[CheckedRule, ...]:
        """Every rule of the knowledge base with an action of `kind` about the intervention."""
        return tuple(r for r in self.kb.rules
                     if any(isinstance(a, kind) and getattr(a, "intervention", None) == intervention
                            for a in r.actions))
