"""`groundwork fmt [--check|--diff] PATHS…`: lay rule files out in the one canonical layout.

Every file is formatted in memory first; if any has a syntax error, the errors are printed and
nothing is written (exit 2). Without options the files that change are rewritten (atomically)
and named on stderr. `--check` writes nothing and exits 1 when a file would change (for CI and
`make test`); `--diff` writes nothing and prints a unified diff of what would change.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path
from typing import List

import typer

from dsl.errors import Diagnostic, GroundworkError
from dsl.format import format_text
from dsl.kb import RULE_SUFFIX
from groundwork.cli import app
from groundwork.cli.common import write_output
from groundwork.trainer import locate


def _files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob(f"*{RULE_SUFFIX}") if p.is_file())
        else:
            found.append(path)
    return list(dict.fromkeys(found))


@app.command()
def fmt(
    paths: List[Path] = typer.Argument(..., help="Rule files, or directories of them.",
                                       metavar="PATHS…"),
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 1 if a file would "
                               "change."),
    diff: bool = typer.Option(False, "--diff", help="Write nothing; print what would change."),
) -> None:
    """Lay out rule files in the canonical layout (comments kept, meaning unchanged)."""
    locate.require_paths(paths)
    files = _files(paths)
    changed: list[tuple[Path, str, str]] = []
    errors: list[Diagnostic] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            errors.append(Diagnostic("E001", f"not UTF-8 text ({error.reason})", str(path)))
            continue
        try:
            formatted = format_text(text, str(path))
        except GroundworkError as error:
            errors += error.diagnostics
            continue
        if formatted != text:
            changed.append((path, text, formatted))
    if errors:
        raise GroundworkError(errors)
    for path, text, formatted in changed:
        if diff:
            sys.stdout.writelines(difflib.unified_diff(
                text.splitlines(keepends=True), formatted.splitlines(keepends=True),
                fromfile=str(path), tofile=str(path)))
        elif check:
            typer.echo(f"would reformat {path}", err=True)
        else:
            write_output(formatted, path)
            typer.echo(f"reformatted {path}", err=True)
    unchanged = len(files) - len(changed)
    if not changed:
        typer.echo(f"{unchanged} file{'s' if unchanged != 1 else ''} already formatted", err=True)
    raise typer.Exit(1 if check and changed else 0)
