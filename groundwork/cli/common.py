"""Options and helpers shared by the commands."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Optional

import typer

import knowledge_base
from dsl.checked import CheckedKnowledgeBase

STDIN = "-"  # in place of a case file: read the assessment from standard input
CaseArgument = typer.Argument(..., help="Assessment JSON file (or a FHIR QuestionnaireResponse, "
                                        "or a Bundle holding one and its Patient), or - to read "
                                        "it from standard input.", metavar="CASE.json")

KbOption = typer.Option(None, "--kb", help="Knowledge base directory (default: the bundled one).",
                        metavar="DIR")
DbOption = typer.Option(None, "--db", metavar="PATH", help="Audit store file (default: "
                        "$GROUNDWORK_DB, else $XDG_DATA_HOME/groundwork/audit.sqlite).")


def load_kb(path: Optional[Path]) -> CheckedKnowledgeBase:
    """The knowledge base to make plans with: one with lint errors is refused (exit 2)."""
    return knowledge_base.load_for_plans(path)


def read_case(case: Path, kb: CheckedKnowledgeBase):
    """The validated assessment and its raw JSON, from a file or (for `-`) standard input;
    Groundwork's JSON or FHIR (a QuestionnaireResponse or Bundle, told by its resourceType)."""
    from groundwork.fhir.intake import read_case_file, read_case_text

    if str(case) != STDIN:
        return read_case_file(case, kb)
    from engine import strict_json
    text = strict_json.read_stream(sys.stdin.buffer, "<stdin>")
    return read_case_text(text, "<stdin>", kb)


def write_output(text: str, out: Optional[Path]) -> None:
    """Print, or write the file atomically: a reader never sees half a file."""
    if out is None:
        sys.stdout.write(text)
        return
    out = Path(out)
    directory = out.parent if str(out.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
