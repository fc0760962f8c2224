"""docs/sources.md, generated from a knowledge base: every cited work and who cites it.

Regenerate after changing a `source` line: `python -m groundwork.trainer.sources_doc --regenerate`
(tests/test_sources_doc.py fails while the committed file differs from what this prints).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from dsl import ast
from dsl.citations import YEAR, Citation, parse_source
from dsl.kb import KnowledgeBase

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "sources.md"

HEADER = """\
# Sources

Generated from the `source` lines of the knowledge base `{name}` {version} by
`python -m groundwork.trainer.sources_doc --regenerate`; do not edit by hand. Every rule and
intervention cites the public works that support it, author–date style (authors, year, title,
venue), works separated by "; " (`dsl/citations.py`); `groundwork lint` warns (W370) about a work
without authors or a year. **Primary** marks peer-reviewed articles and chapters or books by the
model's authors; **secondary** marks trade books and practitioner pages. Internal practice
standards are not sources.

Two works need care in what they are cited for: Perry & Dobson (2013) describes the model as a
whole (assessment, bottom-up sequencing, matching activity to developmental stage), and
Hambrick, Brawner & Perry (2019, *Frontiers in Behavioral Neuroscience*) reports associations
between very early relational poverty and later sensory-integration and self-regulation
functioning; it is not evidence for any particular activity.
"""


def cited_works(kb: KnowledgeBase) -> dict[str, tuple[Citation, list[str], list[str]]]:
    """Each distinct work → (citation, rule ids, intervention ids), in file order."""
    works: dict[str, tuple[Citation, list[str], list[str]]] = {}
    for file in kb.files:
        for item in file.items:
            if isinstance(item, ast.Rule) and item.status != "retired":
                owners = 1
            elif isinstance(item, ast.Intervention):
                owners = 2
            else:
                continue
            for citation in parse_source(item.source or ""):
                _, rules, interventions = works.setdefault(citation.text, (citation, [], []))
                (rules if owners == 1 else interventions).append(item.id)
    return works


def _sort_key(citation: Citation) -> tuple:
    first = SURNAME.findall(citation.authors or "")[:1] or [citation.authors or "~"]
    return (first[0], citation.year or 0, citation.text)


def sources_markdown(kb: KnowledgeBase) -> str:
    works = cited_works(kb)
    lines = [HEADER.format(name=kb.name, version=kb.version)]
    lines.append(f"{len(works)} works, cited by {sum(1 for r in kb.rules if r.status != 'retired')} "
                 f"rules and {len(kb.interventions)} interventions.\n")
    for citation, rules, interventions in sorted(works.values(), key=lambda w: _sort_key(w[0])):
        quality = "secondary" if citation.secondary else "primary"
        lines.append(f"## {_short(citation)}{_title(citation)}\n")
        lines.append(f"{citation.text}.\n" if not citation.text.endswith(".") else f"{citation.text}\n")
        lines.append(f"- Quality: {quality}")
        if citation.problem:
            lines.append(f"- **Incomplete citation**: no {citation.problem} (lint W370)")
        lines.append(f"- Rules ({len(rules)}): " + (", ".join(f"`{r}`" for r in rules) or "none"))
        lines.append(f"- Interventions ({len(interventions)}): "
                     + (", ".join(f"`{i}`" for i in interventions) or "none"))
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# A surname, with any lower-case particle ("van der Kolk"), before the initials.
SURNAME = re.compile(r"(?:^|, (?:& )?)((?:(?:van|der|den|de|von|da|di|du|le|la|ter) )*"
                     r"[A-Z][A-Za-z'\u2019-]+(?: [A-Z][A-Za-z'\u2019-]+)*), (?:[A-Z]\.[ -]?)+")


def _short(citation: Citation) -> str:
    """'Perry & Dobson (2013)' style heading: one or two surnames, else the first and 'et al.'."""
    if not citation.authors or not citation.year:
        return citation.text[:60]
    surnames = SURNAME.findall(citation.authors)
    if len(surnames) > 2 or citation.authors.endswith("et al."):
        return f"{surnames[0]} et al. ({citation.year})"
    return f"{' & '.join(surnames)} ({citation.year})"


def _title(citation: Citation) -> str:
    """': Title' of an author–date citation (the sentence after the year), or ''."""
    year = YEAR.search(citation.text)
    if not year or not citation.text[year.end():].startswith(". "):
        return ""
    return ": " + citation.text[year.end() + 2:].split(". ")[0]


def main(argv: list[str]) -> int:
    import knowledge_base

    text = sources_markdown(knowledge_base.load())
    if argv == ["--regenerate"]:
        DOC.write_text(text, encoding="utf-8")
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
