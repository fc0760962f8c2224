"""`groundwork test [PATHS…] [-k NAME] [--coverage] [--format text|json] [--junit FILE]`: run rule
scenarios against a knowledge base; JSON and JUnit XML are for CI (groundwork/trainer/ci_report.py)."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from dsl.errors import Diagnostic, GroundworkError
from groundwork.cli import app
from groundwork.cli.common import KbOption, write_output
from groundwork.trainer.ci_report import junit_xml, test_json
from groundwork.trainer import locate
from groundwork.trainer.runner import coverage, render, run_scenario, select
from groundwork.trainer.scenarios import display_path, load_scenarios, scenario_files

NO_SCENARIO = "E504"  # dsl/codes.py: nothing to run is an error, not a pass


class TestFormat(str, Enum):
    text = "text"
    json = "json"


@app.command("test")
def test_command(
    paths: Optional[List[Path]] = typer.Argument(
        None, help="Scenario files, or directories to search for *.scenario.toml (default: the "
                   "knowledge base's directory)."),
    keyword: Optional[str] = typer.Option(None, "-k", help="Run only scenarios whose name "
                                          "contains this text.", metavar="NAME"),
    show_coverage: bool = typer.Option(False, "--coverage", help="Report which rules no "
                                       "scenario fires."),
    kb: Optional[Path] = KbOption,
    drafts: bool = typer.Option(True, "--drafts/--no-drafts", help="Fire draft rules too "
                                "(default: yes; a rule test includes drafts)."),
    format: TestFormat = typer.Option(TestFormat.text, "--format", "-f",
                                      help="Output format on stdout."),
    junit: Optional[Path] = typer.Option(None, "--junit", metavar="FILE",
                                         help="Also write a JUnit XML report to FILE (for CI)."),
) -> None:
    """Run rule scenarios: each failure shows expected vs actual and why; ends 'N passed, M failed'."""
    paths = list(paths or [])
    locate.require_paths(paths + ([kb] if kb else []))
    if junit is not None and not (junit.parent if str(junit.parent) else Path(".")).is_dir():
        raise GroundworkError([Diagnostic("E206", "the directory for the JUnit report does not "
                                          "exist", str(junit), field_path="(file)")])
    root = locate.resolve_kb(kb, paths)
    knowledge = locate.load(root)
    kb_dir = Path(knowledge.root)
    files = scenario_files(paths or [kb_dir])
    pairs = [(f, display_path(f, kb_dir, locate.display(root))) for f in files]
    scenarios, diagnostics = load_scenarios(pairs, knowledge)
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        raise GroundworkError(errors)
    for warning in diagnostics:
        typer.echo(warning.render(), err=True)
    chosen = select(scenarios, keyword)
    if not chosen:
        where = ", ".join(str(p) for p in paths) or locate.display(root)
        what = f"matches -k '{keyword}'" if scenarios else f"(*.scenario.toml) found in {where}"
        typer.echo(f"error: {NO_SCENARIO}: no scenario {what}", err=True)
        raise typer.Exit(2)
    results = [run_scenario(s, knowledge, drafts) for s in chosen]
    cover = coverage(results, knowledge, drafts) if show_coverage else None
    if junit is not None:
        write_output(junit_xml(results, knowledge), junit)
    if format is TestFormat.json:
        sys.stdout.write(test_json(results, cover, knowledge))
    else:
        sys.stdout.write(render(results, cover, knowledge))
    raise typer.Exit(0 if all(r.passed for r in results) else 1)
