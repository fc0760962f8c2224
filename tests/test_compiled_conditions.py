"""dsl/evaluate.py's `compiled` gives exactly what the reference evaluator `evaluate` gives: every
condition of the shipped and a generated knowledge base, and hand-made ones of every kind, over
generated clients, with facts knocked out to unknown and `insufficient`, and any derived facts."""

from __future__ import annotations

import pickle
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

import knowledge_base
from bench.generate import SMALL, write_knowledge_base
from dsl import ast
from dsl.evaluate import compiled, evaluate
from dsl.kb import load_knowledge_base
from dsl.vocabulary import INSUFFICIENT
from engine.facts import build_facts
from engine.models import Assessment
from tests.strategies import assessments

KB = knowledge_base.load()
with tempfile.TemporaryDirectory() as _scratch:  # the loader keeps every file it needs in memory
    GENERATED_KB = load_knowledge_base(write_knowledge_base(Path(_scratch) / "kb", SMALL), "generated")
AT = ast.Pos("<test>", 0, 0)


def _conditions(kb) -> list[ast.Condition]:
    found: list[ast.Condition] = []
    for rule in kb.rules:
        found.append(rule.when)
        found.extend(a.until for a in rule.actions if isinstance(a, ast.Defer))
    return found


def _hand_made(kb) -> list[ast.Condition]:
    """Every literal kind, on a band, a score and a set, against `insufficient` too."""
    region = kb.regions[0].name
    band, score = f"{region}.band", f"{region}.score"
    made: list[ast.Condition] = [
        ast.Comparison(band, "=", INSUFFICIENT, AT, AT), ast.Comparison(band, "!=", INSUFFICIENT, AT, AT),
        ast.Comparison(band, ">=", "moderate", AT, AT), ast.Comparison(score, "<", 1.5, AT, AT),
        ast.Membership(band, ("mild", INSUFFICIENT), AT), ast.Membership(band, ("severe",), AT),
        ast.Between(score, 0.5, 2.0, AT), ast.Has("safeguarding", "self_harm", AT, AT),
        ast.FactRef("some_fact", AT)]
    return made + [ast.Not(ast.And(tuple(made[:4]), AT), AT), ast.Or(tuple(made[4:]), AT)]


KNOWLEDGE_BASES = ((KB, _conditions(KB) + _hand_made(KB)),
                   (GENERATED_KB, _conditions(GENERATED_KB)))


def test_every_kind_of_node_is_compared():
    kinds = {type(node) for _, conditions in KNOWLEDGE_BASES
             for condition in conditions for node in _walk(condition)}
    assert kinds == {ast.Comparison, ast.Membership, ast.Between, ast.Has, ast.FactRef, ast.Not,
                     ast.And, ast.Or}


def _walk(condition):
    yield condition
    for child in (condition.operand,) if isinstance(condition, ast.Not) else \
            getattr(condition, "operands", ()):
        yield from _walk(child)


def _clients(kb):
    return assessments(tuple(item.id for item in kb.instrument.items))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raws=st.tuples(_clients(KB), _clients(GENERATED_KB)),
       knocked=st.sets(st.integers(0, 400), max_size=40),
       insufficient=st.sets(st.integers(0, 400), max_size=20),
       derived_picks=st.sets(st.integers(0, 400), max_size=30))
def test_compiled_conditions_evaluate_as_the_reference_does(raws, knocked, insufficient,
                                                              derived_picks):
    for (kb, conditions), raw in zip(KNOWLEDGE_BASES, raws):
        types = kb.fact_types()
        values = dict(build_facts(Assessment.model_validate(raw), kb).values)
        paths = sorted(types)
        for i in knocked:
            values.pop(paths[i % len(paths)], None)
        for i in insufficient:
            values[paths[i % len(paths)]] = INSUFFICIENT
        names = sorted({n.name for c in conditions for n in _walk(c) if isinstance(n, ast.FactRef)})
        derived = frozenset(names[i % len(names)] for i in derived_picks) if names else frozenset()
        for condition in conditions:
            assert compiled(condition, types)(values, derived) == \
                evaluate(condition, values, derived, types), condition


def test_a_compiled_condition_pickles():
    condition = _hand_made(KB)[-1]
    again = pickle.loads(pickle.dumps(compiled(condition, KB.fact_types())))
    assert again({}, frozenset()) == evaluate(condition, {}, frozenset(), KB.fact_types())
