"""Stratified negation: a rule that negates a derived fact runs after every rule deriving it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dsl import ast
from dsl.errors import Collector

if TYPE_CHECKING:
    import networkx as nx


def derivation_graph(rules) -> nx.DiGraph:
    """Edges deriver → user between rules, labelled negated=True where the user negates."""
    import networkx as nx  # imported when used: a cold assess never needs it
    derivers: dict[str, list[str]] = {}
    for rule in rules:
        for action in rule.actions:
            if isinstance(action, ast.Derive):
                derivers.setdefault(action.fact, []).append(rule.id)
    graph = nx.DiGraph()
    graph.add_nodes_from(r.id for r in rules)
    for rule in rules:
        for condition in ast.rule_conditions(rule):
            for name, negated in ast.fact_refs(condition):
                for deriver in derivers.get(name, ()):
                    previous = graph.get_edge_data(deriver, rule.id, {}).get("negated", False)
                    graph.add_edge(deriver, rule.id, negated=negated or previous, fact=name)
    return graph


def strata(rules) -> dict[str, int]:
    """The stratum of each rule: one more than any rule whose fact it negates; chains share one."""
    import networkx as nx  # imported when used: a cold assess never needs it
    graph = derivation_graph(rules)
    level = {rule.id: 0 for rule in rules}
    condensed = nx.condensation(graph)
    for component in nx.topological_sort(condensed):
        members = condensed.nodes[component]["members"]
        stratum = 0
        for member in members:
            for deriver, _, data in graph.in_edges(member, data=True):
                if deriver in members:
                    continue
                stratum = max(stratum, level[deriver] + (1 if data["negated"] else 0))
        for member in members:
            level[member] = stratum
    return level


def check_stratified(kb, out: Collector) -> None:
    import networkx as nx  # imported when used: a cold assess never needs it
    graph = derivation_graph(kb.rules)
    for component in nx.strongly_connected_components(graph):
        if len(component) == 1:
            node = next(iter(component))
            if not graph.has_edge(node, node):
                continue
        sub = graph.subgraph(component)
        negative = sorted((u, v, d["fact"]) for u, v, d in sub.edges(data=True) if d["negated"])
        if negative:
            deriver, user, fact = negative[0]
            rule = kb.rule(user)
            out.add("E140", f"rule '{user}' negates '{fact}', which depends on its own result "
                    f"through rule '{deriver}'; negation must be stratified", rule.pos,
                    hint="a rule may only negate facts that are fully derived before it runs")
