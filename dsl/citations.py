"""Citations in `source` lines: one home for how a source line is read.

A source line lists one or more works separated by "; ". Each work is written author–date style:
authors, the year in brackets, then the title and the venue, e.g.
`Bath, H. (2008). The three pillars of trauma-informed care. Reclaiming Children and Youth, 17(3),
17-21`. A trade book or a practitioner page says so at the end: `(trade book, secondary)`.
`groundwork lint` warns (W370) about a work without a year or without authors, and
docs/sources.md is generated from the parsed works (groundwork/trainer/sources_doc.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SEPARATOR = "; "
YEAR = re.compile(r"\((\d{4})[a-z]?\)")
# Authors are names only: capitalised words and initials joined by ",", "&" or "et al."; a
# journal or a web site before the year ("Frontiers in …", "thinkkids.org") is not an author.
# A surname may carry a lower-case particle ("van der Kolk", "de Vries").
NAME_WORD = re.compile(r"^(?:[A-Z][A-Za-z'\u2019.-]*|&|et|al\.|van|der|den|de|von|da|di|du|le|la|ter)$")
SECONDARY = re.compile(r"\((?:[^()]*, )?secondary\)$")


@dataclass(frozen=True)
class Citation:
    """One cited work as written in a source line."""

    text: str
    authors: str | None
    year: int | None

    @property
    def secondary(self) -> bool:
        return bool(SECONDARY.search(self.text))

    @property
    def problem(self) -> str | None:
        """What an author–date citation lacks, in words, or None."""
        missing = [name for name, value in (("authors", self.authors), ("a year", self.year))
                   if value is None]
        return " and ".join(missing) or None


def parse_source(text: str) -> tuple[Citation, ...]:
    return tuple(parse_citation(part) for part in text.split(SEPARATOR) if part.strip())


def parse_citation(text: str) -> Citation:
    text = text.strip()
    year = YEAR.search(text)
    before = text[:year.start()].strip() if year else text
    words = [w for w in re.split(r"[\s,]+", before) if w]
    authors = before if words and all(NAME_WORD.match(w) for w in words) else None
    return Citation(text, authors, int(year.group(1)) if year else None)
