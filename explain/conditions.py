"""A reference-evaluator result (dsl/evaluate.py) → a Check tree with the client's values.

A `not` directly over a single test is folded into that test (`required not derived`), so every
line a clinician reads says plainly whether it holds for this client.
"""

from __future__ import annotations

from dsl import ast
from dsl.evaluate import Evaluation, describe, show_value
from explain.models import Check, Combine

_LITERALS = (ast.Comparison, ast.Membership, ast.Between, ast.Has)
_SINGLE = _LITERALS + (ast.FactRef,)


def check_of(evaluation: Evaluation) -> Check:
    node = evaluation.node
    if isinstance(node, ast.Not) and isinstance(node.operand, _SINGLE):
        return _single(evaluation.children[0], negated=True)
    if isinstance(node, _SINGLE):
        return _single(evaluation, negated=False)
    combine: Combine = {ast.And: "all", ast.Or: "any", ast.Not: "not"}[type(node)]  # type: ignore[assignment]
    return Check(condition=describe(node), combine=combine, holds=evaluation.value,
                 parts=tuple(check_of(child) for child in evaluation.children))


def _single(evaluation: Evaluation, negated: bool) -> Check:
    node = evaluation.node
    holds = evaluation.value != negated
    condition = describe(node)
    if isinstance(node, ast.FactRef):
        actual = "derived" if evaluation.value else "not derived"
        return Check(condition=f"not {condition}" if negated else condition, fact=node.name,
                     actual=actual, required="not derived" if negated else "derived", holds=holds)
    assert isinstance(node, _LITERALS), "check_of passes only single tests here"
    required = _required(node)
    return Check(condition=f"not {condition}" if negated else condition, fact=node.path,
                 actual=show_value(evaluation.actual),
                 required=f"not {required}" if negated else required, holds=holds)


def _required(node) -> str:
    if isinstance(node, ast.Comparison):
        return f"{node.op} {show_value(node.value)}"
    if isinstance(node, ast.Membership):
        return "in {" + ", ".join(show_value(v) for v in node.values) + "}"
    if isinstance(node, ast.Between):
        return f"between {show_value(node.low)} and {show_value(node.high)}"
    return f"has {node.member}"


def first_failing(check: Check) -> Check | None:
    """The first test, in reading order, that keeps a false condition false."""
    if check.holds:
        return None
    if check.combine == "fact" or check.combine == "not":
        return check
    for part in check.parts:
        if not part.holds:
            return first_failing(part)
    return check


def tests(check: Check):
    """Every single test in a Check tree, in reading order."""
    if check.combine == "fact":
        yield check
    for part in check.parts:
        yield from tests(part)


def line(check: Check) -> str:
    """`brainstem.band = severe, required >= moderate: true`"""
    verdict = "true" if check.holds else "false"
    if check.combine != "fact":
        return f"{check.condition}: {verdict}"
    return f"{check.fact} = {check.actual}, required {check.required}: {verdict}"
