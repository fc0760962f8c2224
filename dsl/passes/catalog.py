"""The intervention catalog: complete entries, known names, no prerequisite cycles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from typing import Mapping

from dsl import ast
from dsl.errors import Collector, did_you_mean
from dsl.facts import AROUSAL_CURRENT, band_path, score_path
from dsl.vocabulary import (DELIVERERS, GUIDANCE_STATES, MARKERS, MODALITIES, ROUTINES,
                            SENSITIVITIES, SETTINGS, TRACKS, Phase)

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


def _check_no_touch(kb, iv: ast.Intervention, out: Collector) -> None:
    """Body-contact work names a no-touch alternative, which exists and involves no contact."""
    alternative = iv.no_touch_alternative
    if "body_contact" in iv.marks and alternative is None:
        out.add("E154", f"'{iv.id}' is marked body_contact but names no no_touch_alternative",
                iv.marks_pos, hint="add: no_touch_alternative ID (an entry without body contact)")
    if alternative is None:
        return
    if "body_contact" not in iv.marks:
        out.add("E154", f"'{iv.id}' names a no_touch_alternative but is not marked body_contact",
                iv.no_touch_alternative_pos, hint="add: marks body_contact, or drop the line")
    target = kb.interventions.get(alternative)
    if target is None:
        out.add("E154", f"unknown no-touch alternative '{alternative}'"
                + _suggest(alternative, kb.interventions), iv.no_touch_alternative_pos)
    elif "body_contact" in target.marks:
        out.add("E154", f"the no-touch alternative '{alternative}' is itself marked body_contact",
                iv.no_touch_alternative_pos, hint="name an entry that involves no body contact")


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
    if iv.track not in TRACKS:
        out.add("E151", f"unknown track '{iv.track}'" + _suggest(iv.track, TRACKS),
                iv.track_pos or iv.pos, hint="an intervention is for the client (track client) or "
                "for the adults and settings around the client (track support)")
    if iv.min_age_months is not None and iv.max_age_months is not None \
            and iv.min_age_months >= iv.max_age_months:
        out.add("E150", f"intervention '{iv.id}' has an empty age range", iv.ages_pos or iv.pos,
                hint="ages run from the first up to (not including) the second: `ages 0 months to 3 years`")
    for routine in iv.routines:
        if routine not in ROUTINES:
            out.add("E151", f"unknown routine '{routine}'" + _suggest(routine, ROUTINES),
                    iv.routines_pos or iv.pos, hint="routines: " + ", ".join(ROUTINES))
    for state in iv.fits:
        if state not in GUIDANCE_STATES:
            out.add("E151", f"unknown state '{state}'" + _suggest(state, GUIDANCE_STATES),
                    iv.fits_pos or iv.pos, hint="states: " + ", ".join(GUIDANCE_STATES))
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
    for marker in iv.marks:
        if marker not in MARKERS:
            out.add("E151", f"unknown marker '{marker}'" + _suggest(marker, MARKERS), iv.marks_pos,
                    hint="markers: " + ", ".join(MARKERS))
    _check_no_touch(kb, iv, out)
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


def check_budgets(kb, out: Collector) -> None:
    """Budgets cover disjoint age ranges, each with a sensible limit."""
    spans = sorted((b for f in kb.files for b in f.items if isinstance(b, ast.BudgetDecl)),
                   key=lambda b: (b.min_age_months, b.pos))
    for budget in spans:
        if budget.min_age_months >= budget.max_age_months:
            out.add("E150", "a budget has an empty age range", budget.pos)
        limits = (budget.per_deliverer, budget.per_setting, budget.minutes_per_day)
        if any(limit is not None and limit < 1 for limit in limits):
            out.add("E150", "a budget limit must be at least 1", budget.pos)
    for before, after in zip(spans, spans[1:]):
        if after.min_age_months < before.max_age_months:
            out.add("E150", f"two budgets cover the same ages (from {after.min_age_months} months)",
                    after.pos, hint="give each age range one budget")


def check_support_gates(kb, out: Collector) -> None:
    """Work for the adults and settings around the client starts on day one (CLINICAL.md
    section 1): a `defer` of a support intervention may wait for something about the adults or
    the setting, never for the client's bands, scores or arousal state."""
    client_state = {band_path(n) for n in kb.region_names + kb.domain_names} \
        | {score_path(n) for n in kb.region_names + kb.domain_names} | {AROUSAL_CURRENT}
    for rule in kb.rules:
        for action in rule.actions:
            if not isinstance(action, ast.Defer) or action.intervention not in kb.interventions \
                    or kb.interventions[action.intervention].track != "support":
                continue
            tested = sorted({n.path for n in ast.walk(action.until)
                             if getattr(n, "path", None) in client_state})
            if tested:
                out.add("E152", f"'{action.intervention}' is support work (for the adults around "
                        f"the client) but this defer waits for the client's "
                        + ", ".join(tested), action.pos,
                        hint="support work is never gated by the client's bands or state; gate it "
                        "on the adults or the setting, or make the intervention `track client`")


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
