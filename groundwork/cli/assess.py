"""`groundwork assess CASE.json`: the explained, phased plan for one client."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from engine.audit.store import AuditStore
from engine.intake import read_assessment_file
from engine.pipeline import assess as run_assessment, plan_json
from explain.text import render_plan
from groundwork.cli import app
from groundwork.cli.audit import DbOption
from groundwork.cli.common import KbOption, load_kb, write_output


class PlanFormat(str, Enum):
    text = "text"
    json = "json"


@app.command()
def assess(
    case: Path = typer.Argument(..., help="Assessment JSON file.", metavar="CASE.json"),
    format: PlanFormat = typer.Option(PlanFormat.text, "--format", "-f", help="Output format."),
    kb: Optional[Path] = KbOption,
    drafts: bool = typer.Option(False, "--drafts", help="Also fire draft rules."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write to this file instead."),
    db: Optional[Path] = DbOption,
    no_audit: bool = typer.Option(False, "--no-audit", help="Do not append this plan to the audit store."),
) -> None:
    """Assess one client and print the explained, phased plan (recorded in the audit store)."""
    knowledge = load_kb(kb)
    assessment, raw = read_assessment_file(case, knowledge)
    outcome = run_assessment(assessment, raw, knowledge, drafts=drafts)
    text = plan_json(outcome.plan) if format is PlanFormat.json else render_plan(outcome.plan)
    appended = None
    if not no_audit:  # recorded before it is shown: no plan reaches a clinician unrecorded
        with AuditStore.open(db, mode="create") as store:
            appended = store.append_assessment(outcome, raw, knowledge)
    write_output(text, out)
    if appended is not None:
        print(f"audit record {appended.id} (head {appended.record_hash[:12]})", file=sys.stderr)
