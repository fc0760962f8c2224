"""`groundwork lint [DIR…]`: check knowledge bases and report every problem in one run."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from dsl.errors import GroundworkError
from groundwork.cli import app
from groundwork.cli.common import load_kb


@app.command()
def lint(paths: Optional[List[Path]] = typer.Argument(None, help="Knowledge base directories "
                                                      "(default: the bundled one).")) -> None:
    """Check rule files: syntax, names, types, headers, duplicates, stratification, cycles."""
    failed = False
    for path in paths or [None]:
        try:
            kb = load_kb(path)
        except GroundworkError as error:
            typer.echo(error.render(), err=True)
            failed = True
            continue
        for warning in kb.warnings:
            typer.echo(warning.render(), err=True)
        typer.echo(f"{path or 'knowledge_base/core'}: {len(kb.rules)} rules, "
                   f"{len(kb.interventions)} interventions: no errors")
    raise typer.Exit(1 if failed else 0)
