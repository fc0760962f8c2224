"""`groundwork explain CASE.json X` (why) and `groundwork why-not CASE.json X`."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from dsl.errors import Diagnostic, GroundworkError
from explain.catalog import resolve
from explain.context import Context
from explain.dot import derivation_graph
from explain.models import WhyNot, to_json
from explain.plain import render_why, render_why_not
from explain.svg import render_svg
from explain.why_not import explain_why_not
from groundwork.cli import app
from groundwork.cli.common import CaseArgument, KbOption, load_kb, read_case, write_output
from groundwork.service import assessed, explanation

InterventionArgument = typer.Argument(..., help="Catalog id or name of an intervention.",
                                      metavar="INTERVENTION")
DraftsOption = typer.Option(False, "--drafts", help="Also fire draft rules.")
OutOption = typer.Option(None, "--out", "-o", metavar="FILE", help="Write to this file instead.")


class WhyFormat(str, Enum):
    text = "text"
    json = "json"
    dot = "dot"
    svg = "svg"


class WhyNotFormat(str, Enum):
    text = "text"
    json = "json"


def assessed_case(case: Path, kb: Optional[Path], drafts: bool, intervention: str) -> tuple[Context, str]:
    """The assessed client's context and the catalog id meant by `intervention`."""
    knowledge = load_kb(kb)
    intervention_id = resolve(knowledge, intervention)
    assessment, raw = read_case(case, knowledge)
    return assessed(assessment, raw, knowledge, drafts), intervention_id


@app.command("explain")
def explain_command(
    case: Path = CaseArgument,
    intervention: str = InterventionArgument,
    format: WhyFormat = typer.Option(WhyFormat.text, "--format", "-f", help="Output format."),
    kb: Optional[Path] = KbOption,
    drafts: bool = DraftsOption,
    out: Optional[Path] = OutOption,
) -> None:
    """Why this intervention: the rules, the client's values behind them, and its place in the plan."""
    ctx, intervention_id = assessed_case(case, kb, drafts, intervention)
    answer = explanation(ctx, intervention_id)
    if isinstance(answer, WhyNot):
        if format in (WhyFormat.dot, WhyFormat.svg):
            raise GroundworkError([Diagnostic(
                "E221", f"'{intervention_id}' is not recommended for this client, so it has no "
                        "derivation graph", path=str(case),
                hint=f"`groundwork why-not {case} {intervention_id}` says what holds it back")])
        text = to_json(answer) if format is WhyFormat.json else render_why_not(answer)
    elif format is WhyFormat.json:
        text = to_json(answer)
    elif format is WhyFormat.text:
        text = render_why(answer)
    else:
        source = derivation_graph(answer).source
        text = source if format is WhyFormat.dot else render_svg(source)
    write_output(text, out)


@app.command("why-not")
def why_not_command(
    case: Path = CaseArgument,
    intervention: str = InterventionArgument,
    format: WhyNotFormat = typer.Option(WhyNotFormat.text, "--format", "-f", help="Output format."),
    kb: Optional[Path] = KbOption,
    drafts: bool = DraftsOption,
    out: Optional[Path] = OutOption,
) -> None:
    """Why not this intervention: the gate, rule or missing condition that holds it back."""
    ctx, intervention_id = assessed_case(case, kb, drafts, intervention)
    answer = explain_why_not(ctx, intervention_id)
    write_output(to_json(answer) if format is WhyNotFormat.json else render_why_not(answer), out)
