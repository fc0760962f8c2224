"""The reference evaluator: plain Python over the AST, giving the value of every sub-condition.

It defines what a condition means. Explanations are built from it, and a property test checks that
the compiled durable-rules rule sets fire exactly the rules it says should fire.
Semantics: a comparison on an unknown value (an `insufficient` band, a missing score) is false,
except `= insufficient`; `not` is plain boolean negation; a derived fact is true once derived.
"""

from __future__ import annotations

from dataclasses import dataclass

from dsl import ast
from dsl.facts import FactType
from dsl.vocabulary import INSUFFICIENT, Kind, rank

_COMPARE = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


@dataclass(frozen=True)
class Evaluation:
    """One node of a condition with its truth value and, for a leaf, the client's actual value."""

    node: ast.Condition
    value: bool
    actual: object = None
    children: tuple["Evaluation", ...] = ()

    def leaves(self):
        if not self.children:
            yield self
        for child in self.children:
            yield from child.leaves()

    def first_failing(self) -> "Evaluation | None":
        """The first leaf that makes this (false) condition false, in reading order."""
        if self.value:
            return None
        if not self.children:
            return self
        for child in self.children:
            if isinstance(self.node, ast.Not):
                return child if child.value else child.first_failing() or child
            if not child.value:
                return child.first_failing()
        return None


def _ordinal(fact_type: FactType, value):
    if fact_type.kind in (Kind.BAND, Kind.AROUSAL, Kind.SEVERITY, Kind.LEVEL):
        return rank(fact_type.kind, value)
    return value


def literal_holds(node: ast.Literal, actual, fact_type: FactType) -> bool:
    if isinstance(node, ast.Has):
        return node.member in (actual or ())
    unknown = actual is None or actual == INSUFFICIENT
    if isinstance(node, ast.Comparison) and node.value == INSUFFICIENT:
        return (actual == INSUFFICIENT) == (node.op == "=")
    if isinstance(node, ast.Membership) and unknown:
        return INSUFFICIENT in node.values and actual == INSUFFICIENT
    if unknown:
        return False
    if isinstance(node, ast.Between):
        return node.low <= actual <= node.high
    if isinstance(node, ast.Membership):
        return any(actual == v for v in node.values)
    return _COMPARE[node.op](_ordinal(fact_type, actual), _ordinal(fact_type, node.value))


def evaluate(condition: ast.Condition, values: dict, derived: frozenset[str] | set[str],
             types: dict[str, FactType]) -> Evaluation:
    if isinstance(condition, ast.FactRef):
        return Evaluation(condition, condition.name in derived, condition.name in derived)
    if isinstance(condition, ast.Not):
        inner = evaluate(condition.operand, values, derived, types)
        return Evaluation(condition, not inner.value, None, (inner,))
    if isinstance(condition, ast.And):
        parts = tuple(evaluate(c, values, derived, types) for c in condition.operands)
        return Evaluation(condition, all(p.value for p in parts), None, parts)
    if isinstance(condition, ast.Or):
        parts = tuple(evaluate(c, values, derived, types) for c in condition.operands)
        return Evaluation(condition, any(p.value for p in parts), None, parts)
    actual = values.get(condition.path)
    return Evaluation(condition, literal_holds(condition, actual, types[condition.path]), actual)


def describe(node: ast.Condition) -> str:
    """The condition as a trainer wrote it (normalised spacing)."""
    if isinstance(node, ast.FactRef):
        return node.name
    if isinstance(node, ast.Not):
        return f"not {_wrap(node.operand)}"
    if isinstance(node, ast.And):
        return " and ".join(_wrap(o) for o in node.operands)
    if isinstance(node, ast.Or):
        return " or ".join(_wrap(o) for o in node.operands)
    if isinstance(node, ast.Comparison):
        return f"{node.path} {node.op} {show_value(node.value)}"
    if isinstance(node, ast.Membership):
        return f"{node.path} in {{{', '.join(show_value(v) for v in node.values)}}}"
    if isinstance(node, ast.Between):
        return f"{node.path} between {show_value(node.low)} and {show_value(node.high)}"
    return f"{node.path} has {node.member}"


def _wrap(node: ast.Condition) -> str:
    text = describe(node)
    return f"({text})" if isinstance(node, (ast.And, ast.Or)) else text


def show_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(value)) + "}" if value else "none"
    if value is None:
        return "unknown"
    return str(value)


def fire_reference(rules, values: dict, types: dict[str, FactType]) -> tuple[list[str], set[str]]:
    """Which rules fire, by the reference semantics: stratum by stratum, chaining to a fixpoint.

    Returns the fired rule ids (in firing order) and the derived facts.
    """
    from dsl.passes.strata import strata

    level = strata(rules)
    derived: set[str] = set()
    fired: list[str] = []
    for stratum in sorted(set(level.values())):
        pending = [r for r in rules if level[r.id] == stratum]
        changed = True
        while changed:
            changed = False
            for rule in list(pending):
                if evaluate(rule.when, values, derived, types).value:
                    fired.append(rule.id)
                    pending.remove(rule)
                    derived.update(a.fact for a in rule.actions if isinstance(a, ast.Derive))
                    changed = True
    return fired, derived
