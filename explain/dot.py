"""Graphviz DOT (via the `graphviz` package) for one recommendation and for one client.

- derivation graph: item ratings -> region bands -> rules (and the facts they derive) ->
  the recommendation -> its phase;
- region map: Groundwork's own design, a left-to-right ladder of regions (lowest first), each
  coloured by band with its band printed, the work planned for it beside it, and the domains
  below the region they mostly draw on. Not a triangle of boxes.
"""

from __future__ import annotations

from dsl.checked import CheckedKnowledgeBase
from html import escape

import graphviz

from engine.plan import Plan
from explain.bands import BAND_ORDER, INK, fill
from explain.conditions import tests
from explain.models import RuleEvidence, Why

FONT = "Helvetica"


def new_graph(name: str, rankdir: str) -> graphviz.Digraph:
    graph = graphviz.Digraph(name)
    graph.attr(rankdir=rankdir, fontname=FONT, bgcolor="white", nodesep="0.3", ranksep="0.5")
    graph.attr("node", fontname=FONT, fontsize="11", color=INK, fontcolor=INK)
    graph.attr("edge", fontname=FONT, fontsize="9", color="#555555", fontcolor=INK)
    return graph


def html_label(*rows: str, bold_first: bool = True) -> str:
    """An HTML-like label: one escaped text row per line."""
    cells = []
    for index, row in enumerate(rows):
        text = escape(row)
        cells.append(f"<B>{text}</B>" if index == 0 and bold_first else text)
    return "<" + "<BR/>".join(cells) + ">"


# ---- derivation graph of one recommendation ----

def derivation_graph(why: Why) -> graphviz.Digraph:
    graph = new_graph("derivation", "LR")
    scored = {s.name for s in why.scores}
    for score in why.scores:
        graph.node(f"score/{score.name}", html_label(
            f"{score.name} ({score.kind})", f"band {score.band}",
            "score unknown" if score.score is None else f"score {score.score:.2f}"),
            shape="box", style="rounded,filled", fillcolor=fill(score.band))
        for rating in score.ratings:
            if rating.value is None:
                continue
            node = f"item/{rating.item}"
            graph.node(node, html_label(rating.item, f"rated {rating.value}", bold_first=False),
                       shape="note", fontsize="9")
            graph.edge(node, f"score/{score.name}")
    for fact in why.facts:
        graph.node(f"value/{fact.fact}", html_label(fact.fact, f"= {fact.value}"), shape="box")
    seen: set[str] = set()
    for rule in why.rules:
        _rule_nodes(graph, rule, scored, seen)
        graph.edge(f"rule/{rule.rule}", "recommendation", label="recommends")
    seq = why.sequencing
    dose = seq.dose
    graph.node("recommendation", html_label(why.name, f"[{why.intervention}]",
                                        f"{dose.frequency} per {dose.period}, {dose.minutes} min"),
               shape="box", style="filled,bold", fillcolor="#ffffff", penwidth="2")
    graph.node("phase", html_label(f"phase {seq.phase_number}: {seq.phase}",
                               f"activity {seq.position} of {seq.of}",
                               f"targets {seq.target_region}"),
               shape="box", style="rounded,filled", fillcolor="#eeeeee")
    passed = ", ".join(g.kind for g in seq.gates if g.passed)
    graph.edge("recommendation", "phase", label=f"gates passed: {passed}")
    for before in seq.starts_after:
        graph.node(f"before/{before}", html_label(before, bold_first=False), shape="box",
                   style="dashed")
        graph.edge(f"before/{before}", "phase", label="starts earlier", style="dashed")
    return graph


