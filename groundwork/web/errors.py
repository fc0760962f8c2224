"""Errors as JSON a client can act on: a status, and one entry per problem with the field path.

`{"status": 422, "title": "...", "errors": [{"code": "E200", "path": "ratings[3].value",
"message": "...", "hint": null, "suggestions": []}]}`. Messages come from the same diagnostics the
CLI prints; like them, they never echo a case's values.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from dsl import codes
from dsl.errors import Diagnostic, EngineFailure, GroundworkError, ToolFailure
from engine.intake import field_path

log = logging.getLogger("groundwork.web")

TITLES = {400: "bad request", 401: "authentication required", 403: "forbidden", 404: "not found",
          405: "method not allowed", 409: "conflict", 412: "precondition failed",
          413: "request too large", 415: "unsupported media type", 422: "invalid input",
          500: "internal error"}


class ErrorEntry(BaseModel):
    code: str = Field(title="Code", description="Stable error code (E2xx input, E7xx audit, E8xx web)")
    path: str = Field(title="Path", description="Where: a field path such as ratings[3].value, a "
                                               "path parameter, a header, or (body)")
    message: str = Field(title="Message", description="What is wrong, in words")
    hint: str | None = Field(None, title="Hint", description="What to do about it")
    suggestions: list[str] = Field([], title="Suggestions", description="Nearest known ids")


class ErrorResponse(BaseModel):
    status: int = Field(title="Status", description="The HTTP status")
    title: str = Field(title="Title", description="The status in words")
    errors: list[ErrorEntry] = Field(title="Errors", description="Every problem found")


class ApiError(Exception):
    """An error response, raised from anywhere below a route."""

    def __init__(self, status: int, code: str, message: str, path: str = "(request)",
                 hint: str | None = None, suggestions=(), headers: dict | None = None,
                 entries: list[ErrorEntry] | None = None):
        super().__init__(message)
        self.status = status
        self.entries = entries or [ErrorEntry(code=code, path=path, message=message, hint=hint,
                                              suggestions=list(suggestions))]
        self.headers = headers or {}


def entry(diagnostic: Diagnostic, path: str | None = None) -> ErrorEntry:
    where = path or diagnostic.field_path or "(body)"
    where = "(body)" if where == "(file)" else where  # the CLI's file is the request's body
    if diagnostic.line is not None and path is None:
        where = f"(body):{diagnostic.line}:{diagnostic.column}"
    return ErrorEntry(code=diagnostic.code, path=where, message=diagnostic.message, hint=diagnostic.hint,
                      suggestions=list(diagnostic.suggestions))


def from_groundwork(error: GroundworkError, status: int | None = None, path: str | None = None,
                    hint: str | None = None) -> ApiError:
    """The CLI's diagnostics as an error response; the status is the first code's (dsl/codes.py)
    unless the caller knows better (the audit store's failures are the server's, for example)."""
    entries = [entry(d, path) for d in error.shown()]
    if error.not_shown:
        entries.append(ErrorEntry(code=error.first.code, path="(body)",
                                  message=f"... and {error.not_shown:,} more errors (the first "
                                          f"{len(entries)} are shown)"))
    if hint is not None:
        entries = [e.model_copy(update={"hint": hint}) for e in entries]
    return ApiError(status or codes.http_status(error.first.code), "", "", entries=entries)


def respond(status: int, entries: list[ErrorEntry], headers: dict | None = None,
            request: Request | None = None, cds: bool = False) -> JSONResponse:
    body = ErrorResponse(status=status, title=TITLES.get(status, "error"), errors=entries)
    data = body.model_dump(mode="json")
    if cds or (request is not None and request.url.path.startswith("/cds-services")):
        # CDS Hooks forbids null and empty elements, in errors too
        data["errors"] = [{k: v for k, v in e.items() if v is not None and v != []}
                          for e in data["errors"]]
    return JSONResponse(data, status_code=status, headers=headers)


def _validation_path(loc) -> str:
    parts = list(loc)
    if parts and parts[0] in ("body", "path", "query", "header"):
        parts = parts[1:]
    return field_path(parts) if parts else "(body)"


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError):
        return respond(error.status, error.entries, error.headers, request)

    @app.exception_handler(GroundworkError)
    async def bad_input(request: Request, error: GroundworkError):
        found = from_groundwork(error)
        return respond(found.status, found.entries)

    @app.exception_handler(ToolFailure)
    async def tool_failed(request: Request, error: ToolFailure):
        log.error("optional tool failure (%s) on %s %s", error.diagnostic.code, request.method,
                  request.url.path)
        return respond(codes.http_status(error.diagnostic.code), [entry(error.diagnostic, "(server)")])

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError):
        # the message only: pydantic's `input` would echo what the client sent
        entries = [ErrorEntry(code="E200", path=_validation_path(e["loc"]), message=e["msg"])
                   for e in error.errors()]
        # CDS Hooks names 400 for a malformed request; the API says 422 like the CLI's exit 2
        return respond(400 if request.url.path.startswith("/cds-services") else 422, entries,
                       request=request)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException):
        return respond(error.status_code, [ErrorEntry(
            code="E800", path=request.url.path, message=str(error.detail))],
            getattr(error, "headers", None))

    @app.exception_handler(EngineFailure)
    async def engine_failed(request: Request, error: EngineFailure):
        log.error("engine failure (%s) on %s %s", type(error).__name__, request.method, request.url.path)
        return respond(500, [ErrorEntry(code="E300", path="(engine)", message=(
            "the rule engine failed; the assessment was aborted and no plan was produced"))])
