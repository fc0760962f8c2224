"""The reference evaluator: plain Python over the AST, giving the value of every sub-condition.

It defines what a condition means. Explanations are built from it, and a property test checks that
the compiled durable-rules rule sets fire exactly the rules it says should fire.
Semantics: a comparison on an unknown value (an `insufficient` band, a missing score) is false,
except `= insufficient`; `not` is plain boolean negation; a derived fact is true once derived.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Callable, cast

from dsl import ast
from dsl.facts import FactType
from dsl.vocabulary import INSUFFICIENT, Kind, rank

_COMPARE = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}


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


_ORDINAL_KINDS = (Kind.BAND, Kind.AROUSAL, Kind.SEVERITY, Kind.LEVEL)


def _ordinal(fact_type: FactType, value):
    if fact_type.kind in _ORDINAL_KINDS:
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


def compiled(condition: ast.Condition, types: dict[str, FactType]) -> Callable[..., Evaluation]:
    """`condition` as a function of a client's values and derived facts, `f(values, derived)`,
    giving exactly what `evaluate` gives (tests/test_compiled_conditions.py): the node kinds, fact
    types and the condition's own values are looked at once, here, instead of at every
    evaluation. Used where the same conditions are asked about for every plan
    (engine/sequence_index.py). Plain objects, not closures, so that a knowledge base that keeps
    them can still be pickled."""
    if isinstance(condition, ast.FactRef):
        return _Fact(condition)
    if isinstance(condition, ast.Not):
        return _Not(condition, compiled(condition.operand, types))
    if isinstance(condition, (ast.And, ast.Or)):
        return _Combine(condition, tuple(compiled(c, types) for c in condition.operands),
                        isinstance(condition, ast.And))
    fact_type = types[condition.path]
    if isinstance(condition, ast.Membership):
        return _Member(condition)
    if isinstance(condition, ast.Comparison) and condition.value != INSUFFICIENT:
        ordinal = fact_type.kind in _ORDINAL_KINDS
        return _Compare(condition, fact_type.kind if ordinal else None,
                        rank(fact_type.kind, cast(str, condition.value)) if ordinal else condition.value)
    return _Literal(condition)


class _Fact:
    __slots__ = ("node",)

    def __init__(self, node: ast.FactRef):
        self.node = node

    def __call__(self, values: dict, derived) -> Evaluation:
        held = self.node.name in derived
        return Evaluation(self.node, held, held)


class _Not:
    __slots__ = ("node", "operand")

    def __init__(self, node: ast.Not, operand):
        self.node, self.operand = node, operand

    def __call__(self, values: dict, derived) -> Evaluation:
        inner = self.operand(values, derived)
        return Evaluation(self.node, not inner.value, None, (inner,))


class _Combine:
    __slots__ = ("node", "operands", "every")

    def __init__(self, node: ast.And | ast.Or, operands: tuple, every: bool):
        self.node, self.operands, self.every = node, operands, every

    def __call__(self, values: dict, derived) -> Evaluation:
        parts = tuple(operand(values, derived) for operand in self.operands)
        value = all(p.value for p in parts) if self.every else any(p.value for p in parts)
        return Evaluation(self.node, value, None, parts)


class _Member:
    """`path in {…}`: literal_holds for a Membership."""

    __slots__ = ("node", "unknown_holds")

    def __init__(self, node: ast.Membership):
        self.node, self.unknown_holds = node, INSUFFICIENT in node.values

    def __call__(self, values: dict, derived) -> Evaluation:
        actual = values.get(self.node.path)
        if actual is None or actual == INSUFFICIENT:
            holds = self.unknown_holds and actual == INSUFFICIENT
        else:
            holds = any(actual == v for v in self.node.values)
        return Evaluation(self.node, holds, actual)


class _Compare:
    """`path OP value` (value not `insufficient`): literal_holds for a Comparison, the value's
    rank on its scale found once. `kind`: the scale, None for a number or a plain value."""

    __slots__ = ("node", "compare", "kind", "target")

    def __init__(self, node: ast.Comparison, kind: Kind | None, target):
        self.node, self.compare, self.kind, self.target = node, _COMPARE[node.op], kind, target

    def __call__(self, values: dict, derived) -> Evaluation:
        actual = values.get(self.node.path)
        if actual is None or actual == INSUFFICIENT:
            return Evaluation(self.node, False, actual)
        mine = actual if self.kind is None else rank(self.kind, actual)
        return Evaluation(self.node, self.compare(mine, self.target), actual)


class _Literal:
    """`has`, `between` and `= insufficient` / `!= insufficient`: literal_holds's branches that
    do not read the fact's type (a fact type holds functions, which would not pickle)."""

    __slots__ = ("node",)

    def __init__(self, node: ast.Literal):
        self.node = node

    def __call__(self, values: dict, derived) -> Evaluation:
        node = self.node
        actual = values.get(node.path)
        if isinstance(node, ast.Has):
            holds = node.member in (actual or ())
        elif isinstance(node, ast.Comparison):  # against `insufficient` itself
            holds = (actual == INSUFFICIENT) == (node.op == "=")
        else:
            assert isinstance(node, ast.Between)
            holds = actual is not None and actual != INSUFFICIENT and node.low <= actual <= node.high
        return Evaluation(node, holds, actual)


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
