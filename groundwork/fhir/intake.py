"""Reading a case that may be Groundwork's JSON or FHIR (detected by `resourceType`)."""

from __future__ import annotations

from pathlib import Path

from dsl.checked import CheckedKnowledgeBase as KnowledgeBase
from dsl.errors import GroundworkError
from engine import strict_json
from engine.intake import parse_assessment, read_assessment_file
from engine.models import Assessment


def read_case_file(path: str | Path, kb: KnowledgeBase) -> tuple[Assessment, dict]:
    """(Assessment, Groundwork JSON) from a Groundwork assessment, a QuestionnaireResponse or a
    Bundle holding one; every problem is a GroundworkError naming the field or the linkId."""
    raw = _peek(path)
    if _is_fhir(raw):
        from groundwork.fhir.response import assessment_from_fhir
        return assessment_from_fhir(raw, str(path), kb)
    return read_assessment_file(path, kb)  # its own messages for every other case


def read_case_text(text: str, display: str, kb: KnowledgeBase) -> tuple[Assessment, dict]:
    try:
        raw = strict_json.loads(text, display)
    except GroundworkError:
        raw = None  # parse_assessment reports it
    if _is_fhir(raw):
        from groundwork.fhir.response import assessment_from_fhir
        return assessment_from_fhir(raw, display, kb)
    return parse_assessment(text, display, kb)


def _is_fhir(raw) -> bool:
    return isinstance(raw, dict) and "resourceType" in raw


def _peek(path: str | Path):
    try:
        return strict_json.loads(strict_json.read_text(path), str(path))
    except (OSError, UnicodeDecodeError, GroundworkError):
        return None
