"""Groundwork as a library: the functions `import groundwork` offers (docs/api.md).

Each function composes the same stages the command line does (intake → pipeline → explain), so a
plan made here is byte-identical to `groundwork assess CASE.json --format json --no-audit`. Nothing
is written to the audit store: a program that hands plans to clinicians records them itself
(`groundwork.service.record_plan`), as the CLI and the HTTP API do.

Bad input raises `GroundworkError` with one `Diagnostic` per problem (code, field path or
file:line:column, message, hint), never a traceback from deep inside.
"""

from __future__ import annotations

from dsl.checked import CheckedKnowledgeBase
import os
from pathlib import Path
from typing import Any, Union

import knowledge_base
from engine.intake import parse_assessment, read_assessment_file, validate_assessment
from engine.models import Assessment
from engine.plan import Plan
from explain.catalog import resolve
from explain.context import Context
from explain.models import Why, WhyNot
from explain.why_not import explain_why_not
from groundwork.service import assessed, explanation
from groundwork.trainer.lint import LintReport, lint_path

# What `assess`, `explain` and `why_not` accept as an assessment (see _read).
AssessmentInput = Union[Assessment, dict, str, "os.PathLike[str]"]
KnowledgeBaseInput = Union[CheckedKnowledgeBase, str, "os.PathLike[str]", None]
SHOWN = "<assessment>"  # how messages name an assessment given as a dict, text or model


def load_knowledge_base(path: str | os.PathLike[str] | None = None) -> CheckedKnowledgeBase:
    """Load and check a knowledge base directory (default: the bundled one).

    Loaded once per process and content hash; a knowledge base with errors raises
    GroundworkError listing every one of them."""
    return knowledge_base.load(Path(path) if path is not None else None)


def assess(assessment: AssessmentInput, kb: KnowledgeBaseInput = None, *,
           drafts: bool = False) -> Plan:
    """The phased plan for one client.

    `assessment` is any of: an `Assessment` model; a dict (decoded JSON); a string holding the
    JSON text (its first non-blank character is `{`); a path (a `pathlib.Path`, or a string that
    is not JSON text) to a JSON file. `kb` is a loaded knowledge base, a directory, or None for
    the bundled one. `drafts` also fires draft rules."""
    return _context(assessment, kb, drafts).plan


def explain(assessment: AssessmentInput, intervention: str, kb: KnowledgeBaseInput = None, *,
            drafts: bool = False) -> Why | WhyNot:
    """Why this intervention is recommended (a `Why`), or, when it is not, why not (`WhyNot`).
    `intervention` is a catalog id or name; an unknown one raises GroundworkError naming the
    nearest ids."""
    ctx, intervention_id = _context_for(assessment, intervention, kb, drafts)
    return explanation(ctx, intervention_id)


def why_not(assessment: AssessmentInput, intervention: str, kb: KnowledgeBaseInput = None, *,
            drafts: bool = False) -> WhyNot:
    """What holds this intervention back for the client: an avoiding rule, a gate and the value
    that holds it, a missing condition, or that it is in the plan after all."""
    ctx, intervention_id = _context_for(assessment, intervention, kb, drafts)
    return explain_why_not(ctx, intervention_id)


def lint(path: str | os.PathLike[str] | None = None, *, drafts: bool = False) -> LintReport:
    """Every finding of `groundwork lint` for a knowledge base directory or one rule file
    (default: the bundled knowledge base). `report.errors` and `report.warnings` count them;
    `report.diagnostics` lists them, errors first."""
    return lint_path(Path(path) if path is not None else None, drafts)


# ---- helpers ----

def _kb(kb: KnowledgeBaseInput) -> CheckedKnowledgeBase:
    return kb if isinstance(kb, CheckedKnowledgeBase) else load_knowledge_base(kb)


def _read(assessment: AssessmentInput, kb: CheckedKnowledgeBase) -> tuple[Assessment, dict]:
    if isinstance(assessment, Assessment):
        # The fields as they were given: the input hash then matches the JSON they came from.
        raw: Any = assessment.model_dump(mode="json", exclude_unset=True)
        return validate_assessment(raw, SHOWN, kb), raw
    if isinstance(assessment, dict):
        return validate_assessment(assessment, SHOWN, kb), assessment
    if isinstance(assessment, str) and assessment.lstrip().startswith("{"):
        return parse_assessment(assessment, SHOWN, kb)
    if isinstance(assessment, (str, os.PathLike)):
        return read_assessment_file(Path(assessment), kb)
    raise TypeError(f"an assessment is an Assessment, a dict, JSON text or a path, "
                    f"not a {type(assessment).__name__}")


def _context(assessment: AssessmentInput, kb: KnowledgeBaseInput, drafts: bool) -> Context:
    knowledge = _kb(kb)
    validated, raw = _read(assessment, knowledge)
    return assessed(validated, raw, knowledge, drafts)


def _context_for(assessment: AssessmentInput, intervention: str, kb: KnowledgeBaseInput,
                 drafts: bool) -> tuple[Context, str]:
    knowledge = _kb(kb)
    intervention_id = resolve(knowledge, intervention)  # an unknown id fails before the case runs
    return _context(assessment, knowledge, drafts), intervention_id
