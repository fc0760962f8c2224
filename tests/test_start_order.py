"""The start order (engine/graph.py) is networkx's lexicographical topological sort, computed with
the standard library's graphlib so that a cold assessment never imports networkx."""

from __future__ import annotations

from types import SimpleNamespace

import networkx as nx
from hypothesis import given, settings, strategies as st

from engine.graph import start_order


@st.composite
def catalogs(draw):
    """Active interventions with sort keys, and prerequisites that only point backwards (a DAG,
    as the checker guarantees), some to interventions that are not active."""
    size = draw(st.integers(1, 12))
    ids = [f"iv{i:02d}" for i in range(size)]
    keys = {iv: (draw(st.integers(0, 3)), draw(st.integers(0, 5)), iv) for iv in ids}
    requires = {iv: tuple(sorted(set(draw(st.lists(st.sampled_from(ids[:i] + ["elsewhere"]),
                                                    max_size=3)))))
                if i else () for i, iv in enumerate(ids)}
    active = {iv: keys[iv] for iv in ids if draw(st.booleans()) or iv == ids[-1]}
    kb = SimpleNamespace(interventions={iv: SimpleNamespace(requires=requires[iv]) for iv in ids})
    return active, kb


@settings(max_examples=300, deadline=None)
@given(catalogs())
def test_start_order_is_the_lexicographical_topological_sort(catalog):
    active, kb = catalog
    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(active))
    graph.add_edges_from((before, iv) for iv in active for before in kb.interventions[iv].requires
                         if before in active and before != iv)
    expected = list(nx.lexicographical_topological_sort(graph, key=lambda node: active[node]))
    assert start_order(active, kb) == expected
