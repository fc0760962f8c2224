"""`groundwork assess CASE.json`: the explained, phased plan for one client.

Formats: text (clinicians), json (the output contract), html (a self-contained report), dot/svg
(the client's region map), handout and handout-html (a plain page for each adult who carries part
of the plan). `--trace` adds every rule firing, in canonical order, to text, json
and html.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from engine.pipeline import plan_json
from explain.context import Context
from explain.text import render_plan
from groundwork.cli import app
from groundwork.cli.common import CaseArgument, DbOption, KbOption, load_kb, read_case, write_output
from groundwork.service import assessed, record_plan, with_previous


class PlanFormat(str, Enum):
    text = "text"
    json = "json"
    html = "html"
    dot = "dot"
    svg = "svg"
    fhir = "fhir"
    handout = "handout"
    handout_html = "handout-html"


@app.command()
def assess(
    case: Path = CaseArgument,
    format: PlanFormat = typer.Option(PlanFormat.text, "--format", "-f",
                                      help="Output format (dot and svg: the region map; fhir: a "
                                           "Bundle with a CarePlan, DetectedIssues, Provenance; "
                                           "handout, handout-html: a plain page for each carer, "
                                           "teacher and staff team)."),
    kb: Optional[Path] = KbOption,
    drafts: bool = typer.Option(False, "--drafts", help="Also fire draft rules."),
    trace: bool = typer.Option(False, "--trace", help="Add every rule firing (text, json, html)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", metavar="FILE", help="Write to this file instead."),
    db: Optional[Path] = DbOption,
    no_audit: bool = typer.Option(False, "--no-audit", help="Do not append this plan to the audit store."),
) -> None:
    """Assess one client and print the explained, phased plan (recorded in the audit store)."""
    knowledge = load_kb(kb)
    assessment, raw = read_case(case, knowledge)
    ctx = with_previous(assessed(assessment, raw, knowledge, drafts), db)
    text = render(ctx, format, trace)  # rendered first: a bad format writes nothing
    # recorded before it is shown: no plan reaches a clinician unrecorded
    appended = None if no_audit else record_plan(ctx, raw, db)
    write_output(text, out)
    if appended is not None:
        print(f"audit record {appended.id} (head {appended.record_hash[:12]})", file=sys.stderr)


def render(ctx: Context, format: PlanFormat, trace: bool) -> str:
    plan = ctx.plan
    firings = None
    if trace:  # the trace brings the explanation models: imported only when asked for
        from explain.trace import build_trace
        firings = build_trace(ctx)
    if format is PlanFormat.json:
        if firings is None:
            return plan_json(plan)
        payload = plan.model_dump(mode="json") | {"trace": firings.model_dump(mode="json")}
        return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    if format is PlanFormat.fhir:
        from groundwork.fhir.jsonout import dumps
        from groundwork.fhir.plan import plan_bundle
        return dumps(plan_bundle(plan))
    # Each format's renderer is imported when asked for: a cold `assess` pays only for its own.
    if format is PlanFormat.html:
        from explain.html import render_report
        return render_report(ctx, firings)
    if format is PlanFormat.handout:
        from explain.handout import render_handout_text
        return render_handout_text(plan, ctx.kb)
    if format is PlanFormat.handout_html:
        from explain.handout import render_handout_html
        return render_handout_html(plan, ctx.kb)
    if format in (PlanFormat.dot, PlanFormat.svg):
        from explain.dot import region_map
        from explain.svg import render_svg
        source = region_map(plan, ctx.kb).source
        return source if format is PlanFormat.dot else render_svg(source)
    text = render_plan(plan)
    if firings is None:
        return text
    # The trace goes before the closing disclaimer line, which stays last.
    body, _, disclaimer = text.rstrip("\n").rpartition("\n")
    from explain.plain import trace_lines
    return "\n".join([body, "", *trace_lines(firings), "", disclaimer]) + "\n"
