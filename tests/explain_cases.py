"""Assessed clients for the explanation tests: the examples (bundled knowledge base) and the
explanation fixtures (tests/fixtures/explain: a small knowledge base reaching every path)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from tests.helpers import EXAMPLES, ROOT

FIXTURE_KB = "tests/fixtures/explain/kb"
FIXTURE_CASES = ROOT / "tests" / "fixtures" / "explain" / "cases"


def all_cases() -> list[tuple[str, str | None]]:
    """(case path relative to the repository, knowledge base dir or None for the bundled one)."""
    examples = [(p.relative_to(ROOT).as_posix(), None) for p in sorted(EXAMPLES.glob("*.json"))]
    fixtures = [(p.relative_to(ROOT).as_posix(), FIXTURE_KB) for p in sorted(FIXTURE_CASES.glob("*.json"))]
    return examples + fixtures


def case_id(case: tuple[str, str | None]) -> str:
    return Path(case[0]).stem


@lru_cache(maxsize=None)
def context(case: str, kb_dir: str | None):
    """The assessed client (paths are relative to the repository root)."""
    import knowledge_base
    from engine.intake import read_assessment_file
    from engine.pipeline import assess
    from explain.context import Context

    kb = knowledge_base.load(ROOT / kb_dir if kb_dir else None)
    assessment, raw = read_assessment_file(ROOT / case, kb)
    return Context(kb, assess(assessment, raw, kb))


def raw_input(case: str) -> dict:
    return json.loads((ROOT / case).read_text(encoding="utf-8"))


def answers(ctx):
    """(intervention, answer) for every catalog intervention: a Why when active, else a WhyNot."""
    from explain.why import explain_why
    from explain.why_not import explain_why_not

    for iv in sorted(ctx.kb.interventions):
        yield iv, explain_why(ctx, iv) or explain_why_not(ctx, iv)
