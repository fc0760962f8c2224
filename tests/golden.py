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


# (golden file name for a case, producer); other golden sets add themselves here.
PRODUCERS = [
    (lambda case: f"{case.stem}.plan.txt", plan_text),
]


def expected_files() -> list[tuple[Path, Path, object]]:
    """(golden path, case, producer) for every example and every producer."""
    return [(GOLDEN / name(case), case, produce)
            for case in sorted(EXAMPLES.glob("*.json")) for name, produce in PRODUCERS]


def regenerate() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for path, case, produce in expected_files():
        path.write_text(produce(case), encoding="utf-8")
        print(f"wrote {path.relative_to(GOLDEN.parent.parent)}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--regenerate"]:
        sys.exit("usage: python -m tests.golden --regenerate")
    regenerate()
