"""`groundwork diff --base OLD_KB --head NEW_KB CASES…`: how a knowledge-base change moves plans."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from groundwork.cli import app
from groundwork.trainer import locate
from dsl.errors import Diagnostic, GroundworkError
from groundwork.trainer.impact import run_impact
from groundwork.trainer.impact_report import render_json, render_text, screen_line


class DiffFormat(str, Enum):
    text = "text"
    json = "json"


@app.command()
def diff(
    cases: List[Path] = typer.Argument(..., help="Assessment JSON files, scenario files, or "
                                       "directories holding them.", metavar="CASES..."),
    base: Path = typer.Option(..., "--base", help="The knowledge base before the change.",
                              metavar="OLD_KB"),
    head: Path = typer.Option(..., "--head", help="The knowledge base after the change.",
                              metavar="NEW_KB"),
    format: DiffFormat = typer.Option(DiffFormat.text, "--format", "-f", help="Output format."),
    drafts: bool = typer.Option(False, "--drafts", help="Fire draft rules in both."),
    workers: int = typer.Option(1, "--workers", "-w", metavar="N", help="Worker processes (like `batch`)."),
    base_results: Optional[Path] = typer.Option(
        None, "--base-results", metavar="RESULTS.jsonl",
        help="Plans of the base from an earlier `groundwork batch --out` (not made again)."),
    full: bool = typer.Option(False, "--full", help="Assess every case under both knowledge "
                              "bases, even those no changed rule can reach."),
    dask: Optional[str] = typer.Option(None, "--dask", metavar="ADDRESS",
                                       help="Compare on an existing Dask cluster (like `batch`)."),
) -> None:
    """Compare two knowledge bases on cases: work added, removed, moved, deferred, avoided."""
    if workers < 1:
        raise GroundworkError([Diagnostic("E208", "--workers must be 1 or more", "--workers")])
    locate.require_paths([base, head, *cases] + ([base_results] if base_results else []))
    base_kb, head_kb = locate.load(base), locate.load(head)
    run = run_impact(list(cases), base_kb, head_kb, drafts, workers, base_results,
                     use_screen=not full, dask=dask)
    if format is DiffFormat.json:
        report = render_json(run.cases, base_kb, head_kb)
        report["screen"] = {"cases": len(run.cases), "assessed": run.assessed,
                            "screened_out": run.screened_out,
                            "changed_rules": list(run.screen.changed_rules),
                            "every_case": run.screen.everything}
        text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    else:
        text = render_text(run.cases, base_kb, head_kb, str(base), str(head), screen_line(run))
    sys.stdout.write(text)
