"""The part of a knowledge base with errors that can still be analysed.

`groundwork lint` reports every problem in one run: when some rules or interventions have errors,
the static analyses (contradictions, conflicts, redundant rules) still run over the rules and
interventions without any, so that a contradiction is not hidden behind a typo elsewhere. An error
outside rules and interventions (the model, the instrument, a file that cannot be read) leaves
nothing reliable to analyse, and the analyses wait for it to be fixed.
"""

from __future__ import annotations

import bisect
from dataclasses import replace
from typing import TYPE_CHECKING

from dsl import ast
from dsl.errors import Collector, Diagnostic, GroundworkError
from dsl.kb import KnowledgeBase

if TYPE_CHECKING:
    from dsl.checked import CheckedKnowledgeBase
from dsl.recovery import block_starts

# Findings about the knowledge base as a whole: a rule left out could change them.
WHOLE_KB_CODES = frozenset({"W341", "W343", "W350", "W360"})
_MAX_ROUNDS = 5


def analysable_part(draft: KnowledgeBase | None, diagnostics) -> CheckedKnowledgeBase | None:
    """The checked knowledge base of the rules and interventions without errors, or None."""
    if draft is None or draft.instrument is None:
        return None
    errors = [d for d in diagnostics if d.severity == "error"]
    kb = draft
    for _ in range(_MAX_ROUNDS):
        bad = _bad_blocks(kb, errors)
        if bad is None:
            return None
        kb = _without(kb, bad)
        if not kb.rules:
            return None
        collector = Collector(sources=dict(kb.sources))
        try:
            from dsl.check import check
            return check(kb, collector)
        except GroundworkError as error:
            errors = list(error.diagnostics)
        except Exception:  # noqa: BLE001 - what is left is not well formed enough to analyse
            return None
    return None


def _bad_blocks(kb: KnowledgeBase, errors: list[Diagnostic]) -> set[tuple[str, int]] | None:
    """(file, block start line) of every block with an error; None if one is not a rule's or an
    intervention's."""
    starts = {path: block_starts(text) for path, text in kb.sources.items()}
    kinds = {}
    for source in kb.files:
        for item in source.items:
            kinds[_block_of(starts, item.pos.file, item.pos.line)] = type(item)
    bad = set()
    for diagnostic in errors:
        if diagnostic.line is None or diagnostic.path not in starts:
            return None
        block = _block_of(starts, diagnostic.path, diagnostic.line)
        if block in kinds and kinds[block] not in (ast.Rule, ast.Intervention):
            return None
        bad.add(block)
    return bad


def _block_of(starts: dict[str, list[int]], path: str, line: int) -> tuple[str, int]:
    lines = starts.get(path) or [1]
    index = bisect.bisect_right(lines, line) - 1
    return path, lines[index] if index >= 0 else 1


def _without(kb: KnowledgeBase, bad: set[tuple[str, int]]) -> KnowledgeBase:
    starts = {path: block_starts(text) for path, text in kb.sources.items()}

    def keep(item) -> bool:
        return _block_of(starts, item.pos.file, item.pos.line) not in bad

    files = tuple(ast.SourceFile(f.path, tuple(i for i in f.items if keep(i))) for f in kb.files)
    return replace(kb, files=files, rules=tuple(r for r in kb.rules if keep(r)),
                   interventions={k: v for k, v in kb.interventions.items() if keep(v)})
