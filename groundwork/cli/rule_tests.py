"""`groundwork test [PATHS…] [-k NAME] [--coverage]`: run rule scenarios against a knowledge base."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from dsl.errors import GroundworkError
from groundwork.cli import app
from groundwork.cli.common import KbOption
from groundwork.trainer import locate
from groundwork.trainer.runner import coverage, render, run_scenario, select
from groundwork.trainer.scenarios import display_path, load_scenarios, scenario_files


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
) -> None:
    """Run rule scenarios: each failure shows expected vs actual and why; ends 'N passed, M failed'."""
    paths = list(paths or [])
    locate.require_paths(paths + ([kb] if kb else []))
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
        typer.echo(f"error: E504: no scenario {what}", err=True)
        raise typer.Exit(2)
    results = [run_scenario(s, knowledge, drafts) for s in chosen]
    sys.stdout.write(render(results, coverage(results, knowledge, drafts) if show_coverage
                            else None, knowledge))
    raise typer.Exit(0 if all(r.passed for r in results) else 1)
