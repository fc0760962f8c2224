"""`groundwork diff --base OLD_KB --head NEW_KB CASES…`: how a knowledge-base change moves plans."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import List

import typer

from groundwork.cli import app
from groundwork.trainer import locate
from groundwork.trainer.impact import impact
from groundwork.trainer.impact_report import render_json, render_text


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
) -> None:
    """Compare two knowledge bases on cases: work added, removed, moved, deferred, avoided."""
    locate.require_paths([base, head, *cases])
    base_kb, head_kb = locate.load(base), locate.load(head)
    results = impact(list(cases), base_kb, head_kb, drafts)
    if format is DiffFormat.json:
        text = json.dumps(render_json(results, base_kb, head_kb), indent=2, ensure_ascii=False) + "\n"
    else:
        text = render_text(results, base_kb, head_kb, str(base), str(head))
    sys.stdout.write(text)
