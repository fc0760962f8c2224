"""`groundwork lint [PATHS…] [--format text|json|sarif]`: every problem in one run (codes:
docs/errors.md).

Text: each finding as `path:line:column: error|warning: CODE: message`, with the source line, a
caret and a hint, on stderr (errors first, so the first stderr line is an error when there is
one); one summary line per knowledge base on stdout. JSON: one object on stdout. SARIF: a SARIF 2.1.0
log on stdout, for code hosts that annotate the lines of a change. Exit 1 when any
error was found, 0 otherwise (warnings alone do not fail; `--strict` makes them).
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from groundwork.cli import app
from engine import __version__
from groundwork.trainer import locate
from groundwork.trainer.lint import LintReport, lint_path


class LintFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"


@app.command()
def lint(
    paths: Optional[List[Path]] = typer.Argument(
        None, help="Knowledge base directories, or single rule files (default: the bundled "
                   "knowledge base)."),
    format: LintFormat = typer.Option(LintFormat.text, "--format", "-f", help="Output format."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 on warnings too."),
    drafts: bool = typer.Option(False, "--drafts", help="Count draft rules when looking for "
                                "coverage gaps."),
) -> None:
    """Check rule files: syntax, names, types, contradictions, conflicts, gaps, ordering, status."""
    paths = list(paths or [])
    locate.require_paths(paths)
    reports = [lint_path(path, drafts) for path in (paths or [None])]  # type: ignore[list-item]
    if format is LintFormat.json:
        sys.stdout.write(json.dumps(_as_json(reports), indent=2, ensure_ascii=False) + "\n")
    elif format is LintFormat.sarif:
        from groundwork.trainer.ci_report import sarif  # imports the engine: only when asked
        sys.stdout.write(sarif([d for r in reports for d in r.diagnostics], __version__))
    else:
        for report in reports:
            for diagnostic in report.diagnostics:
                typer.echo(diagnostic.render(), err=True)
            typer.echo(report.summary())
    failed = any(r.errors or (strict and r.warnings) for r in reports)
    raise typer.Exit(1 if failed else 0)


def _as_json(reports: list[LintReport]) -> dict:
    return {
        "knowledge_bases": [
            {"path": r.path, "rules": r.rules, "interventions": r.interventions,
             "scenarios": r.scenarios, "errors": r.errors, "warnings": r.warnings,
             "silenced": r.silenced} for r in reports],
        "diagnostics": [
            {"path": d.path, "line": d.line, "column": d.column, "severity": d.severity,
             "code": d.code, "message": d.message, "hint": d.hint, "field_path": d.field_path}
            for r in reports for d in r.diagnostics],
    }
