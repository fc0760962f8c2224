"""The dependency graph that enforces bottom-up order: regions, interventions, prerequisites.

Edges point from what must come first to what follows: lower region → higher region, target
region → intervention, prerequisite → intervention. A cycle is rejected at load time by the DSL
checker (dsl/passes/catalog.py), which uses the same prerequisite edges.
"""

from __future__ import annotations

import graphlib
import heapq
from typing import TYPE_CHECKING

from dsl.passes.catalog import prerequisite_graph
from dsl.checked import CheckedKnowledgeBase

if TYPE_CHECKING:
    import networkx as nx


def dependency_graph(kb: CheckedKnowledgeBase) -> nx.DiGraph:
    import networkx as nx  # imported when used: a cold assess never needs it
    graph = nx.DiGraph()
    for region in kb.regions:
        graph.add_node(f"region:{region.name}", kind="region", label=region.name,
                       phase=region.phase, order=region.order)
    for lower, higher in zip(kb.regions, kb.regions[1:]):
        graph.add_edge(f"region:{lower.name}", f"region:{higher.name}", kind="order")
    for iv in kb.interventions.values():
        graph.add_node(f"intervention:{iv.id}", kind="intervention", label=iv.id,
                       phase=kb.region(iv.region).phase, order=kb.region(iv.region).order)
        graph.add_edge(f"region:{iv.region}", f"intervention:{iv.id}", kind="target")
    for before, after in prerequisite_graph(kb.interventions).edges:
        graph.add_edge(f"intervention:{before}", f"intervention:{after}", kind="prerequisite")
    return graph


def start_order(active: dict[str, tuple[int, int, str]], kb: CheckedKnowledgeBase) -> list[str]:
    """Active interventions in the order to start them: prerequisites first, then by
    (region order, priority, id). `active` maps id → that sort key."""
    # Only the prerequisite edges among the active interventions (what `.subgraph(active)` of the
    # whole catalog's graph holds), built directly: this runs once per assessment.
    edges = [(prerequisite, iv_id) for iv_id in active
             for prerequisite in kb.interventions[iv_id].requires
             if prerequisite in active and prerequisite != iv_id]
    if not edges:  # nothing to put first: the order is the sort key (unique: it ends in the id)
        return sorted(active, key=active.__getitem__)
    # Kahn's algorithm always taking the smallest ready key, as networkx's
    # lexicographical_topological_sort does, on the standard library's graphlib: per assessment,
    # without importing networkx (a cold `assess` would pay ~50 ms for it).
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for iv_id in sorted(active):
        sorter.add(iv_id)
    for before, after in edges:
        sorter.add(after, before)
    sorter.prepare()
    ready = [(active[iv_id], iv_id) for iv_id in sorter.get_ready()]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, iv_id = heapq.heappop(ready)
        order.append(iv_id)
        sorter.done(iv_id)
        for follower in sorter.get_ready():
            heapq.heappush(ready, (active[follower], follower))
    return order
