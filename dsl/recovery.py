"""Parsing that recovers after a syntax error, so that one run reports every problem in a file.

A rule file is a sequence of top-level blocks (declarations, interventions, rules), each starting
at the beginning of a line with its keyword. When the whole file does not parse, the first error
is reported exactly as the plain parser reports it; the block it lies in is set aside, and the
rest of the file is parsed again from the next block on, and so on to the end. The blocks set
aside are remembered by kind and name, so that later checks do not also report every use of a
rule or intervention whose block could not be read ("unknown intervention …" after a typo in it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from lark.exceptions import UnexpectedInput

from dsl import ast
from dsl.errors import Diagnostic, GroundworkError
from dsl.parser import _parser, _syntax_diagnostic, numbers_out_of_range, parse_text, transform

# The keywords that open a top-level block (grammar.lark's `_item`), at the start of a line.
TOP_LEVEL = ("knowledge_base", "region", "domain", "bands", "compromised", "arousal", "fact",
             "review", "intervention", "rule")
_BLOCK_START = re.compile(r"^(%s)\b(?:\s+([A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*))?"
                          % "|".join(TOP_LEVEL))


@dataclass(frozen=True)
class Unreadable:
    """A block set aside after a syntax error: its keyword, its name (if it has one), where."""

    kind: str
    name: str | None
    line: int


@dataclass(frozen=True)
class Recovered:
    source: ast.SourceFile
    diagnostics: tuple[Diagnostic, ...]
    unreadable: tuple[Unreadable, ...]


def block_starts(text: str) -> list[int]:
    """Line numbers (1-based) where a top-level block starts: a keyword in column 1."""
    return [number for number, line in enumerate(text.splitlines(), start=1)
            if _BLOCK_START.match(line)]


@lru_cache(maxsize=256)
def parse_recovering(text: str, path: str) -> Recovered:
    """Every declaration that parses, and one E001 per unreadable block. Remembered (the result
    is immutable): the language server re-reads the whole knowledge base after each edit, and
    only the file being edited needs parsing again."""
    try:
        return Recovered(parse_text(text, path), (), ())
    except GroundworkError as first_failure:
        if any(d.code != "E001" for d in first_failure.diagnostics):
            raise
    lines = text.splitlines(keepends=True)
    starts = block_starts(text)
    if not starts or starts[0] != 1:
        starts.insert(0, 1)  # whatever comes before the first block (comments, or stray text)
    items: list = []
    diagnostics: list[Diagnostic] = []
    unreadable: list[Unreadable] = []
    first = 0  # index into `starts` of the block where the segment being parsed begins
    while first < len(starts):
        error = _try(lines, starts[first], None, path, items, diagnostics)
        if error is None:
            break
        diagnostics.append(_syntax_diagnostic(error, _padded(lines, starts[first], None), path))
        bad = _failing_block(starts, first, error)
        if bad > first:
            _try(lines, starts[first], starts[bad], path, items, diagnostics)  # the blocks before it parse
        unreadable.append(_describe(lines, starts[bad]))
        first = bad + 1
    items.sort(key=lambda item: (item.pos.line, item.pos.column))
    return Recovered(ast.SourceFile(path=path, items=tuple(items)), tuple(diagnostics),
                     tuple(unreadable))


def _padded(lines: list[str], start: int, end: int | None) -> str:
    """Lines start..end-1, preceded by empty lines so that every position stays the file's own."""
    body = lines[start - 1:(end - 1) if end is not None else None]
    return "\n" * (start - 1) + "".join(body)


def _try(lines, start, end, path, items, diagnostics) -> UnexpectedInput | None:
    text = _padded(lines, start, end)
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as error:
        return error
    out_of_range = list(numbers_out_of_range(tree, text, path))
    if out_of_range:  # E190: these declarations are not built until their numbers are fixed
        diagnostics.extend(out_of_range)
        return None
    items.extend(transform(tree, path))
    return None


def _failing_block(starts: list[int], first: int, error: UnexpectedInput) -> int:
    """The index of the block that holds the error. An error on the very keyword that opens a
    block means the block before it was left open: that one is set aside, this one is kept."""
    line = getattr(error, "line", None)
    if line is None or line < 1:
        return len(starts) - 1
    index = max(i for i in range(first, len(starts)) if starts[i] <= line) \
        if starts[first] <= line else first
    if index > first and starts[index] == line and getattr(error, "column", 0) == 1:
        return index - 1
    return index


def _describe(lines: list[str], start: int) -> Unreadable:
    match = _BLOCK_START.match(lines[start - 1]) if start - 1 < len(lines) else None
    if match is None:
        return Unreadable("", None, start)
    return Unreadable(match.group(1), match.group(2), start)
