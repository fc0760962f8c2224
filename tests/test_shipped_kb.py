"""The shipped knowledge base: complete headers, public sources, the catalog the issues ask for."""

from __future__ import annotations

from collections import Counter

import pytest

import knowledge_base
from dsl import ast
from dsl.passes.headers import HEADER_FIELDS
from engine.graph import dependency_graph

KB = knowledge_base.load()


@pytest.mark.parametrize("rule", KB.rules, ids=lambda r: r.id)
def test_every_rule_header_is_complete(rule):
    for name in HEADER_FIELDS:
        assert str(getattr(rule, name) or "").strip(), f"{rule.id}: empty {name}"
    assert rule.status == "approved", "a release contains no drafts"


@pytest.mark.parametrize("intervention", sorted(KB.interventions.values(), key=lambda i: i.id),
                         ids=lambda i: i.id)
def test_every_intervention_is_complete_and_sourced(intervention):
    for name in ("name", "region", "modality", "dose", "settings", "source", "description"):
        assert getattr(intervention, name), f"{intervention.id}: no {name}"


def test_the_catalog_covers_every_phase():
    phases = Counter(KB.phase_of_region(iv.region).value for iv in KB.interventions.values())
    assert len(KB.interventions) >= 30
    assert all(phases[p] >= 5 for p in ("regulate", "relate", "reason")), phases


def test_there_are_enough_rules_of_every_kind():
    actions = Counter(type(a).__name__ for r in KB.rules for a in r.actions)
    assert len(KB.rules) >= 40
    for kind in ("Recommend", "Avoid", "Defer", "Flag", "Derive", "NoAction", "ScaleDose"):
        assert actions[kind] >= 1, kind


def test_no_name_uses_a_trademark():
    names = [r.id for r in KB.rules] + list(KB.interventions) + [KB.name]
    names += [iv.name for iv in KB.interventions.values()]
    assert not [n for n in names if "nmt" in n.lower() or "neurosequential" in n.lower()]


def test_the_dependency_graph_is_acyclic_and_bottom_up():
    import networkx as nx
    graph = dependency_graph(KB)
    assert nx.is_directed_acyclic_graph(graph)
    order = [n for n in nx.topological_sort(graph) if n.startswith("region:")]
    assert order == [f"region:{r.name}" for r in KB.regions]
