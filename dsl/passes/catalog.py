"""The intervention catalog: complete entries, known names, no prerequisite cycles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from typing import Mapping

from dsl import ast
from dsl.errors import Collector, did_you_mean
from dsl.vocabulary import DELIVERERS, MODALITIES, SENSITIVITIES, SETTINGS, Phase

if TYPE_CHECKING:
    import networkx as nx

REQUIRED = ("name", "region", "modality", "dose", "settings", "source")


def _suggest(name, choices) -> str:
    hint = did_you_mean(name, choices)
    return f" ({hint})" if hint else ""


def check_catalog(kb, out: Collector) -> None:
    seen: set[str] = set()
    for iv in (i for f in kb.files for i in f.items if isinstance(i, ast.Intervention)):
        if iv.id in seen:
            out.add("E131", f"intervention '{iv.id}' is declared twice", iv.pos)
        seen.add(iv.id)
        for name in REQUIRED:
            if not getattr(iv, name):
                out.add("E150", f"intervention '{iv.id}' has no {name}", iv.pos)
        _check_names(kb, iv, out)


def _check_names(kb, iv: ast.Intervention, out: Collector) -> None:
    if iv.region and iv.region not in kb.region_names:
        out.add("E110", f"unknown region '{iv.region}'" + _suggest(iv.region, kb.region_names),
                iv.region_pos)
    elif iv.region and iv.phase and iv.phase != kb.region(iv.region).phase:
        out.add("E150", f"intervention '{iv.id}' says phase '{iv.phase}' but its region "
                f"'{iv.region}' belongs to '{kb.region(iv.region).phase}'", iv.region_pos,
                hint="a phase follows from the target region; drop the phase line or fix it")
    if iv.phase and iv.phase not in {p.value for p in Phase}:
        out.add("E150", f"unknown phase '{iv.phase}'", iv.pos)
    if iv.modality and iv.modality not in MODALITIES:
        out.add("E151", f"unknown modality '{iv.modality}'" + _suggest(iv.modality, MODALITIES),
                iv.pos, hint="modalities: " + ", ".join(MODALITIES))
    for setting in iv.settings:
        if setting not in SETTINGS:
            out.add("E151", f"unknown setting '{setting}'" + _suggest(setting, SETTINGS), iv.pos)
    for sensitivity in iv.contraindicated:
        if sensitivity not in SENSITIVITIES:
            out.add("E151", f"unknown sensitivity '{sensitivity}'"
                    + _suggest(sensitivity, SENSITIVITIES), iv.contraindicated_pos)
    if iv.stage_domain and kb.domain_names and iv.stage_domain not in kb.domain_names:
        out.add("E151", f"unknown domain '{iv.stage_domain}'" + _suggest(iv.stage_domain, kb.domain_names),
                iv.stage_domain_pos, hint="a stage is read in a declared domain: "
                + ", ".join(kb.domain_names))
    if iv.dose:
        check_dose(iv.dose, out)
    for prerequisite in iv.requires:
        if prerequisite not in kb.interventions:
            out.add("E113", f"unknown intervention '{prerequisite}'"
                    + _suggest(prerequisite, kb.interventions), iv.requires_pos)
        elif prerequisite == iv.id:
            out.add("E141", f"intervention '{iv.id}' requires itself", iv.requires_pos)
        elif kb.region_names and iv.region in kb.region_names and \
                kb.interventions[prerequisite].region in kb.region_names and \
                kb.region(kb.interventions[prerequisite].region).order > kb.region(iv.region).order:
            out.add("E142", f"'{iv.id}' requires '{prerequisite}', which targets a higher region; "
                    "prerequisites must come from the same region or below", iv.requires_pos)


def check_dose(dose: ast.Dose, out: Collector) -> None:
    for who in dose.delivered_by:
        if who not in DELIVERERS:
            out.add("E151", f"unknown deliverer '{who}'" + _suggest(who, DELIVERERS), dose.pos,
                    hint="deliverers: " + ", ".join(DELIVERERS))
    if dose.frequency < 1 or dose.minutes < 1:
        out.add("E150", "a dose needs at least 1 per period and 1 minute", dose.pos)


def prerequisite_graph(interventions: Mapping[str, ast.Intervention]) -> nx.DiGraph:
    """Edges from each prerequisite to the intervention that requires it."""
    import networkx as nx  # imported when used: a cold assess never needs it
    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(interventions))
    for iv in interventions.values():
        for prerequisite in iv.requires:
            if prerequisite in interventions and prerequisite != iv.id:
                graph.add_edge(prerequisite, iv.id)
    return graph


def check_prerequisite_cycles(kb, out: Collector) -> None:
    import networkx as nx  # imported when used: a cold assess never needs it
    graph = prerequisite_graph(kb.interventions)
    for cycle in sorted(sorted(c) for c in nx.simple_cycles(graph)):
        first = min(cycle)
        ordered = _cycle_from(graph, first, set(cycle))
        out.add("E141", "prerequisite cycle: " + " -> ".join(ordered + [first]),
                kb.interventions[first].requires_pos or kb.interventions[first].pos,
                hint="an intervention cannot (indirectly) require itself")


def _cycle_from(graph, start, members):
    path, node = [start], start
    while True:
        node = sorted(n for n in graph.successors(node) if n in members)[0]
        if node == start or node in path:
            return path
        path.append(node)
