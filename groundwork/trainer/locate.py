"""Finding the knowledge base that a file or directory given on the command line belongs to."""

from __future__ import annotations

from pathlib import Path

import knowledge_base
from dsl.errors import Diagnostic, GroundworkError
from dsl.kb import INSTRUMENT_FILE
from dsl.checked import CheckedKnowledgeBase

BUNDLED_DISPLAY = "knowledge_base/core"


def kb_root_of(path: Path) -> Path | None:
    """The directory itself, or its nearest ancestor, that holds an instrument.toml; written as
    the user wrote the path where possible."""
    start = path if path.is_dir() else path.parent
    for candidate in [start, *start.parents, *start.resolve().parents]:
        if (candidate / INSTRUMENT_FILE).is_file():
            return candidate
    return None


def resolve_kb(kb: Path | None, paths: list[Path]) -> Path | None:
    """The knowledge base: --kb, else the one the first path lies in; None: the bundled one."""
    if kb is not None:
        return kb
    for path in paths:
        root = kb_root_of(path)
        if root is not None:
            return root
    return None


def display(root: Path | None) -> str:
    return BUNDLED_DISPLAY if root is None else str(root)


def load(root: Path | None) -> CheckedKnowledgeBase:
    return knowledge_base.load(root)


def require_paths(paths: list[Path]) -> None:
    """Bad input: a path that does not exist (exit 2)."""
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise GroundworkError([Diagnostic("E500", "no such file or directory", str(p))
                               for p in missing])
