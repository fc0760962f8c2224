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