def _rule_nodes(graph, rule: RuleEvidence, scored: set[str], seen: set[str]) -> None:
    node = f"rule/{rule.rule}"
    if node in seen:
        return
    seen.add(node)
    graph.node(node, html_label(f"{rule.rule} {rule.version}", rule.title),
               shape="box", style="filled", fillcolor="#f5f5f5")
    for test in tests(rule.conditions):
        head, _, tail = (test.fact or "").partition(".")
        if head in scored and tail in ("band", "score"):
            source = f"score/{head}"
        elif any(f.fact == test.fact for f in rule.derived_facts):
            source = f"fact/{test.fact}"
        else:
            source = f"value/{test.fact}"
            graph.node(source, html_label(test.fact or "", f"= {test.actual}"), shape="box")
        verdict = "true" if test.holds else "false"
        graph.edge(source, node, label=f"{test.required}: {verdict}")
    for fact in rule.derived_facts:
        graph.node(f"fact/{fact.fact}", html_label(fact.fact, "derived" if fact.derived else "not derived"),
                   shape="ellipse", style="filled", fillcolor="#e8e0f5")
        for by in fact.derived_by:
            _rule_nodes(graph, by, scored, seen)
            graph.edge(f"rule/{by.rule}", f"fact/{fact.fact}", label="derives")


# ---- region map of one client ----

def region_map(plan: Plan, kb: CheckedKnowledgeBase) -> graphviz.Digraph:
    graph = new_graph("region_map", "LR")
    graph.attr(ordering="out")  # in each column: region, then the work beside it, then domains
    graph.attr(label=f"Region map for client {plan.client_id} (lowest region first)",
               labelloc="t", fontsize="14")
    domains_by_region: dict[str, list] = {}
    primary = {d.name: d.primary_region for d in kb.domains}
    for domain in plan.domains:
        domains_by_region.setdefault(primary.get(domain.domain, ""), []).append(domain)
    previous = None
    for region in plan.regions:
        with graph.subgraph(name=f"column_{region.region}") as column:
            column.attr(rank="same")
            _region_node(column, region)
            column.node(f"work/{region.region}", _work_label(plan, kb, region.region, region.phase),
                        shape="box", style="rounded", fontsize="10")
            for domain in domains_by_region.get(region.region, []):
                column.node(f"domain/{domain.domain}", html_label(
                    domain.domain.replace("_", " "), f"domain, band {domain.band}",
                    "score unknown" if domain.score is None else f"score {domain.score:.2f}"),
                    shape="ellipse", style="filled", fillcolor=fill(domain.band))
        graph.edge(f"region/{region.region}", f"work/{region.region}", label="phase",
                   arrowhead="none", style="dotted")
        for domain in domains_by_region.get(region.region, []):
            graph.edge(f"region/{region.region}", f"domain/{domain.domain}", style="dashed",
                       arrowhead="none", label="primary for")
        if previous is not None:
            graph.edge(f"region/{previous}", f"region/{region.region}", label="then",
                       penwidth="1.5")
        previous = region.region
    graph.node("legend", _legend(), shape="plain")
    return graph


def _region_node(graph, region) -> None:
    score = "score unknown" if region.score is None else f"score {region.score:.2f}"
    graph.node(f"region/{region.region}", html_label(
        region.region.upper(), f"band: {region.band}" + (" (borderline)" if region.borderline else ""),
        score,
        f"{region.known_ratings} of {region.items} items rated"),
        shape="box", style="rounded,filled", fillcolor=fill(region.band), penwidth="1.5")


def _work_label(plan: Plan, kb: CheckedKnowledgeBase, region: str, phase: str) -> str:
    """The phase beside a region, and the work planned for that region in it."""
    active = [r.name for p in plan.phases for r in p.recommendations if r.target_region == region]
    deferred = [d for d in plan.deferred if kb.interventions[d.intervention].region == region]
    rows = [f"phase: {phase}"]
    rows += [f"active: {name}" for name in active] or ["nothing active"]
    if deferred:
        rows.append(f"{len(deferred)} deferred, e.g. {deferred[0].gate}")
    for label, entries in (("avoided", plan.avoided), ("not suitable", plan.not_suitable)):
        count = sum(kb.interventions[x.intervention].region == region for x in entries)
        if count:
            rows.append(f"{count} {label}")
    return html_label(*rows)


def _legend() -> str:
    rows = "".join(
        f'<TR><TD BGCOLOR="{fill(b)}" WIDTH="18"> </TD><TD ALIGN="LEFT">{b}</TD></TR>'
        for b in BAND_ORDER)
    return f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">' \
           f'<TR><TD COLSPAN="2"><B>bands</B></TD></TR>{rows}</TABLE>>'
