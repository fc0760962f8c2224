"""Options and helpers shared by the commands."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Optional

import typer

import knowledge_base
from dsl.kb import KnowledgeBase

KbOption = typer.Option(None, "--kb", help="Knowledge base directory (default: the bundled one).",
                        metavar="DIR")


def load_kb(path: Optional[Path]) -> KnowledgeBase:
    """The knowledge base to make plans with: one with lint errors is refused (exit 2)."""
    return knowledge_base.load_for_plans(path)


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
