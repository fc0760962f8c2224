"""The per-assessment shortcuts taken for speed (see bench/RESULTS.md) change no answer."""

from __future__ import annotations

import random
from dataclasses import replace

import networkx as nx

import knowledge_base
from bench.generate import SMALL, write_knowledge_base
from dsl.kb import load_knowledge_base
from dsl.passes.catalog import prerequisite_graph
from dsl.vocabulary import fact_types
from engine.graph import start_order


def test_start_order_matches_the_catalog_subgraph(tmp_path):
    kb = load_knowledge_base(write_knowledge_base(tmp_path / "kb", SMALL), "generated")
    assert any(iv.requires for iv in kb.interventions.values())
    rng = random.Random(5)
    for _ in range(50):
        active = {iv: (rng.randint(1, 4), rng.randint(1, 5), iv)
                  for iv in rng.sample(sorted(kb.interventions), 25)}
        whole = prerequisite_graph(kb.interventions).subgraph(active)
        expected = list(nx.lexicographical_topological_sort(whole, key=lambda n: active[n]))
        assert start_order(active, kb) == expected


def test_rule_lookup_by_id():
    kb = knowledge_base.load()
    first = kb.rules[0]
    assert kb.rule(first.id) is first
    assert kb.rule("no-such-rule") is None
    twice = replace(kb, rules=(first, replace(first, title="a later duplicate")))
    assert twice.rule(first.id) is first


def test_fact_types_are_computed_once_per_vocabulary():
    kb = knowledge_base.load()
    assert kb.fact_types() is kb.fact_types()
    assert fact_types(("a",), ()) is not fact_types(("b",), ())


def _plans(kb) -> list[str]:
    from pathlib import Path

    from engine.intake import parse_assessment
    from engine.pipeline import assess, plan_json
    cases = sorted((Path(__file__).parents[1] / "examples").glob("*.json"))
    return [plan_json(assess(*parse_assessment(c.read_text(encoding="utf-8"), c.name, kb), kb).plan)
            for c in cases]


def test_the_sequence_index_is_the_knowledge_bases_own_and_travels_with_it():
    """engine/sequence_index.py: built once per knowledge base, rebuilt by a copy, and the same
    plans from a knowledge base pickled with its index (the knowledge-base cache pickles)."""
    import pickle

    from engine.sequence_index import sequence_index
    kb = load_knowledge_base(knowledge_base.BUNDLED, "knowledge_base/core")
    index = sequence_index(kb)
    assert sequence_index(kb) is index
    copy = replace(kb, rules=kb.rules[:-1])
    assert sequence_index(copy) is not index and kb.rules[-1].id not in sequence_index(copy).rules
    before = _plans(kb)
    travelled = pickle.loads(pickle.dumps(kb))
    assert "_sequence_index" in travelled.__dict__
    assert _plans(travelled) == before
    assert _plans(load_knowledge_base(knowledge_base.BUNDLED, "knowledge_base/core")) == before


def test_the_index_reads_each_rule_condition_as_the_evaluator_does():
    """The conditions' texts are kept in the order Evaluation.leaves() gives the values."""
    from dsl.evaluate import describe, evaluate
    from engine.sequence_index import sequence_index
    kb = knowledge_base.load()
    index = sequence_index(kb)
    for rule in kb.rules:
        result = evaluate(rule.when, {}, frozenset(), kb.fact_types())
        assert index.rules[rule.id].condition_texts == tuple(describe(leaf.node)
                                                             for leaf in result.leaves())
