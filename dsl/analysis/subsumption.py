"""Rules that add nothing: whenever one fires, another fires and does everything it does.

W330  rule A is subsumed by rule B: A's condition implies B's (there is no profile on which A
      fires and B does not) and every action of A is also an action of B. A is redundant; if the
      two conditions are equivalent and the actions the same, the rules are duplicates and the
      later one is reported.
"""

from __future__ import annotations

from dataclasses import fields

from dsl import ast
from dsl.analysis.context import Analysis
from dsl.analysis.logic import TooComplex


def action_key(action) -> tuple:
    """An action as a comparable value, without source positions (conditions compare without)."""
    values = []
    for f in fields(action):
        if f.name == "pos":
            continue
        value = getattr(action, f.name)
        values.append(action_key(value) if isinstance(value, ast.Dose) else value)
    return (type(action).__name__, *values)


def _implies(out: Analysis, first: ast.Rule, second: ast.Rule) -> bool:
    """No profile makes `first` fire without `second`."""
    try:
        return out.logic.satisfiable((first.when, False), (second.when, True)) is None
    except TooComplex:
        return False


def check_subsumed(kb, out: Analysis) -> None:
    rules = list(out.rules)
    keys = {r.id: frozenset(action_key(a) for a in r.actions) for r in rules}
    order = {r.id: index for index, r in enumerate(rules)}
    reported: set[str] = set()
    for rule in rules:
        for other in rules:
            if other is rule or rule.id in reported or not keys[rule.id] <= keys[other.id]:
                continue
            if other.status == "draft" and rule.status != "draft":
                continue  # a release runs without drafts: there the approved rule is needed
            if not _implies(out, rule, other):
                continue
            same = keys[rule.id] == keys[other.id] and _implies(out, other, rule)
            if same and order[rule.id] < order[other.id]:
                continue  # duplicates: report the later one only
            kind = "duplicates" if same else "is subsumed by"
            out.add("W330", f"rule '{rule.id}' {kind} rule '{other.id}' ({other.pos}): "
                    f"whenever it fires, '{other.id}' fires too and does everything it does",
                    rule.pos, related=(other.pos,),
                    hint="remove the redundant rule, or give it an action of its own")
            reported.add(rule.id)
