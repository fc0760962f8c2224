"""Groundwork: explainable, bottom-up intervention plans from a developmental assessment.

As a library (docs/api.md):

    import groundwork
    plan = groundwork.assess("examples/adult.json")
    print(plan.phases[0].name)

`load_knowledge_base`, `assess`, `explain`, `why_not` and `lint` are the functions; the pydantic
models (`Assessment`, `Plan`, `Why`, `WhyNot`) and `GroundworkError` come with them. They are
imported on first use, so `import groundwork` (and the command line's start-up) stays light. The
package also holds the interfaces: the command line, the HTTP API and the web page.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from engine import __version__  # the one version source (pyproject.toml reads it too)

if TYPE_CHECKING:  # what the lazy names below resolve to, for type checkers and editors
    from dsl.errors import Diagnostic, GroundworkError
    from dsl.checked import CheckedKnowledgeBase
    from dsl.kb import KnowledgeBase
    from engine.models import Assessment
    from engine.plan import Plan
    from explain.models import Why, WhyNot
    from groundwork.api import assess, explain, lint, load_knowledge_base, why_not
    from groundwork.trainer.lint import LintReport

_LAZY = {
    "load_knowledge_base": "groundwork.api", "assess": "groundwork.api",
    "explain": "groundwork.api", "why_not": "groundwork.api", "lint": "groundwork.api",
    "Assessment": "engine.models", "Plan": "engine.plan", "Why": "explain.models",
    "WhyNot": "explain.models", "KnowledgeBase": "dsl.kb",
    "CheckedKnowledgeBase": "dsl.checked", "LintReport": "groundwork.trainer.lint",
    "GroundworkError": "dsl.errors", "Diagnostic": "dsl.errors",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'groundwork' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
