"""Golden files: small, reviewed expected outputs for the example clients.

Regenerate after a reviewed change with `make golden` (python -m tests.golden --regenerate), then
read the diff before committing it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.helpers import EXAMPLES

GOLDEN = Path(__file__).parent / "golden"


def plan_text(case: Path) -> str:
    import knowledge_base
    from engine.intake import read_assessment_file
    from engine.pipeline import assess
    from explain.text import render_plan

    kb = knowledge_base.load()
    assessment, raw = read_assessment_file(f"examples/{case.name}", kb)
    return render_plan(assess(assessment, raw, kb).plan)


EXPLAIN_FIXTURE_KB = "tests/fixtures/explain/kb"
EXPLAIN_FIXTURE_CASES = Path(__file__).parent / "fixtures" / "explain" / "cases"


def explanation_text(case: Path, kb_dir: str | None = None, every: bool = False) -> str:
    """`groundwork explain` of every recommendation and `groundwork why-not` of every deferred,
    avoided or not-suitable intervention (`every`: of every other catalog intervention too)."""
    import knowledge_base
    from engine.intake import read_assessment_file
    from engine.pipeline import assess
    from explain.context import Context
    from explain.plain import render_why, render_why_not
    from explain.why import explain_why
    from explain.why_not import explain_why_not

    kb = knowledge_base.load(kb_dir)
    shown = case.relative_to(GOLDEN.parent.parent).as_posix()
    assessment, raw = read_assessment_file(shown, kb)
    ctx = Context(kb, assess(assessment, raw, kb))
    plan, option = ctx.plan, f" --kb {kb_dir}" if kb_dir else ""
    active = [r.intervention for phase in plan.phases for r in phase.recommendations]
    held = [e.intervention for e in plan.deferred + plan.avoided + plan.not_suitable]
    others = sorted(set(kb.interventions) - set(active) - set(held)) if every else []
    blocks = [f"$ groundwork explain {shown} {iv}{option}\n" + render_why(explain_why(ctx, iv))
              for iv in active]
    blocks += [f"$ groundwork why-not {shown} {iv}{option}\n"
               + render_why_not(explain_why_not(ctx, iv)) for iv in held + others]
    return "\n".join(blocks)


# (golden file name for a case, producer); other golden sets add themselves here.
PRODUCERS = [
    (lambda case: f"{case.stem}.plan.txt", plan_text),
    (lambda case: f"{case.stem}.explain.txt", explanation_text),
]


def expected_files() -> list[tuple[Path, Path, object]]:
    """(golden path, case, producer) for every example and every producer, and the explanation
    fixtures (a small knowledge base that reaches every path of why and why-not)."""
    examples = [(GOLDEN / name(case), case, produce)
                for case in sorted(EXAMPLES.glob("*.json")) for name, produce in PRODUCERS]
    fixtures = [(GOLDEN / "explain-fixture" / f"{case.stem}.explain.txt", case,
                 lambda c: explanation_text(c, EXPLAIN_FIXTURE_KB, every=True))
                for case in sorted(EXPLAIN_FIXTURE_CASES.glob("*.json"))]
    return examples + fixtures


def regenerate() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for path, case, produce in expected_files():
        path.parent.mkdir(exist_ok=True)
        path.write_text(produce(case), encoding="utf-8")
        print(f"wrote {path.relative_to(GOLDEN.parent.parent)}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--regenerate"]:
        sys.exit("usage: python -m tests.golden --regenerate")
    regenerate()
