"""`groundwork graph`: the knowledge base's dependency graph (regions, interventions, prerequisites)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

import knowledge_base
from explain.kbgraph import graph_dot, graph_json, graph_text
from explain.svg import render_svg
from groundwork.cli import app
from groundwork.cli.common import KbOption, write_output


class GraphFormat(str, Enum):
    text = "text"
    json = "json"
    dot = "dot"
    svg = "svg"


@app.command()
def graph(
    format: GraphFormat = typer.Option(GraphFormat.text, "--format", "-f", help="Output format."),
    kb: Optional[Path] = KbOption,
    out: Optional[Path] = typer.Option(None, "--out", "-o", metavar="FILE", help="Write to this file instead."),
) -> None:
    """Print the dependency graph: regions lowest first, interventions, prerequisites."""
    knowledge = knowledge_base.load(kb)  # a trainer may draw a knowledge base with errors
    if format is GraphFormat.text:
        text = graph_text(knowledge)
    elif format is GraphFormat.json:
        text = graph_json(knowledge)
    else:
        source = graph_dot(knowledge).source
        text = source if format is GraphFormat.dot else render_svg(source)
    write_output(text, out)
