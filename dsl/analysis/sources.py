"""Sources a reader can find: every cited work names its authors and its year.

W370  a work in a rule's or an intervention's `source` line has no authors or no year (for
      example a bare web site, a journal name alone, or an internal practice standard). Cite
      authors, year, title and venue of a public work that supports the rule (dsl/citations.py).
"""

from __future__ import annotations

from dsl import ast
from dsl.analysis.context import Analysis
from dsl.citations import parse_source

HINT = ("cite authors, year, title and venue, e.g. \"Bath, H. (2008). The three pillars of "
        "trauma-informed care. Reclaiming Children and Youth, 17(3), 17-21\"; separate works "
        "with '; '")


def check_sources(kb, out: Analysis) -> None:
    for rule in out.rules:
        _check(f"rule '{rule.id}'", rule.source, rule.position_of("source"), out)
    for iv in (i for f in kb.files for i in f.items if isinstance(i, ast.Intervention)):
        _check(f"intervention '{iv.id}'", iv.source, iv.pos, out)


def _check(owner: str, source: str | None, pos: ast.Pos, out: Analysis) -> None:
    for citation in parse_source(source or ""):
        if citation.problem:
            shown = citation.text if len(citation.text) <= 60 else citation.text[:57] + "..."
            out.add("W370", f"the source of {owner} cites \"{shown}\" without "
                    f"{citation.problem}", pos, hint=HINT)
