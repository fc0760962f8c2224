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
    """Built once per knowledge base: rules grouped by stratum, with the derived facts each one
    mentions and derives, so that a fixpoint pass re-evaluates only the rules a new fact can
    change."""

    def __init__(self, kb: KnowledgeBase, drafts: bool = False):
        rules = kb.active_rules(drafts)
        level = strata(rules)
        self.types = kb.fact_types()
        self.strata = []
        for stratum in sorted(set(level.values())):
            members = [rule for rule in rules if level[rule.id] == stratum]
            readers: dict[str, list[ast.Rule]] = {}
            for rule in members:
                for fact in {name for name, _ in ast.fact_refs(rule.when)}:
                    readers.setdefault(fact, []).append(rule)
            derives = {rule.id: tuple(a.fact for a in rule.actions if isinstance(a, ast.Derive))
                       for rule in members}
            self.strata.append((members, readers, derives))

    def run(self, values: dict) -> tuple[frozenset[str], frozenset[str]]:
        """(ids of the rules that fire, derived facts) for one client's fact values."""
        fired: set[str] = set()
        derived: set[str] = set()
        for members, readers, derives in self.strata:
            pending = members
            while pending:
                new_facts: set[str] = set()
                for rule in pending:
                    if rule.id not in fired and evaluate(rule.when, values, derived, self.types).value:
                        fired.add(rule.id)
                        new_facts.update(f for f in derives[rule.id] if f not in derived)
                derived |= new_facts
                # only a rule that mentions a newly derived fact can change its answer
                pending = list({id(r): r for f in sorted(new_facts) for r in readers.get(f, ())}.values())
        return frozenset(fired), frozenset(derived)
