"""The practical floor: the reference evaluator (dsl/evaluate.py) over the AST, no durable-rules.

Rules run stratum by stratum (dsl/passes/strata.py); within a stratum, rules are re-evaluated
until no new fact is derived (a fixpoint), which is what the compiled rule sets compute through
joined patterns. The result is the set of rules that fire and the facts derived, comparable with
engine/runtime.py's firings.
"""

from __future__ import annotations

from dsl import ast
from dsl.evaluate import evaluate
from dsl.kb import KnowledgeBase
from dsl.passes.strata import strata


class ReferenceRunner:
    """Built once per knowledge base: rules grouped by stratum, with what each derives."""

    def __init__(self, kb: KnowledgeBase, drafts: bool = False):
        rules = kb.active_rules(drafts)
        level = strata(rules)
        self.types = kb.fact_types()
        self.strata = [
            [(rule, tuple(a.fact for a in rule.actions if isinstance(a, ast.Derive)))
             for rule in rules if level[rule.id] == stratum]
            for stratum in sorted(set(level.values()))]

    def run(self, values: dict) -> tuple[frozenset[str], frozenset[str]]:
        """(ids of the rules that fire, derived facts) for one client's fact values."""
        fired: set[str] = set()
        derived: set[str] = set()
        for rules in self.strata:
            changed = True
            while changed:
                changed = False
                for rule, derives in rules:
                    if rule.id in fired:
                        continue
                    if evaluate(rule.when, values, derived, self.types).value:
                        fired.add(rule.id)
                        if not derived.issuperset(derives):
                            derived.update(derives)
                            changed = True
        return frozenset(fired), frozenset(derived)
