"""Reading an assessment: JSON text → validated Assessment, or one precise error per problem.

Messages name the field path (`ratings[3].value`) and never echo the case's values, so an error
can be logged or shown without leaking anything a case says.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from dsl.errors import Diagnostic, GroundworkError, did_you_mean
from dsl.checked import CheckedKnowledgeBase
from engine import strict_json
from engine.models import Assessment


def field_path(loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _error(display: str, path: str, message: str) -> Diagnostic:
    return Diagnostic("E200", message, display, field_path=path)


def read_assessment_file(path: str | Path, kb: CheckedKnowledgeBase) -> tuple[Assessment, dict]:
    display = str(path)
    try:
        text = strict_json.read_text(path, display)
    except FileNotFoundError:
        raise GroundworkError([Diagnostic("E201", "no such file", display, field_path="(file)")]) from None
    except IsADirectoryError:
        raise GroundworkError([Diagnostic("E201", "is a directory, not an assessment file", display,
                                          field_path="(file)")]) from None
    return parse_assessment(text, display, kb)


def parse_assessment(text: str, display: str, kb: CheckedKnowledgeBase) -> tuple[Assessment, dict]:
    if not text.strip():
        raise GroundworkError([Diagnostic("E202", "the file is empty; expected a JSON object",
                                          display, field_path="(file)")])
    raw = strict_json.loads(text, display)
    return validate_assessment(raw, display, kb), raw


def validate_assessment(raw, display: str, kb: CheckedKnowledgeBase) -> Assessment:
    if not isinstance(raw, dict):
        raise GroundworkError([_error(display, "(top level)", "expected a JSON object")])
    try:
        assessment = Assessment.model_validate(raw)
    except ValidationError as error:
        raise GroundworkError([_pydantic(display, e) for e in error.errors()]) from None
    problems = check_against_instrument(assessment, kb)
    if problems:
        raise GroundworkError([_error(display, path, message) for path, message in problems])
    return assessment


def _pydantic(display: str, error: ErrorDetails) -> Diagnostic:
    kind = error["type"]
    message = error["msg"]
    if kind == "extra_forbidden":
        message = "unknown field; see `groundwork schema` for the fields an assessment has"
    elif kind == "missing":
        message = "required field is missing"
    elif kind == "int_type":
        message = "must be a whole number (not text, a fraction or true/false)"
    elif kind == "bool_type":
        message = "must be true or false (not text or a number)"
    elif kind == "value_error":
        message = message.removeprefix("Value error, ")
    elif kind == "string_pattern_mismatch":
        message = "must be a pseudonymous id: letters, digits, '-' or '_' (at most 64)"
    return _error(display, field_path(error["loc"]), message)


def check_against_instrument(assessment: Assessment, kb: CheckedKnowledgeBase) -> list[tuple[str, str]]:
    instrument = kb.instrument
    known = {item.id for item in instrument.items}
    problems = []
    seen: set[tuple[str, str]] = set()
    for index, rating in enumerate(assessment.ratings):
        if rating.item not in known:
            hint = did_you_mean(rating.item, known)
            problems.append((f"ratings[{index}].item",
                             f"item '{rating.item}' is not in the instrument "
                             f"'{instrument.name}'" + (f" ({hint})" if hint else "")))
        elif (rating.item, rating.informant) in seen:
            # Several informants may rate one item (their disagreement is flagged); one
            # informant rating it twice is a mistake in the record.
            problems.append((f"ratings[{index}].item",
                             f"item '{rating.item}' is rated twice by the same informant "
                             f"({rating.informant}); keep one rating per informant"))
        seen.add((rating.item, rating.informant))
        if rating.value is not None and rating.value > instrument.max_value:
            problems.append((f"ratings[{index}].value",
                             f"must be between 0 and {instrument.max_value}, or null when unknown"))
    periods = [h.period for h in assessment.history]
    for index, period in enumerate(periods):
        if period in periods[:index]:
            problems.append((f"history[{index}].period", f"period '{period}' appears twice"))
    return problems
