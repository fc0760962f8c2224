"""`# lint: allow CODE[, CODE…]`: a trainer states that a warning is intended.

The comment silences warnings with those codes when it stands
- at the end of the line a warning points at, or of a line the warning also concerns (for a
  conflict: the other rule's action), or alone on the line just above such a line; or
- on the `rule … {` line of the rule that contains such a line, or alone on the line above it.
Errors are never silenced. A silenced warning is counted in the summary, not printed.
"""

from __future__ import annotations

import re

from dsl import ast
from dsl.errors import Diagnostic

PRAGMA = re.compile(r"#\s*lint:\s*allow\s+([A-Z]\d{3}(?:\s*,\s*[A-Z]\d{3})*)")


def _codes(line: str) -> set[str]:
    match = PRAGMA.search(line)
    return {c.strip() for c in match.group(1).split(",")} if match else set()


def _allowed_at(lines: list[str], line: int) -> set[str]:
    """Codes allowed on line `line` (1-based): its own comment, or a comment line above it."""
    codes = set()
    if 0 < line <= len(lines):
        codes |= _codes(lines[line - 1])
    if 1 < line <= len(lines) + 1 and lines[line - 2].lstrip().startswith("#"):
        codes |= _codes(lines[line - 2])
    return codes


def _rule_start(kb, path: str, line: int) -> int | None:
    """The header line of the rule that contains `path:line`."""
    starts = sorted(r.pos.line for r in kb.rules if r.pos.file == path and r.pos.line <= line)
    return starts[-1] if starts else None


def allowed(kb, position: ast.Pos) -> set[str]:
    lines = kb.sources.get(position.file, "").splitlines()
    codes = _allowed_at(lines, position.line)
    start = _rule_start(kb, position.file, position.line)
    if start is not None:
        codes |= _allowed_at(lines, start)
    return codes


def split_suppressed(kb, diagnostics: list[Diagnostic], related: dict[int, tuple]) \
        -> tuple[list[Diagnostic], list[Diagnostic]]:
    """(kept, silenced) — `related[i]` are further positions of diagnostics[i]."""
    kept, silenced = [], []
    for index, diagnostic in enumerate(diagnostics):
        positions = list(related.get(index, ()))
        if diagnostic.line is not None:
            positions.append(ast.Pos(diagnostic.path, diagnostic.line, diagnostic.column or 1))
        if diagnostic.severity == "warning" and \
                any(diagnostic.code in allowed(kb, p) for p in positions):
            silenced.append(diagnostic)
        else:
            kept.append(diagnostic)
    return kept, silenced
