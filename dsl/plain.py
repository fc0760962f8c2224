"""Conditions in plain words, for gates a clinician reads ("until brainstem is mild or better").

Lower is better on every ordered scale but relational health, where higher is better; the words
follow that, so `limbic.band <= mild` reads "limbic is mild or better".
"""

from __future__ import annotations

from dsl import ast
from dsl.evaluate import show_value
from dsl.vocabulary import Kind

_BETTER_IS_LOWER = {Kind.BAND, Kind.AROUSAL, Kind.SEVERITY}


def _subject(path: str, types) -> str:
    """How the fact is named in words; declared with the fact (dsl/facts.py)."""
    fact_type = types.get(path)
    if fact_type is not None and fact_type.fact is not None:
        return fact_type.subject
    return path.replace("_", " ").replace(".", " ") + " is"


def _direction(kind: Kind, op: str, value) -> str:
    word = show_value(value).replace("_", " ")
    if kind is Kind.NUMBER:
        return {"<": f"below {word}", "<=": f"{word} or less", ">": f"above {word}",
                ">=": f"{word} or more", "=": word, "!=": f"not {word}"}[op]
    if kind is Kind.BOOL:
        return ("present" if value else "absent") if op == "=" else ("absent" if value else "present")
    lower_better = kind in _BETTER_IS_LOWER
    better, worse = ("better", "worse") if kind is not Kind.AROUSAL else ("calmer", "more aroused")
    if kind is Kind.LEVEL:
        better, worse = "stronger", "weaker"
    return {
        "<=": f"{word} or {better if lower_better else worse}",
        ">=": f"{word} or {worse if lower_better else better}",
        "<": f"better than {word}" if lower_better else f"below {word}",
        ">": f"worse than {word}" if lower_better else f"above {word}",
        "=": word, "!=": f"not {word}",
    }[op]


def plain(node: ast.Condition, types) -> str:
    """The condition in plain words."""
    if isinstance(node, ast.And):
        return " and ".join(_grouped(o, types) for o in node.operands)
    if isinstance(node, ast.Or):
        return " or ".join(_grouped(o, types) for o in node.operands)
    if isinstance(node, ast.Not):
        return f"not ({plain(node.operand, types)})"
    if isinstance(node, ast.FactRef):
        return node.name.replace("_", " ")
    if isinstance(node, ast.Has):
        return f"{node.path.replace('_', ' ').replace('.', ' ')} include {node.member.replace('_', ' ')}"
    kind = types[node.path].kind
    if isinstance(node, ast.Membership):
        return f"{_subject(node.path, types)} " + " or ".join(show_value(v).replace("_", " ") for v in node.values)
    if isinstance(node, ast.Between):
        return f"{_subject(node.path, types)} between {show_value(node.low)} and {show_value(node.high)}"
    return f"{_subject(node.path, types)} {_direction(kind, node.op, node.value)}"


def _grouped(node, types) -> str:
    text = plain(node, types)
    return f"({text})" if isinstance(node, (ast.And, ast.Or)) else text
