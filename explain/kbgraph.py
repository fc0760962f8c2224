"""The knowledge base's dependency graph (engine/graph.py) as text, JSON and DOT.

Edges point from what comes first to what follows: region to the region above it, region to the
interventions that target it, prerequisite to the intervention that needs it.
"""

from __future__ import annotations

from dsl.checked import CheckedKnowledgeBase
import json

import networkx as nx

from engine.graph import dependency_graph
from explain.dot import FONT, html_label, new_graph

PHASE_FILL = {"regulate": "#dceefb", "relate": "#fff1b8", "reason": "#e8e0f5"}


def _node_key(graph: nx.DiGraph, node: str) -> tuple:
    data = graph.nodes[node]
    return (data.get("order", 0), data.get("kind") != "region", node)


def ordered_nodes(graph: nx.DiGraph) -> list[str]:
    """Topological order, ties broken by region order, regions first, then id."""
    return list(nx.lexicographical_topological_sort(graph, key=lambda n: _node_key(graph, n)))


def graph_json(kb: CheckedKnowledgeBase) -> str:
    graph = dependency_graph(kb)
    nodes = [dict(id=n, **{k: graph.nodes[n][k] for k in sorted(graph.nodes[n])})
             for n in ordered_nodes(graph)]
    edges = [{"from": a, "to": b, "kind": graph.edges[a, b]["kind"]} for a, b in sorted(graph.edges)]
    payload = {"knowledge_base": kb.name, "version": kb.version, "nodes": nodes, "edges": edges}
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def graph_text(kb: CheckedKnowledgeBase) -> str:
    graph = dependency_graph(kb)
    out = [f"Dependency graph of {kb.name} {kb.version}: regions lowest first; each intervention "
           "under its target region, in an order that respects prerequisites."]
    for region in kb.regions:
        out.append(f"{region.name} (order {region.order}, phase {region.phase})")
        for node in ordered_nodes(graph):
            data = graph.nodes[node]
            if data["kind"] != "intervention" or \
                    kb.interventions[data["label"]].region != region.name:
                continue
            needs = sorted(graph.nodes[p]["label"] for p in graph.predecessors(node)
                           if graph.edges[p, node]["kind"] == "prerequisite")
            after = f" (after {', '.join(needs)})" if needs else ""
            out.append(f"  - {data['label']}{after}")
    return "\n".join(out) + "\n"


def graph_dot(kb: CheckedKnowledgeBase):
    graph = dependency_graph(kb)
    dot = new_graph("dependencies", "BT")
    dot.attr(label=f"{kb.name} {kb.version}: what must come first points up to what follows",
             labelloc="t", fontsize="14")
    for region in kb.regions:
        with dot.subgraph(name=f"cluster_{region.name}") as cluster:
            cluster.attr(label=f"{region.name} ({region.phase})", style="rounded,filled",
                         fillcolor=PHASE_FILL.get(region.phase, "#f5f5f5"), fontname=FONT)
            cluster.node(f"region/{region.name}", html_label(region.name.upper(), f"phase {region.phase}"),
                         shape="box", style="bold")
            for node in ordered_nodes(graph):
                data = graph.nodes[node]
                if data["kind"] == "intervention" and \
                        kb.interventions[data["label"]].region == region.name:
                    name = kb.interventions[data["label"]].name or data["label"]
                    cluster.node(f"iv/{data['label']}", html_label(data["label"], name, bold_first=False),
                                 shape="box", style="filled", fillcolor="white")
    for before, after in sorted(graph.edges):
        kind = graph.edges[before, after]["kind"]
        style = {"order": "bold", "target": "dotted", "prerequisite": "solid"}[kind]
        dot.edge(_dot_id(graph, before), _dot_id(graph, after), style=style,
                 label="requires first" if kind == "prerequisite" else "")
    return dot


def _dot_id(graph: nx.DiGraph, node: str) -> str:
    data = graph.nodes[node]
    return f"region/{data['label']}" if data["kind"] == "region" else f"iv/{data['label']}"
