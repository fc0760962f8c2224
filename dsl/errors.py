"""One error root for everything a user can get wrong, with the fields a person needs to act.

Rule files render as `path:line:column: error: CODE: message`, then the source line, a caret and
a hint; assessments as `path: field.path: message`. Interfaces print `render()` and never a
traceback.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Iterable


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    path: str = ""
    line: int | None = None
    column: int | None = None
    severity: str = "error"  # error | warning
    hint: str | None = None
    source_line: str | None = None
    field_path: str | None = None
    suggestions: tuple[str, ...] = ()  # nearest known ids, for interfaces that list them apart

    def render(self) -> str:
        if self.field_path is not None:
            head = f"{self.path}: {self.field_path}: {self.message}"
        elif self.line is not None:
            head = f"{self.path}:{self.line}:{self.column}: {self.severity}: {self.code}: {self.message}"
        else:
            head = f"{self.path}: {self.severity}: {self.code}: {self.message}"
        lines = [head]
        if self.source_line is not None and self.column is not None:
            lines.append("    " + self.source_line.rstrip("\n"))
            lines.append("    " + " " * (self.column - 1) + "^")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    def sort_key(self) -> tuple:
        return (self.path, self.line or 0, self.column or 0, self.code, self.message)


MAX_SHOWN = 20  # error lines printed at most; then a count of the rest


class GroundworkError(Exception):
    """Bad input: a rule file, a knowledge base or an assessment. Exit code 2."""

    exit_code = 2

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = tuple(sorted(diagnostics, key=Diagnostic.sort_key))
        super().__init__(self.render())

    @property
    def first(self) -> Diagnostic:
        return self.diagnostics[0]

    def shown(self) -> tuple[Diagnostic, ...]:
        """The first MAX_SHOWN diagnostics: a file with a thousand mistakes is fixed from the top."""
        return self.diagnostics[:MAX_SHOWN]

    @property
    def not_shown(self) -> int:
        return max(0, len(self.diagnostics) - MAX_SHOWN)

    def render(self) -> str:
        lines = [d.render() for d in self.shown()]
        if self.not_shown:
            lines.append(f"... and {self.not_shown:,} more errors (the first {MAX_SHOWN} are shown)")
        return "\n".join(lines)


class EngineFailure(Exception):
    """The rule engine failed while assessing. The assessment is aborted. Exit code 3."""

    exit_code = 3


class ToolFailure(Exception):
    """An optional tool (Graphviz) failed while drawing: not bad input, not the engine. Exit 3."""

    exit_code = 3

    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic
        super().__init__(diagnostic.render())


@dataclass
class Collector:
    """Collects diagnostics across passes so that one run reports every problem."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # path -> text, for source lines

    def add(self, code: str, message: str, pos=None, hint: str | None = None,
            severity: str = "error", path: str = "") -> None:
        line, column, source_line = None, None, None
        if pos is not None:
            path, line, column = pos.file, pos.line, pos.column
            text = self.sources.get(path)
            if text is not None:
                lines = text.splitlines()
                if 0 < line <= len(lines):
                    source_line = lines[line - 1]
        self.diagnostics.append(Diagnostic(code, message, path, line, column, severity, hint,
                                           source_line))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise GroundworkError(self.errors)


def did_you_mean(name: str, choices: Iterable[str]) -> str | None:
    """A hint naming the closest known names, or None."""
    close = difflib.get_close_matches(name, sorted(set(choices)), n=3, cutoff=0.6)
    if not close:
        return None
    return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"


def nearest(name: str, choices: Iterable[str], n: int = 3) -> list[str]:
    return difflib.get_close_matches(name, sorted(set(choices)), n=n, cutoff=0.5)


def read_utf8(path, display: str, code: str) -> str:
    """A text file's contents; bytes that are not UTF-8 are an error at their line and column."""
    from pathlib import Path

    return decode_utf8(Path(path).read_bytes(), display, code)


def decode_utf8(data: bytes, display: str, code: str) -> str:
    """`data` as text; bytes that are not UTF-8 are an error at their line and column."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[:error.start]
        line = before.count(b"\n") + 1
        start = before.rfind(b"\n") + 1
        column = len(before[start:].decode("utf-8", "replace")) + 1
        end = data.find(b"\n", error.start)
        source = data[start:end if end >= 0 else len(data)].decode("utf-8", "replace")
        raise GroundworkError([Diagnostic(
            code, f"not UTF-8 text ({error.reason})", display, line, column, source_line=source,
            hint="save the file as UTF-8 (every modern editor can)")]) from None
