"""Audit errors: bad input to an audit command is a GroundworkError (exit 2) with an E7xx code.

Messages name the store and the record, never a case's content or a clinician's comment.
"""

from __future__ import annotations

from dsl.errors import Diagnostic, GroundworkError


def audit_error(code: str, message: str, where: str = "audit", hint: str | None = None) -> GroundworkError:
    return GroundworkError([Diagnostic(code, message, where, hint=hint)])
