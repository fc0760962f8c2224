"""Sources: every cited work has authors and a year, docs/sources.md is what the knowledge base
cites (regenerate: `python -m groundwork.trainer.sources_doc --regenerate`), and lint warns (W370)
about a work a reviewer could not look up."""

from __future__ import annotations

import pytest

import knowledge_base
from dsl import ast
from dsl.citations import parse_citation, parse_source
from groundwork.trainer.sources_doc import DOC, cited_works, sources_markdown


def test_docs_sources_md_is_generated_from_the_bundled_knowledge_base():
    assert DOC.read_text(encoding="utf-8") == sources_markdown(knowledge_base.load()), \
        "run: python -m groundwork.trainer.sources_doc --regenerate"


def _sourced():
    kb = knowledge_base.load()
    for file in kb.files:
        for item in file.items:
            if isinstance(item, (ast.Rule, ast.Intervention)):
                yield item


@pytest.mark.parametrize("item", list(_sourced()), ids=lambda i: i.id)
def test_every_rule_and_intervention_cites_works_with_authors_and_a_year(item):
    citations = parse_source(item.source or "")
    assert citations
    for citation in citations:
        assert citation.problem is None, f"{item.id}: {citation.text}"


def test_no_unverifiable_or_internal_source_is_cited():
    works = " ".join(cited_works(knowledge_base.load()))
    assert "Seita" not in works  # "Bath & Seita (2018)" could not be verified
    assert "practice standard" not in works.lower()
    assert "thinkkids" not in works
    assert "Perry (1995)" not in works  # the 1995 paper has five authors: cite them all
    assert "Perry, B. D., Pollard, R. A., Blakley, T. L., Baker, W. L., & Vigilante, D. (1995)" in works


def test_the_frontiers_paper_is_cited_only_for_what_it_reports():
    """It reports associations between very early relational poverty and later sensory and
    self-regulation functioning: rules about early history may cite it, activities may not."""
    works = cited_works(knowledge_base.load())
    (citation, rules, interventions), = [w for t, w in works.items() if "Frontiers in Behavioral Neuroscience" in t]
    assert citation.authors.startswith("Hambrick, E. P., Brawner, T. W., & Perry, B. D.")
    assert interventions == []
    assert all(rule.startswith("history-early-") for rule in rules)


def test_trade_books_are_marked_secondary():
    works = cited_works(knowledge_base.load())
    assert [c.secondary for t, (c, _, _) in works.items() if "What Happened to You?" in t] == [True]


@pytest.mark.parametrize("text, problem", [
    ("Perry, B. D. (2009). Examining child maltreatment. Journal of Loss and Trauma, 14(4)", None),
    ("Hambrick, E. P., et al. (2018). Restraint reduction. Residential Treatment", None),
    ("Perry & Dobson (2013)", None),
    ("Frontiers in Behavioral Neuroscience 13:183 (2019)", "authors"),
    ("thinkkids.org, Regulate, Relate, Reason", "authors and a year"),
    ("Team practice standard on weighted products", "authors and a year"),
    ("Example", "a year"),
])
def test_a_citation_needs_authors_and_a_year(text, problem):
    assert parse_citation(text).problem == problem


def test_works_are_separated_by_semicolons():
    first, second = parse_source("Bath, H. (2008). Three pillars. RCY; Perry (2009). Lens. JLT")
    assert (first.authors, first.year, second.authors, second.year) == ("Bath, H.", 2008, "Perry", 2009)


def test_lint_warns_about_a_source_without_a_year(tmp_path, monkeypatch):
    import shutil
    from pathlib import Path

    from groundwork.trainer.lint import lint_path

    root = tmp_path / "kb"
    shutil.copytree(Path(knowledge_base.BUNDLED), root)
    rule_file = root / "10-regulate.gw"
    text = rule_file.read_text(encoding="utf-8")
    rule_file.write_text(text.replace(
        'source "Perry, B. D., & Dobson, C. L. (2013)', 'source "Our team standard; Perry, B. D., & Dobson, C. L. (2013)', 1),
        encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    found = [d for d in lint_path(Path("kb")).diagnostics if d.code == "W370"]
    assert len(found) == 1
    assert found[0].severity == "warning"
    assert "cites \"Our team standard\" without authors and a year" in found[0].message
